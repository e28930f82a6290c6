"""Authorisation of the sharing-log plugin.

Reading the log is checked in ``listing.scope_for`` (the one home of who sees which entries);
the chained ``package_show``/``resource_show`` auth functions record refused reads.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.daknong import access
from ckanext.daknong.sharing_log import capture, listing


def get_auth_functions() -> dict[str, Any]:
    """The auth functions, with the DataStore SQL one chained only where it exists."""
    functions: dict[str, Any] = {
        "daknong_open_read_count_list": daknong_open_read_count_list,
        "daknong_sharing_log_list": daknong_sharing_log_list,
        "package_show": package_show,
        "resource_show": resource_show,
    }
    if p.plugin_loaded("datastore"):
        functions["datastore_search_sql"] = datastore_search_sql
    return functions


def _may_read_log(context: dict[str, Any]) -> dict[str, Any]:
    try:
        listing.scope_for(access.user_object(context))
    except tk.NotAuthorized as refusal:
        return {"success": False, "msg": str(refusal)}
    return {"success": True}


@tk.auth_allow_anonymous_access
def daknong_sharing_log_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return _may_read_log(context)


@tk.auth_allow_anonymous_access
def daknong_open_read_count_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    return _may_read_log(context)


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def package_show(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_auth(context, data_dict)
    if not result.get("success"):
        package = context.get("package")
        capture.mark_denied(package.id if package is not None else data_dict.get("id"))
    return result


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def resource_show(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = next_auth(context, data_dict)
    if not result.get("success"):
        capture.mark_denied(None, resource_id=data_dict.get("id"))
    return result


@tk.chained_auth_function
def datastore_search_sql(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """SQL queries name their tables only here: each table read is a resource read."""
    result = next_auth(context, data_dict)
    for resource_id in context.get("table_names") or []:
        if result.get("success"):
            resource = model.Resource.get(resource_id)
            if resource is not None:
                capture.mark_resource({**resource.as_dict(), "package_id": resource.package_id})
        else:
            capture.mark_denied(None, resource_id=resource_id)
    return result
