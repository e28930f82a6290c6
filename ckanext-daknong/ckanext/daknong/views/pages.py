"""The portal's guide pages, linked from the home page and every footer (issue 12 §2).

``/request-data`` says how each kind of data is obtained: open data freely (NĐ 47 Art. 18),
shared data through an agency account (QĐ 43 Art. 10), restricted data by a request the
provider decides within its working-day deadline (NĐ 47 Art. 35), and whom to ask for data
that is not published. ``/api-guide`` shows developers how to search and download open data
through CKAN's API and the DCAT-AP catalogue. Both are static text; anyone may read them.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint

pages = Blueprint("daknong_pages", __name__)


@pages.route("/request-data")
def request_data() -> str:
    return tk.render(
        "pages/request_data.html",
        extra_vars={
            "decision_days": tk.config.get("ckanext.daknong.provider_decision_working_days")
        },
    )


@pages.route("/api-guide")
def api_guide() -> str:
    return tk.render(
        "pages/api_guide.html",
        extra_vars={"api_base": tk.config.get("ckan.site_url").rstrip("/") + "/api/3/action/"},
    )
