"""Input schemas of the portal's own actions."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


@tk.validator_args
def agency_merge_schema(
    not_empty: Any, unicode_safe: Any, ignore_missing: Any, isodate: Any, daknong_agency_ref: Any
) -> dict[str, Any]:
    """``daknong_agency_merge``: the retiring agency, its successor, the retirement date."""
    return {
        "old": [not_empty, unicode_safe, daknong_agency_ref],
        "new": [not_empty, unicode_safe, daknong_agency_ref],
        "effective_until": [ignore_missing, isodate],
    }


@tk.validator_args
def catalogue_show_schema(ignore_missing: Any, unicode_safe: Any) -> dict[str, Any]:
    """``daknong_catalogue_show``: optional filters; unknown codes simply match nothing."""
    return {
        "agency": [ignore_missing, unicode_safe],
        "database_type": [ignore_missing, unicode_safe],
        "foundation_data": [ignore_missing, unicode_safe],
        "q": [ignore_missing, unicode_safe],
    }
