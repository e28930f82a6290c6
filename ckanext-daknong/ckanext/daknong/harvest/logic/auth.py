"""Who may read harvest status and run a self-check."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz

from ckanext.daknong import access, membership

__all__ = ["daknong_harvest_check", "daknong_harvest_status"]


def daknong_harvest_status(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Agency users see their own agencies; sysadmins and the data administrator see all."""
    user = access.user_object(context)
    if user is not None and (
        membership.is_data_administrator(user) or membership.organization_ids(user)
    ):
        return {"success": True}
    return {"success": False, "msg": tk._("Only agency users can see harvest status.")}


def daknong_harvest_check(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Editors and admins of the agency check their own catalogue before the window."""
    user = access.user_object(context)
    agency = data_dict.get("agency") or ""
    if (
        user is not None
        and agency
        and authz.has_user_permission_for_group_or_org(agency, user.name, "create_dataset")
    ):
        return {"success": True}
    return {"success": False, "msg": tk._("Only the agency's editors can check its catalogue.")}
