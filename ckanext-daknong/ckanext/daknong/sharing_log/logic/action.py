"""Actions of the sharing-log plugin: reading the log, and the chained reads that feed it."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.daknong import access
from ckanext.daknong.sharing_log import capture, listing


def get_actions() -> dict[str, Any]:
    """The log's own actions, and every content action of this CKAN chained to log its reads."""
    actions: dict[str, Any] = {
        "daknong_sharing_log_list": daknong_sharing_log_list,
        "daknong_open_read_count_list": daknong_open_read_count_list,
    }
    actions.update(
        {name: logged_read(name, capture.is_read(name)) for name in capture.chainable_actions()}
    )
    return actions


def logged_read(name: str, side_effect_free: bool) -> Any:
    """A chained action that marks the datasets its result carries, for the sharing log.

    One wrapper for every action that returns dataset content (``capture.content_actions``):
    what a result carries is decided in ``capture.carried_by``. The wrapper is side-effect
    free (callable by GET in the API) only when the action it wraps is: a chained action's
    attributes replace the original's, and a write must stay POST-only.
    """

    def read(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
        result = next_action(context, data_dict)
        capture.record_result(name, context, data_dict, result)
        return result

    read.__name__ = read.__qualname__ = name
    read.__doc__ = f"{name}, with its reads of shared and restricted data logged."
    chained = tk.chained_action(read)
    return tk.side_effect_free(chained) if side_effect_free else chained


@tk.side_effect_free
def daknong_sharing_log_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Sharing-log entries the caller may read, newest first (NĐ 47 Art. 45).

    :param date_from: first day (YYYY-MM-DD, Vietnam time)
    :param date_to: last day (YYYY-MM-DD, Vietnam time)
    :param agency: providing or requesting agency (id, name or QĐ 20 code)
    :param dataset: dataset id or name
    :param channel: web, api, download, datastore, dcat, harvest or system
    :param status: served, denied or error
    :param event: read, search or request_<step>
    :param limit: entries per page (default 50, at most 1000)
    :param offset: entries to skip
    """
    tk.check_access("daknong_sharing_log_list", context, data_dict)
    return listing.list_entries(access.user_object(context), data_dict)


@tk.side_effect_free
def daknong_open_read_count_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> list[dict[str, Any]]:
    """Daily read counts of open data per dataset and channel (no identities are kept).

    :param date_from: first day (YYYY-MM-DD)
    :param date_to: last day (YYYY-MM-DD)
    :param dataset: dataset id or name
    """
    tk.check_access("daknong_open_read_count_list", context, data_dict)
    return listing.open_read_counts(access.user_object(context), data_dict)
