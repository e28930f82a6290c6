"""The sharing-log pages (NĐ 47 Art. 45.3) and the request hooks that write the log.

``/sharing-log``       entries the viewer may read, with filters and paging
``/sharing-log.csv``   the same entries (filters apply, no paging) as CSV
``/sharing-log.xlsx``  … and as a workbook

The application-wide hooks that write the log are registered by the plugin class
(``plugin.py``, ``IMiddleware``).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, Response, request

from ckanext.daknong import access, tabular
from ckanext.daknong.sharing_log import entries, listing

sharing_log = Blueprint("daknong_sharing_log", __name__)

FILTERS = ("date_from", "date_to", "agency", "dataset", "channel", "status", "event")
FILE_NAME = "nhat-ky-chia-se-du-lieu"
WORKBOOK_TITLE = "Nhật ký chia sẻ dữ liệu"


def _filters() -> dict[str, str]:
    return {key: request.args[key].strip() for key in FILTERS if request.args.get(key, "").strip()}


def _list(data_dict: dict[str, Any]) -> dict[str, Any]:
    context = {"user": tk.current_user.name, "auth_user_obj": tk.current_user}
    return tk.get_action("daknong_sharing_log_list")(context, data_dict)


def _refusal(error: tk.NotAuthorized) -> Any:
    if not tk.current_user.is_authenticated:
        return tk.redirect_to("user.login", came_from=request.full_path)
    return tk.abort(403, str(error) or tk._("Not authorised to read the data sharing log"))


def _page_number() -> int:
    try:
        return max(int(request.args.get("page") or 1), 1)
    except ValueError:
        return 1


@sharing_log.route("/sharing-log")
def index() -> Any:
    filters = _filters()
    page = _page_number()
    try:
        offset = (page - 1) * listing.DEFAULT_LIMIT
        result = _list({**filters, "limit": listing.DEFAULT_LIMIT, "offset": offset})
    except tk.NotAuthorized as error:
        return _refusal(error)
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(str(m) for v in error.error_dict.values() for m in v))
        filters, result = {}, _list({"limit": listing.DEFAULT_LIMIT})
    pages = max((result["count"] + listing.DEFAULT_LIMIT - 1) // listing.DEFAULT_LIMIT, 1)
    return tk.render(
        "sharing_log/index.html",
        {
            "result": result,
            "filters": filters,
            "page": page,
            "pages": pages,
            "channels": entries.CHANNELS,
            "statuses": entries.STATUSES,
            "datasets": _dataset_titles(result["results"]),
            "downloads": {
                "csv": tk.url_for("daknong_sharing_log.download_csv", **filters),
                "xlsx": tk.url_for("daknong_sharing_log.download_xlsx", **filters),
            },
        },
    )


def _dataset_titles(results: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Name and title of the entries' datasets that the viewer may read (as package_show).

    A requester sees the entries of its own refused requests: the title of a restricted
    dataset it may not read is not shown there, only the id the entry already holds.
    """
    ids = {dataset_id for entry in results for dataset_id in entry.get("dataset_ids") or []}
    readable = access.readable_dataset_ids(tk.current_user, ids)
    if not readable:
        return {}
    rows = model.Session.query(model.Package.id, model.Package.name, model.Package.title)
    return {
        package_id: {"name": name, "title": title or name}
        for package_id, name, title in rows.filter(model.Package.id.in_(readable))
    }


def _export(kind: str) -> Any:
    try:
        result = listing.list_entries(tk.current_user, _filters(), export=True)
    except tk.NotAuthorized as error:
        return _refusal(error)
    except tk.ValidationError as error:
        return tk.abort(400, " ".join(str(m) for v in error.error_dict.values() for m in v))
    rows = listing.export_rows(result)
    if kind == "csv":
        body, mimetype = tabular.to_csv(listing.headers(), rows), tabular.CSV_MIMETYPE
    else:
        body = tabular.to_xlsx(WORKBOOK_TITLE, WORKBOOK_TITLE, listing.headers(), rows)
        mimetype = tabular.XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{FILE_NAME}.{kind}"'
    return response


@sharing_log.route("/sharing-log.csv")
def download_csv() -> Any:
    return _export("csv")


@sharing_log.route("/sharing-log.xlsx")
def download_xlsx() -> Any:
    return _export("xlsx")
