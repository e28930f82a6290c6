"""Actions of the core portal, named ``daknong_<noun>_<verb>``."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model

from ckanext.daknong import access, agencies, catalogue, grants
from ckanext.daknong.logic import schema

__all__: list[str] = [
    "am_following_dataset",
    "bulk_update_private",
    "bulk_update_public",
    "daknong_access_grant_list",
    "daknong_access_grant_revoke",
    "daknong_access_request_create",
    "daknong_access_request_decide",
    "daknong_access_request_list",
    "daknong_access_request_show",
    "daknong_agency_merge",
    "daknong_catalogue_show",
    "dataset_followee_count",
    "dataset_follower_count",
    "format_autocomplete",
    "member_list",
    "organization_show",
    "package_list",
    "package_show",
    "resource_show",
    "tag_autocomplete",
    "tag_list",
    "tag_search",
    "tag_show",
]


def daknong_agency_merge(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Merge agency ``old`` into ``new``: move its datasets, then retire it (sysadmins only).

    For agencies merged or renamed by a reorganisation (March 2025): datasets keep their ids and
    activity history; ``old`` stays, with ``effective_until`` (default today) and
    ``successor = new``. Returns the names moved and those refused, with reasons; ``old`` is
    retired only when nothing was refused.

    :param old: name or id of the retiring agency
    :param new: name or id of its successor
    :param effective_until: last day of ``old`` (ISO date, optional)
    """
    tk.check_access("daknong_agency_merge", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.agency_merge_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    if data["old"] == data["new"]:
        raise tk.ValidationError({"new": [tk._("Name another agency, not this agency itself.")]})
    until = data.get("effective_until")
    inner = {"user": context.get("user"), "ignore_auth": context.get("ignore_auth", False)}
    report = agencies.merge_agencies(
        data["old"], data["new"], inner, until.date() if until else None
    )
    return report.as_dict()


@tk.side_effect_free
def daknong_catalogue_show(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """The published catalogue of shared databases (QĐ 43 Art. 9.2–9.3, NĐ 47 Art. 11.4).

    Every public ``database`` entry grouped by owner agency and database type, with its
    purpose, scope, content, collection and update mechanisms, sources, data items (sharing
    category, users) and sharing services; ``labels`` maps the codes to their labels. The
    ``/catalogue`` page and its CSV and XLSX downloads show exactly this. Open to everyone.

    :param agency: name of the owner agency (optional)
    :param database_type: ``national``, ``shared`` or ``internal`` (optional)
    :param foundation_data: ``population``, ``land`` or ``enterprise`` (optional)
    :param q: search words, with or without diacritics (optional)
    """
    tk.check_access("daknong_catalogue_show", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.catalogue_show_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    return catalogue.build(catalogue.Filters.from_mapping(data))


# --- access requests and grants (QĐ 43 Art. 10.2; NĐ 47 Art. 35) ----------------------------


def _acting_user(context: dict[str, Any]) -> model.User:
    user = access.user_object(context)
    if user is None or user.is_anonymous:
        raise tk.NotAuthorized(tk._("Log in to continue"))
    return user


def _validated(data_dict: dict[str, Any], schema_: dict[str, Any], context: dict[str, Any]):
    data, errors = tk.navl_validate(data_dict, schema_, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def daknong_access_request_create(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Request access to a restricted dataset for one's agency (NĐ 47 Art. 35.1).

    The requesting agency's code and name are taken from the agency record; values the caller
    sends for them are ignored. A dataset the caller may not read is named by its name: its id
    is answered like an unknown dataset (see ``grants.find_requestable_dataset``).

    :param dataset_id: name of the restricted dataset (or its id, if the caller may read it)
    :param requester_org_id: the requesting agency (one the user belongs to)
    :param application: the requesting information system
    :param purpose: purpose of use
    :param intended_use: how the data will be used
    :param requested_data: the resources or fields wanted
    :param access_frequency: how often the data will be accessed
    :param period_start: first day of access (YYYY-MM-DD)
    :param period_end: last day of access (YYYY-MM-DD)
    """
    tk.check_access("daknong_access_request_create", context, data_dict)
    user = _acting_user(context)
    data = _validated(data_dict, schema.access_request_create_schema(), context)
    return grants.request_dict(grants.create_request(user, data), user)


def daknong_access_request_show(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """One access request with its decisions, grant and history.

    :param id: the request id
    """
    request = grants.get_request(tk.get_or_bust(data_dict, "id"))
    tk.check_access("daknong_access_request_show", context, {"id": request.id})
    return grants.request_dict(request, access.user_object(context))


def daknong_access_request_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> list[dict[str, Any]]:
    """Access requests the caller may see, newest first.

    :param role: ``requester`` (my agencies' requests), ``provider`` (requests to my agencies),
        ``approver`` (awaiting the province; province approvers only) or empty for all visible
    :param status: filter by status (optional)
    :param dataset_id: filter by dataset (optional)
    """
    tk.check_access("daknong_access_request_list", context, data_dict)
    user = _acting_user(context)
    data = _validated(data_dict, schema.access_request_list_schema(), context)
    return grants.list_requests(
        user,
        role=data.get("role") or "",
        status=data.get("status") or "",
        dataset_id=data.get("dataset_id") or "",
    )


def daknong_access_request_decide(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """Approve or refuse a request: the providing agency at ``submitted``, the province
    approver at ``awaiting_approval``; nobody once decided.

    :param id: the request id
    :param decision: ``approve`` or ``refuse``
    :param reason: mandatory when refusing
    """
    request = grants.get_request(tk.get_or_bust(data_dict, "id"))
    tk.check_access("daknong_access_request_decide", context, {"id": request.id})
    data = _validated(data_dict, schema.access_request_decide_schema(), context)
    grants.decide(_acting_user(context), request, data["decision"], data["reason"])
    return grants.request_dict(request, access.user_object(context))


def daknong_access_grant_list(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> list[dict[str, Any]]:
    """Grants the caller may see: those held by or given by the caller's agencies.

    :param dataset_id: filter by dataset (optional)
    :param active_only: only grants active now (default false)
    """
    tk.check_access("daknong_access_grant_list", context, data_dict)
    user = _acting_user(context)
    data = _validated(data_dict, schema.access_grant_list_schema(), context)
    return grants.list_grants(
        user, dataset_id=data.get("dataset_id") or "", active_only=data["active_only"]
    )


def daknong_access_grant_revoke(
    context: dict[str, Any], data_dict: dict[str, Any]
) -> dict[str, Any]:
    """End an active grant before its end date (providing agency or sysadmin).

    :param id: the grant id
    :param reason: why (mandatory)
    """
    grant = grants.get_grant(tk.get_or_bust(data_dict, "id"))
    tk.check_access("daknong_access_grant_revoke", context, {"id": grant.id})
    data = _validated(data_dict, schema.access_grant_revoke_schema(), context)
    grants.revoke(_acting_user(context), grant, data["reason"])
    return grants.grant_dict(grant)


# --- CKAN actions that would otherwise bypass access levels -----------------------------------


def _visible_tag_counts(context: dict[str, Any]) -> dict[str, int]:
    """Free tags of the datasets the caller may read, with counts, through the search index."""
    result = tk.get_action("package_search")(
        {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
        {
            "q": "*:*",
            "rows": 0,
            "include_private": True,
            "facet.field": '["tags"]',
            "facet.limit": -1,
            "facet.mincount": 1,
        },
    )
    return dict(result["facets"].get("tags", {}))


def _matching_tags(context: dict[str, Any], data_dict: dict[str, Any]) -> list[str]:
    query = str(data_dict.get("query") or data_dict.get("q") or "").strip().lower()
    return sorted(name for name in _visible_tag_counts(context) if query in name.lower())


@tk.side_effect_free
@tk.chained_action
def tag_list(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """Tags of restricted or shared data must not reach outsiders (QĐ 43 Art. 10–11)."""
    if data_dict.get("vocabulary_id"):
        return next_action(context, data_dict)
    tk.check_access("tag_list", context, data_dict)
    names = _matching_tags(context, data_dict)
    if tk.asbool(data_dict.get("all_fields")):
        return [{"name": name, "display_name": name, "vocabulary_id": None} for name in names]
    return names


@tk.side_effect_free
@tk.chained_action
def tag_autocomplete(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if data_dict.get("vocabulary_id"):
        return next_action(context, data_dict)
    tk.check_access("tag_autocomplete", context, data_dict)
    limit = int(data_dict.get("limit") or 10)
    return _matching_tags(context, data_dict)[:limit]


@tk.side_effect_free
@tk.chained_action
def tag_search(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    if data_dict.get("vocabulary_id"):
        return next_action(context, data_dict)
    tk.check_access("tag_search", context, data_dict)
    names = _matching_tags(context, data_dict)
    offset = int(data_dict.get("offset") or 0)
    limit = int(data_dict.get("limit") or 10)
    return {
        "count": len(names),
        "results": [{"name": n, "display_name": n} for n in names[offset : offset + limit]],
    }


@tk.side_effect_free
@tk.chained_action
def tag_show(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """A tag exists for the caller only if it is on a dataset the caller may read."""
    result = next_action(context, {**data_dict, "include_datasets": False})
    if not result.get("vocabulary_id") and result["name"] not in _visible_tag_counts(context):
        raise tk.ObjectNotFound(tk._("Tag not found"))
    if tk.asbool(data_dict.get("include_datasets")):
        found = tk.get_action("package_search")(
            {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
            {"fq": f'tags:"{result["name"]}"', "include_private": True, "rows": 1000},
        )
        result["packages"] = found["results"]
    return result


def _refuse_private_flag_change(context: dict[str, Any], data_dict: dict[str, Any], private: bool):
    """Bulk visibility changes must agree with each dataset's access level."""
    conflicting = [
        pkg.name
        for pkg in model.Session.query(model.Package).filter(
            model.Package.id.in_(data_dict.get("datasets") or [])
        )
        if access.private_for(access.access_level_of(pkg)) != private
    ]
    if conflicting:
        raise tk.ValidationError(
            {
                "datasets": [
                    tk._("Visibility follows the access level; change the access level of: %s")
                    % ", ".join(sorted(conflicting))
                ]
            }
        )


@tk.chained_action
def bulk_update_public(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    _refuse_private_flag_change(context, data_dict, private=False)
    return next_action(context, data_dict)


@tk.chained_action
def bulk_update_private(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    _refuse_private_flag_change(context, data_dict, private=True)
    return next_action(context, data_dict)


@tk.side_effect_free
@tk.side_effect_free
@tk.chained_action
def organization_show(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Count the datasets the caller may read, as the agency page lists them.

    Upstream counts private datasets only for the agency's own members, so other agencies
    would see a count without the shared data they may read.
    """
    result = next_action(context, data_dict)
    if "package_count" in result:
        found = tk.get_action("package_search")(
            {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
            {"fq": f'owner_org:"{result["id"]}"', "rows": 0, "include_private": True},
        )
        result["package_count"] = found["count"]
    return result


@tk.side_effect_free
@tk.side_effect_free
@tk.chained_action
def package_list(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream lists every non-private dataset by the raw column, harvest sources included."""
    names = next_action(context, data_dict)
    if authz.is_sysadmin(context.get("user")):
        return names
    hidden = {
        row.name
        for row in model.Session.query(model.Package.name).filter(
            model.Package.type.in_(access.SYSADMIN_ONLY_TYPES)
        )
    }
    return [name for name in names if name not in hidden]


# Accounts (QĐ 43 Art. 12.3): implemented in ckanext.daknong.accounts.
from ckanext.daknong.accounts.actions import (  # noqa: E402
    daknong_user_unlock,
    user_create,
    user_update,
)

__all__ += ["daknong_user_unlock", "user_create", "user_update"]


# --- a refused read answers like a missing one (Low finding; QĐ 43 Art. 10) ----------------


@tk.side_effect_free
@tk.chained_action
def package_show(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """A dataset the caller may not read is "not found", exactly like a name that does not exist.

    Upstream answers 403 for an existing private dataset and 404 for a missing name, so anyone
    could test which restricted names exist. The refusal is still recorded by the sharing log
    (its auth function marks it before raising), and the web pages, which call this action,
    answer CKAN's own 404 page.
    """
    try:
        return next_action(context, data_dict)
    except tk.NotAuthorized:
        raise tk.ObjectNotFound() from None


@tk.side_effect_free
@tk.chained_action
def resource_show(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """A resource of a dataset the caller may not read is "not found" (see ``package_show``)."""
    try:
        return next_action(context, data_dict)
    except tk.NotAuthorized:
        raise tk.ObjectNotFound() from None


# --- listings that name datasets: only those the caller may read (M3, M5; QĐ 43 Art. 10) ------


def _caller_may_skip_filter(context: dict[str, Any]) -> bool:
    """Server-side calls (``ignore_auth``) and sysadmins see every row."""
    return bool(context.get("ignore_auth")) or authz.is_sysadmin(context.get("user"))


@tk.side_effect_free
@tk.chained_action
def member_list(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream lists every dataset of a group or agency, private ones included, to anyone.

    Dataset rows (any ``capacity``) are kept only if the caller may read the dataset; one
    index query for the whole list.
    """
    members = next_action(context, data_dict)
    if _caller_may_skip_filter(context):
        return members
    readable = access.readable_dataset_ids(
        access.user_object(context), (m[0] for m in members if m[1] == "package")
    )
    return [m for m in members if m[1] != "package" or m[0] in readable]


@tk.side_effect_free
@tk.chained_action
def format_autocomplete(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Formats of the resources of datasets the caller may read, most used first.

    Upstream counts every resource in the database. Here one search (a facet on
    ``res_format``, counted per dataset) answers as the caller.
    """
    tk.check_access("format_autocomplete", context, data_dict)
    query = str(tk.get_or_bust(data_dict, "q")).strip().lower()
    try:
        limit = int(data_dict.get("limit") or 5)
    except (TypeError, ValueError):
        raise tk.ValidationError({"limit": [tk._("Invalid integer")]}) from None
    found = tk.get_action("package_search")(
        {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
        {
            "q": "*:*",
            "rows": 0,
            "include_private": True,
            "facet.field": ["res_format"],
            "facet.limit": -1,
            "facet.mincount": 1,
        },
    )
    counts: dict[str, int] = {}
    for name, count in found["facets"].get("res_format", {}).items():
        if query in name.lower():
            counts[name.lower()] = counts.get(name.lower(), 0) + count
    return sorted(counts, key=lambda name: (-counts[name], name))[: max(limit, 0)]


def _not_found_dataset() -> tk.ValidationError:
    """What upstream answers for a dataset that does not exist (package_id_or_name_exists)."""
    return tk.ValidationError({"id": [f"{tk._('Not found')}: {tk._('Dataset')}"]})


def _refuse_unreadable_dataset(context: dict[str, Any], data_dict: dict[str, Any]) -> None:
    """A dataset the caller may not read answers exactly like one that does not exist."""
    if _caller_may_skip_filter(context):
        return
    dataset = model.Package.get(str(data_dict.get("id") or ""))
    if dataset is not None and not access.readable_dataset_ids(
        access.user_object(context), [dataset.id]
    ):
        raise _not_found_dataset()


@tk.side_effect_free
@tk.chained_action
def dataset_follower_count(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """Upstream answers a count for any existing name: an existence signal (QĐ 43 Art. 10)."""
    _refuse_unreadable_dataset(context, data_dict)
    return next_action(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def am_following_dataset(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    _refuse_unreadable_dataset(context, data_dict)
    return next_action(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def dataset_followee_count(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]):
    """The followed datasets the caller may read, as dataset_followee_list lists them.

    Upstream (2.11) validates and authorises, then counts the user's followed groups instead.
    """
    count = next_action(context, data_dict)
    user = model.User.get(str(data_dict.get("id") or ""))
    if user is None:
        return count
    followed = [f.object_id for f in model.UserFollowingDataset.followee_list(user.id)]
    if _caller_may_skip_filter(context):
        return len(followed)
    return len(access.readable_dataset_ids(access.user_object(context), followed))
