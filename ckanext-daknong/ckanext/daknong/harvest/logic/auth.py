"""Who may read harvest status, run a self-check, and touch ckanext-harvest's sources and jobs.

Registered by the ``daknong_harvest`` plugin only, so the core ``daknong`` plugin loads
without ckanext-harvest. Harvest sources make the portal fetch addresses and run jobs as the
site user: registering, changing, running and reading them is for sysadmins (C2).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model

from ckanext.daknong import access, membership

HARVEST_TYPE = "harvest"

__all__ = [
    "daknong_harvest_check",
    "daknong_harvest_status",
    "harvest_abort_failed_jobs",
    "harvest_log_list",
    "harvest_source_list",
    "harvest_source_show",
    "package_create",
    "package_delete",
    "package_update",
]


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


def _sysadmins_only(
    next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    if authz.is_sysadmin(context.get("user")):
        return next_auth(context, data_dict) if next_auth else {"success": True}
    return {"success": False, "msg": tk._("Only system administrators can manage harvesting.")}


def _for_sysadmins(name: str, doc: str, *, ask_next: bool) -> Any:
    """A chained auth for ``name``: sysadmins only; with ``ask_next`` upstream's check too."""

    def auth(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
        return _sysadmins_only(next_auth if ask_next else None, context, data_dict)

    auth.__name__ = auth.__qualname__ = name
    auth.__doc__ = doc
    return tk.chained_auth_function(auth)


harvest_source_list = _for_sysadmins(
    "harvest_source_list",
    "Harvest source configs name endpoints and options: sysadmins only (upstream: anyone).",
    ask_next=True,
)
harvest_source_show = _for_sysadmins(
    "harvest_source_show", "Sysadmins only, like harvest_source_list.", ask_next=True
)

# ckanext-harvest collects its auth functions into the same dict as its actions (a shared
# mutable default argument), so every action is also registered as an "auth function" of the
# same name: harvest_log_list's check ran the action itself with the check's arguments (500),
# and the mail helpers became auth functions too. These two never call the next function.
harvest_log_list = _for_sysadmins(
    "harvest_log_list", "The log names sources, jobs and remote errors.", ask_next=False
)
harvest_abort_failed_jobs = _for_sysadmins(
    "harvest_abort_failed_jobs",
    "Upstream's action checks nothing; our chained action asks this.",
    ask_next=False,
)


# --- harvest sources are datasets of type "harvest": the package_* paths too --------------------


def _is_harvest_source(context: dict[str, Any], data_dict: dict[str, Any]) -> bool:
    """Whether the call creates or touches a harvest source (by type or by the stored row)."""
    if (data_dict or {}).get("type") == HARVEST_TYPE:
        return True
    package = context.get("package")
    ref = (data_dict or {}).get("id") or (data_dict or {}).get("name")
    if package is None and ref:
        package = model.Package.get(str(ref))
    return package is not None and package.type == HARVEST_TYPE


def _sources_for_sysadmins(name: str, doc: str) -> Any:
    """A chained ``package_<verb>`` auth: harvest sources are datasets of type "harvest", and
    upstream's source and job actions only ask ``package_*``, which says yes to agency admins
    (C2). Other datasets go on to the next auth function unchanged."""

    def auth(next_auth: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
        if _is_harvest_source(context, data_dict or {}):
            return _sysadmins_only(next_auth, context, data_dict)
        return next_auth(context, data_dict)

    auth.__name__ = auth.__qualname__ = name
    auth.__doc__ = doc
    return tk.chained_auth_function(auth)


package_create = _sources_for_sysadmins(
    "package_create", "An agency admin may create datasets, but not harvest sources."
)
package_update = _sources_for_sysadmins(
    "package_update",
    "Changing a source (its address above all) is for sysadmins, also on the agency's own "
    "source: harvest_source_update, _patch and harvest_job_create ask this.",
)
package_delete = _sources_for_sysadmins("package_delete", "Deleting a source: sysadmins only.")
