"""Actions of the harvest plugin. Thin: check access, call the services, return dicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.daknong import access, membership
from ckanext.daknong.harvest import schedule, selfcheck

__all__ = ["daknong_harvest_check", "daknong_harvest_status"]


@tk.side_effect_free
def daknong_harvest_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Each agency's harvest status for a quarter (default: the current one).

    :param quarter: e.g. ``2026Q4``
    """
    tk.check_access("daknong_harvest_status", context, data_dict)
    quarter = data_dict.get("quarter") or schedule.quarter_of(dt.date.today())
    if not _valid_quarter(quarter):
        raise tk.ValidationError({"quarter": [tk._("A quarter looks like 2026Q4.")]})
    user = access.user_object(context)
    everything = membership.is_data_administrator(user)
    agency_ids = None if everything else membership.organization_ids(user)
    opens, closes = schedule.window(quarter)
    return {
        "quarter": quarter,
        "window_opens": opens.isoformat(),
        "window_closes": closes.isoformat(),
        "agencies": schedule.agency_status(quarter, agency_ids),
    }


def _valid_quarter(value: str) -> bool:
    return len(value) == 6 and value[:4].isdigit() and value[4] == "Q" and value[5] in "1234"


def daknong_harvest_check(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Validate an agency's catalogue and preview the changes; imports nothing.

    :param agency: the agency's id or name
    :param source_type: ``daknong_spreadsheet``, ``daknong_ckan`` or ``daknong_dcat``
    :param url: where the catalogue is, or
    :param upload: the file's bytes (spreadsheets; from the page)
    """
    tk.check_access("daknong_harvest_check", context, data_dict)
    agency = model.Group.get(data_dict.get("agency") or "")
    if agency is None or not agency.is_organization:
        raise tk.ObjectNotFound(tk._("Agency not found"))
    source_type = data_dict.get("source_type") or "daknong_spreadsheet"
    if source_type not in selfcheck.SOURCE_TYPES:
        raise tk.ValidationError({"source_type": [tk._("Unknown source type.")]})
    if not data_dict.get("url") and not data_dict.get("upload"):
        raise tk.ValidationError({"url": [tk._("Give the catalogue's address or upload a file.")]})
    return selfcheck.check(
        agency, source_type, data_dict.get("url"), data_dict.get("upload"), data_dict.get("config")
    ).as_dict()
