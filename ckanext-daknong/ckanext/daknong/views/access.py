"""Pages of the access-request workflow (QĐ 43 Art. 10.2; NĐ 47 Art. 35).

Thin views over the ``daknong_access_*`` actions: the workflow, its checks and its messages
live in ``grants``; a page only gathers input, calls an action and shows its answer, so the
browser and the API cannot disagree.

``/access-requests``             dashboard: my agencies' requests, requests to my agencies,
                                 requests awaiting the province, grants
``/access-requests/new``         the NĐ 47 Art. 35.1 request form (``?dataset=<name>``)
``/access-requests/<id>``        one request with its history, deadline and decision forms

A restricted dataset is a 404 to agencies without a grant, so they could never reach a
"Request access" button on its page. ``restricted_dataset_page`` answers ``/dataset/<name>``
for them instead, with that button and nothing but the name they typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, request
from werkzeug.wrappers import Response

from ckanext.daknong import access, membership
from ckanext.daknong.grants import LOCAL_TZ, REQUIRED_FIELDS

access_requests = Blueprint("daknong_access", __name__)

# The NĐ 47 Art. 35.1 content of a request, as the form posts it.
FORM_FIELDS = REQUIRED_FIELDS
TABS = ("requester", "provider", "approver", "grants")


# --- plumbing --------------------------------------------------------------------------------


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name, "auth_user_obj": tk.current_user}


def _call(action: str, **data_dict: Any) -> Any:
    return tk.get_action(action)(_context(), data_dict)


def _error_summary(error: tk.ValidationError) -> str:
    """One line for a flash message: the action's messages, without field names."""
    messages = [
        str(message)
        for value in error.error_dict.values()
        for message in (value if isinstance(value, list) else [value])
    ]
    return " ".join(messages) or str(error)


def local_time(value: str | None) -> str:
    """An ISO timestamp shown in the province's time zone, as officials count deadlines."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M (GMT+7)")


def local_date(value: str | None) -> str:
    """An ISO date as Vietnamese documents write it (dd/mm/yyyy)."""
    return dt.date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


@access_requests.before_request
def _require_login() -> Response | None:
    """Every page here acts for an agency: anonymous visitors log in first."""
    if tk.current_user.is_authenticated:
        return None
    return tk.redirect_to("user.login", came_from=request.full_path)


# --- dashboard -------------------------------------------------------------------------------


def _user_agencies() -> list[dict[str, str]]:
    """The agencies the user may request for (the action accepts only these)."""
    agencies = []
    for org_id in membership.organization_ids(tk.current_user):
        org = model.Group.get(org_id)
        if org is not None:
            code = org.extras.get("agency_code") or ""
            agencies.append({"id": org.id, "name": org.name, "title": org.title, "code": code})
    return sorted(agencies, key=lambda agency: agency["title"])


def _grant_rows(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grants with the names a reader recognises; both parties already know the dataset."""
    rows = []
    for grant in grants:
        dataset = model.Package.get(grant["dataset_id"])
        org = model.Group.get(grant["org_id"])
        rows.append(
            {
                **grant,
                "dataset_name": dataset.name if dataset else grant["dataset_id"],
                "org_title": org.title if org else grant["org_id"],
            }
        )
    return rows


@access_requests.route("/access-requests")
def index() -> str:
    is_approver = tk.h.check_access("daknong_access_request_list", {"role": "approver"})
    tab = request.args.get("tab", "requester")
    if tab not in TABS or (tab == "approver" and not is_approver):
        tab = "requester"
    extra: dict[str, Any] = {"requests": [], "grants": []}
    try:
        if tab == "grants":
            extra["grants"] = _grant_rows(_call("daknong_access_grant_list"))
        else:
            extra["requests"] = _call("daknong_access_request_list", role=tab)
    except tk.NotAuthorized as error:
        tk.h.flash_error(str(error))
    return tk.render(
        "access/index.html",
        {**extra, "tab": tab, "is_approver": is_approver, "local_time": local_time},
    )


# --- new request -----------------------------------------------------------------------------


def _form(data: dict[str, Any], errors: dict[str, Any]) -> str:
    return tk.render(
        "access/new.html",
        {"data": data, "errors": errors, "agencies": _user_agencies()},
    )


@access_requests.route("/access-requests/new", methods=["GET", "POST"])
def new() -> str | Response:
    """The request form; the dataset is shown only by the name the user typed."""
    try:
        tk.check_access("daknong_access_request_create", _context(), {})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    if request.method == "GET":
        return _form({"dataset_id": request.args.get("dataset", "").strip()}, {})

    data = {field: request.form.get(field, "").strip() for field in FORM_FIELDS}
    try:
        created = _call("daknong_access_request_create", **data)
    except tk.ValidationError as error:
        return _form(data, error.error_dict)
    except tk.ObjectNotFound as error:
        return _form(data, {"dataset_id": [str(error) or tk._("Dataset not found")]})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    tk.h.flash_success(tk._("Your access request has been sent to the providing agency."))
    return tk.redirect_to("daknong_access.read", id=created["id"])


# --- one request -----------------------------------------------------------------------------


def _show(request_id: str) -> dict[str, Any]:
    """The request through its action; outsiders get 403, unknown ids 404."""
    try:
        return _call("daknong_access_request_show", id=request_id)
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))


@access_requests.route("/access-requests/<id>")
def read(id: str) -> str:
    shown = _show(id)
    return tk.render(
        "access/read.html",
        {
            "access_request": shown,
            "local_time": local_time,
            "local_date": local_date,
        },
    )


@access_requests.route("/access-requests/<id>/decide", methods=["POST"])
def decide(id: str) -> Response:
    """Approve, or refuse with a reason (NĐ 47 Art. 35.3); the action enforces both."""
    try:
        _call(
            "daknong_access_request_decide",
            id=id,
            decision=request.form.get("decision", ""),
            reason=request.form.get("reason", ""),
        )
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.ValidationError as error:
        tk.h.flash_error(_error_summary(error))
    except tk.NotAuthorized as error:
        tk.h.flash_error(str(error))
    else:
        tk.h.flash_success(tk._("Your decision has been recorded."))
    return tk.redirect_to("daknong_access.read", id=id)


@access_requests.route("/access-requests/<id>/revoke", methods=["POST"])
def revoke(id: str) -> Response:
    """End the request's grant early; only the providing agency may (the action checks)."""
    grant = _show(id).get("grant")
    if not grant:
        tk.h.flash_error(tk._("This request has no grant to revoke."))
        return tk.redirect_to("daknong_access.read", id=id)
    try:
        _call("daknong_access_grant_revoke", id=grant["id"], reason=request.form.get("reason", ""))
    except tk.ValidationError as error:
        tk.h.flash_error(_error_summary(error))
    except (tk.NotAuthorized, tk.ObjectNotFound) as error:
        tk.h.flash_error(str(error))
    else:
        tk.h.flash_success(tk._("The grant has been revoked."))
    return tk.redirect_to("daknong_access.read", id=id)


# --- the dataset page of a restricted dataset ------------------------------------------------


def _requestable(typed: str) -> bool:
    """An active restricted dataset, typed by its name, the agency member may not read yet."""
    user = tk.current_user
    if not typed or not user.is_authenticated or not membership.organization_ids(user):
        return False
    dataset = model.Package.get(typed)
    return (
        dataset is not None
        and dataset.name == typed  # an id never turns into a name (M3): ids keep the 404
        and dataset.type == "dataset"
        and dataset.state == model.State.ACTIVE
        and access.access_level_of(dataset) == access.RESTRICTED
        and not access.can_read(user.name, dataset.id)
    )


def restricted_dataset_page() -> tuple[str, int] | None:
    """Offer "Request access" where CKAN would answer 404 (NĐ 47 Art. 35.1).

    An application-wide ``before_request`` hook (registered by the plugin class): runs before
    ``dataset.read`` and steps in only for a restricted dataset the agency may
    not read; every other dataset page, and every other 404, is CKAN's own. The page shows
    only what the user typed, never the title or description.
    """
    if request.endpoint != "dataset.read" or not tk.current_user.is_authenticated:
        return None
    typed = str((request.view_args or {}).get("id") or "")
    if not _requestable(typed):
        return None
    return tk.render("access/restricted_dataset.html", {"dataset_name": typed}), 403
