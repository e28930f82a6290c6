"""Actions of the sharing-log plugin: reading the log, and the chained reads that feed it."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.daknong import access
from ckanext.daknong.sharing_log import capture, entries, listing


def get_actions() -> dict[str, Any]:
    """The actions, with the DataStore ones chained only where the DataStore is enabled."""
    actions: dict[str, Any] = {
        "daknong_sharing_log_list": daknong_sharing_log_list,
        "daknong_open_read_count_list": daknong_open_read_count_list,
        "package_show": package_show,
        "resource_show": resource_show,
        "package_search": package_search,
    }
    if p.plugin_loaded("activity"):
        actions.update(dict.fromkeys(ACTIVITY_LISTS, activity_list))
        actions.update(dict.fromkeys(ACTIVITY_ITEMS, activity_item))
    if p.plugin_loaded("datastore"):
        actions["datastore_search"] = datastore_read
        if tk.asbool(tk.config.get("ckan.datastore.sqlsearch.enabled")):
            actions["datastore_search_sql"] = datastore_read
    return actions


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


@tk.side_effect_free
@tk.chained_action
def package_show(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_action(context, data_dict)
    capture.mark_dataset(result)
    return result


@tk.side_effect_free
@tk.chained_action
def resource_show(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_action(context, data_dict)
    capture.mark_resource(result)
    return result


@tk.side_effect_free
@tk.chained_action
def package_search(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_action(context, data_dict)
    capture.mark_search(result.get("results") or [])
    return result


# Activities carry the content of the datasets they are about: reading one is a read.
ACTIVITY_LISTS = (
    "package_activity_list",
    "organization_activity_list",
    "group_activity_list",
    "user_activity_list",
    "dashboard_activity_list",
    "recently_changed_packages_activity_list",
)
ACTIVITY_ITEMS = ("activity_show", "activity_data_show", "activity_diff")


@tk.side_effect_free
@tk.chained_action
def activity_list(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_action(context, data_dict)
    capture.mark_dataset_ids(a.get("object_id") for a in result or [] if isinstance(a, dict))
    return result


@tk.side_effect_free
@tk.chained_action
def activity_item(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_action(context, data_dict)
    activity = context.get("activity")  # set by activity_show and activity_data_show
    ids = [activity.object_id] if activity is not None else []
    if isinstance(result, dict):  # activity_show's own dict, activity_diff's pair
        ids.append(result.get("object_id"))
        ids.extend(a.get("object_id") for a in result.get("activities") or [])
    capture.mark_dataset_ids(ids)
    return result


@tk.side_effect_free
@tk.chained_action
def datastore_read(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_action(context, data_dict)
    capture.use_channel(entries.DATASTORE)
    # datastore_search names its resource; datastore_search_sql's tables are marked by its
    # chained auth function, the one place that sees them
    if data_dict.get("resource_id"):
        resource = tk.get_action("resource_show")(dict(context), {"id": data_dict["resource_id"]})
        capture.mark_resource(resource)
    return result
