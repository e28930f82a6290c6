"""Authorisation functions of the core portal."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz

from ckanext.daknong import access, grants

__all__: list[str] = [
    "activity_show",
    "daknong_access_grant_list",
    "daknong_access_grant_revoke",
    "daknong_access_request_create",
    "daknong_access_request_decide",
    "daknong_access_request_list",
    "daknong_access_request_show",
    "daknong_agency_merge",
    "daknong_catalogue_show",
    "harvest_source_list",
    "harvest_source_show",
    "package_show",
    "resource_show",
]


def daknong_agency_merge(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Only sysadmins (who pass every check) merge agencies: it moves other agencies' data."""
    return {"success": False, "msg": tk._("Only system administrators can merge agencies.")}


@tk.auth_allow_anonymous_access
def daknong_catalogue_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The catalogue is published to everyone (QĐ 43 Art. 9.2); it lists only public entries."""
    return {"success": True}


# --- access requests and grants ---------------------------------------------------------------


def _logged_in(context: dict[str, Any]) -> dict[str, Any]:
    user = access.user_object(context)
    if user is None or user.is_anonymous:
        return {"success": False, "msg": tk._("Log in to continue")}
    return {"success": True}


def daknong_access_request_create(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Members of an agency request access; the workflow checks the agency and dataset."""
    user = access.user_object(context)
    if user is None or user.is_anonymous or not access.user_organization_ids(user):
        return {"success": False, "msg": tk._("Only members of an agency can request access")}
    return {"success": True}


def daknong_access_request_show(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """The requesting agency, the providing agency, approvers and administrators."""
    request = data_dict.get("request")
    if request is None or not grants.can_see_request(access.user_object(context), request):
        return {"success": False, "msg": tk._("Not authorised to see this access request")}
    return {"success": True}


def daknong_access_request_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    return _logged_in(context)


def daknong_access_request_decide(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Deciders are checked by the workflow per stage; outsiders are refused here."""
    return daknong_access_request_show(context, data_dict)


def daknong_access_grant_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return _logged_in(context)


def daknong_access_grant_revoke(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    return _logged_in(context)


# --- restricting CKAN's own actions ------------------------------------------------------------


@tk.chained_auth_function
def harvest_source_list(
    next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Harvest source configs name endpoints and options: sysadmins only (upstream: anyone)."""
    if authz.is_sysadmin(context.get("user")):
        return next_auth(context, data_dict)
    return {"success": False, "msg": tk._("Only system administrators can list harvest sources")}


@tk.chained_auth_function
def harvest_source_show(
    next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Sysadmins only, like harvest_source_list."""
    if authz.is_sysadmin(context.get("user")):
        return next_auth(context, data_dict)
    return {"success": False, "msg": tk._("Only system administrators can see harvest sources")}


def _without_identifiers(result: dict[str, Any]) -> dict[str, Any]:
    """Upstream refusals name the dataset's id; an outsider must learn nothing from a 403."""
    if result.get("success"):
        return result
    return {"success": False, "msg": tk._("Not authorised to read this dataset")}


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def package_show(
    next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    return _without_identifiers(next_auth(context, data_dict))


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def resource_show(
    next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    return _without_identifiers(next_auth(context, data_dict))


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_show(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream reads ``include_data`` unconditionally: a 500 when it is missing (Low finding).

    Missing means false, as the action's documentation says.
    """
    data_dict.setdefault("include_data", False)
    return next_auth(context, data_dict)
