"""The public page of the published catalogue (QĐ 43 Art. 9.2–9.3) and its downloads.

``/catalogue`` shows what ``daknong_catalogue_show`` returns, with filters;
``/catalogue.csv`` and ``/catalogue.xlsx`` download the same content. Anyone may read them.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, request

from ckanext.daknong import catalogue as builder
from ckanext.daknong import tabular

catalogue = Blueprint("daknong_catalogue", __name__)

FILE_NAME = "danh-muc-co-so-du-lieu-dung-chung"


def _filters() -> dict[str, str]:
    """The filters of the query string, without empty ones."""
    return {
        key: request.args[key].strip()
        for key in builder.Filters.__dataclass_fields__
        if request.args.get(key, "").strip()
    }


def _content(filters: dict[str, str]) -> dict[str, Any]:
    """The catalogue through its action, so the page and the API cannot differ."""
    return tk.get_action("daknong_catalogue_show")({}, dict(filters))


@catalogue.route("/catalogue")
def index() -> str:
    filters = _filters()
    return tk.render(
        "catalogue/index.html",
        {
            "catalogue": _content(filters),
            "filters": filters,
            "options": builder.filter_options(),
            "field_labels": builder.field_labels(),
            "downloads": {
                "csv": tk.url_for("daknong_catalogue.download_csv", **filters),
                "xlsx": tk.url_for("daknong_catalogue.download_xlsx", **filters),
            },
        },
    )


@catalogue.route("/catalogue.csv")
def download_csv() -> Response:
    body = builder.to_csv(_content(_filters()))
    return _attachment(body, tabular.CSV_MIMETYPE, "csv")


@catalogue.route("/catalogue.xlsx")
def download_xlsx() -> Response:
    body = builder.to_xlsx(_content(_filters()))
    return _attachment(body, tabular.XLSX_MIMETYPE, "xlsx")


def _attachment(body: bytes, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{FILE_NAME}.{extension}"'
    return response
