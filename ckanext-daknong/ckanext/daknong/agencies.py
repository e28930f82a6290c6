"""Agencies of the province: loading the agency list into CKAN organisations.

One home for the agency concept; validators of agency codes (QĐ 20/2020/QĐ-TTg) live here
too as they are added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk

# Keys of an agency record that are instructions to the loader, not organisation fields.
_LOADER_KEYS = frozenset()


@dataclasses.dataclass
class LoadReport:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)


def load_agencies(records: Iterable[dict[str, Any]], context: dict[str, Any]) -> LoadReport:
    """Create or update one organisation per agency record, matched by ``name``.

    Idempotent: loading the same file twice changes nothing the second time, and a changed
    record updates the organisation in place (its datasets and members are kept).
    """
    report = LoadReport()
    for record in records:
        data = {k: v for k, v in record.items() if k not in _LOADER_KEYS}
        data = {
            k: (str(v) if not isinstance(v, (bool, list, dict)) else v) for k, v in data.items()
        }
        try:
            tk.get_action("organization_show")(dict(context), {"id": data["name"]})
        except tk.ObjectNotFound:
            tk.get_action("organization_create")(dict(context), data)
            report.created.append(data["name"])
        else:
            tk.get_action("organization_patch")(dict(context), {"id": data["name"], **data})
            report.updated.append(data["name"])
    return report
