"""How long the sharing log keeps its entries (NĐ 47 Art. 45): the provincial floor and default.

One home for the rule, in the core package: the sharing-log plugin stamps each entry's end date
with it, and the core plugin's validator of database entries refuses a period below the floor,
also where the sharing-log plugin (which declares the options) is not loaded.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk

RETENTION_FLOOR = "ckanext.daknong.sharing_log.retention_floor_months"
# The floor where the sharing-log plugin (which declares the option) is not loaded.
DEFAULT_RETENTION_FLOOR_MONTHS = 60


def retention_floor_months() -> int:
    """The provincial floor: no entry is kept fewer months, whatever its database says."""
    value = tk.config.get(RETENTION_FLOOR)
    return max(tk.asint(value), 1) if value not in (None, "") else DEFAULT_RETENTION_FLOOR_MONTHS


def default_retention_months() -> int:
    """Months for entries whose database sets none: the provincial default, never below the
    floor."""
    return max(
        tk.config.get("ckanext.daknong.sharing_log.retention_months") or 0,
        retention_floor_months(),
    )


def effective_retention_months(months: int | None) -> int:
    """A database's period, or the default, raised to the floor: max(floor, value)."""
    return max(months or default_retention_months(), retention_floor_months())
