"""Authorisation functions of the core portal."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.daknong import access, grants, membership
from ckanext.daknong.model.access import AccessGrant, AccessRequest

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


# Each answers exactly what its action allows, so that pages can ask ``h.check_access``
# instead of guessing (issue 10, design 3); the rules themselves live in ``grants`` and
# ``membership``. Objects are found by ``id``, as templates pass it.


def _user(context: dict[str, Any]) -> Any:
    user = access.user_object(context)
    return None if user is None or user.is_anonymous else user


def _logged_in(context: dict[str, Any]) -> dict[str, Any]:
    if _user(context) is None:
        return {"success": False, "msg": tk._("Log in to continue")}
    return {"success": True}


def _by_id(row_class: type[Any], data_dict: dict[str, Any]) -> Any:
    """The access request or grant named by ``id``, or None."""
    row_id = data_dict.get("id")
    return model.Session.get(row_class, str(row_id)) if row_id else None


def daknong_access_request_create(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Members of an agency request access; the workflow checks the agency and dataset."""
    if not membership.organization_ids(_user(context)):
        return {"success": False, "msg": tk._("Only members of an agency can request access")}
    return {"success": True}


def daknong_access_request_show(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """The requesting agency, the providing agency, approvers and administrators."""
    request = _by_id(AccessRequest, data_dict)
    if request is None or not grants.can_see_request(_user(context), request):
        return {"success": False, "msg": tk._("Not authorised to see this access request")}
    return {"success": True}


def daknong_access_request_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Logged-in users list what they may see; the ``approver`` list is for approvers only."""
    result = _logged_in(context)
    if (
        result["success"]
        and data_dict.get("role") == "approver"
        and not membership.is_province_approver(_user(context))
    ):
        return {"success": False, "msg": tk._("Only province approvers see this list")}
    return result


@tk.auth_sysadmins_check
def daknong_access_request_decide(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Who decides depends on the stage (``grants.may_decide``), for sysadmins too: a decided
    request is decided by nobody."""
    request = _by_id(AccessRequest, data_dict)
    user = _user(context)
    if request is None or user is None:
        return {"success": False, "msg": tk._("Not authorised to see this access request")}
    if not grants.may_decide(user, request):
        return {"success": False, "msg": grants.decide_refusal_message(request)}
    return {"success": True}


def daknong_access_grant_list(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    return _logged_in(context)


@tk.auth_sysadmins_check
def daknong_access_grant_revoke(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """The providing agency (or a sysadmin) revokes an active grant; an ended one, nobody."""
    grant = _by_id(AccessGrant, data_dict)
    user = _user(context)
    if grant is None or user is None:
        return {"success": False, "msg": tk._("Only the providing agency revokes this grant")}
    if not grants.may_revoke(user, grant):
        return {"success": False, "msg": grants.revoke_refusal_message(grant)}
    return {"success": True}


# --- restricting CKAN's own actions ------------------------------------------------------------


def _without_identifiers(result: dict[str, Any]) -> dict[str, Any]:
    """Upstream refusals name the dataset's id; an outsider must learn nothing from a 403."""
    if result.get("success"):
        return result
    return {"success": False, "msg": tk._("Not authorised to read this dataset")}


def _refusing_without_identifiers(name: str) -> Any:
    """A chained auth for ``name`` that keeps upstream's answer but not the ids in its refusal."""

    def auth(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
        return _without_identifiers(next_auth(context, data_dict))

    auth.__name__ = auth.__qualname__ = name
    return tk.auth_allow_anonymous_access(tk.chained_auth_function(auth))


package_show = _refusing_without_identifiers("package_show")
resource_show = _refusing_without_identifiers("resource_show")


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_show(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream reads ``include_data`` unconditionally: a 500 when it is missing (Low finding).

    Missing means false, as the action's documentation says.
    """
    data_dict.setdefault("include_data", False)
    return next_auth(context, data_dict)


# Accounts (QĐ 43 Art. 12.3): implemented in ckanext.daknong.accounts.
from ckanext.daknong.accounts.actions import (  # noqa: E402
    auth_daknong_user_unlock as daknong_user_unlock,
)

__all__ += ["daknong_user_unlock"]
