"""Pages of the harvest plugin: quarterly status, self-check, the spreadsheet template.

``/harvest-status`` shows every agency to the provincial data administrator and sysadmins,
and their own agencies to agency users. ``/harvest-check`` lets an agency's editors validate
their catalogue. ``/harvest/template.{csv,xlsx}`` is public: anyone may prepare a catalogue.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, Response, request

from ckanext.daknong import access, membership
from ckanext.daknong.harvest import schedule, spreadsheet

harvest_pages = Blueprint("daknong_harvest", __name__)

__all__ = ["harvest_pages"]

TEMPLATE_NAME = "mau-danh-muc-du-lieu"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def status_labels() -> dict[str, str]:
    """Status names in the user's language (at request time, hence a function)."""
    return {
        schedule.ON_TIME: tk._("On time"),
        schedule.LATE: tk._("Late"),
        schedule.FAILED: tk._("Failed"),
        schedule.RUNNING: tk._("Running"),
        schedule.NOT_RUN: tk._("Not run"),
    }


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else None}


@harvest_pages.route("/harvest-status")
def status() -> str:
    data = {"quarter": request.args.get("quarter", "").strip()}
    try:
        result = tk.get_action("daknong_harvest_status")(_context(), data)
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only agency users can see harvest status."))
    except tk.ValidationError as error:
        return tk.abort(400, "; ".join(error.error_dict.get("quarter", [])))
    return tk.render(
        "daknong_harvest/status.html",
        {"status": result, "labels": status_labels()},
    )


def _editable_agencies() -> list[model.Group]:
    user = access.user_object(_context())
    if user is None:
        return []
    groups = [model.Group.get(i) for i in membership.organization_ids(user)]
    if user.sysadmin:
        groups = (
            model.Session.query(model.Group)
            .filter_by(is_organization=True, state="active")
            .order_by(model.Group.title)
            .all()
        )
    return [g for g in groups if g is not None]


@harvest_pages.route("/harvest-check", methods=["GET", "POST"])
def check() -> str:
    if not tk.current_user.is_authenticated:
        return tk.abort(403, tk._("Only the agency's editors can check its catalogue."))
    report, errors = None, {}
    form = {"agency": "", "source_type": "daknong_spreadsheet", "url": ""}
    if request.method == "POST":
        form = {key: request.form.get(key, "").strip() for key in form}
        upload = request.files.get("upload")
        data = {**form, "upload": upload.read() if upload and upload.filename else None}
        try:
            report = tk.get_action("daknong_harvest_check")(_context(), data)
        except tk.NotAuthorized:
            return tk.abort(403, tk._("Only the agency's editors can check its catalogue."))
        except tk.ObjectNotFound as error:
            errors = {"agency": [str(error)]}
        except tk.ValidationError as error:
            errors = error.error_dict
    return tk.render(
        "daknong_harvest/check.html",
        {"report": report, "errors": errors, "form": form, "agencies": _editable_agencies()},
    )


@harvest_pages.route("/harvest/template.csv")
def template_csv() -> Response:
    return _attachment(spreadsheet.template_csv(), "text/csv; charset=utf-8", "csv")


@harvest_pages.route("/harvest/template.xlsx")
def template_xlsx() -> Response:
    return _attachment(spreadsheet.template_xlsx(), XLSX_MIMETYPE, "xlsx")


def _attachment(body: bytes, mimetype: str, extension: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}.{extension}"'},
    )
