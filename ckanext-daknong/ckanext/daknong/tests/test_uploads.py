"""H3: uploaded files are never active content from the portal's origin (QĐ 43 Art. 12).

The attack of the review: an agency editor uploads an ``.html`` or ``.svg`` file with a script
to a shared dataset; every agency user who opens it ran the script with the portal's cookies.
The files are uploaded through the real API (multipart, as the web form and ckanapi do) and
downloaded through CKAN's ``resource.download`` view, by both of its URLs.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from ckan.tests import factories

from ckanext.daknong.tests.factories import Agency, agency_member

SCRIPT = "<script>fetch('/api/3/action/package_search').then(r => r.text())</script>"
FILES = {
    "trang.html": ("text/html", f"<html><body><h1>Báo cáo</h1>{SCRIPT}</body></html>"),
    "bieu-do.svg": (
        "image/svg+xml",
        f'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/>{SCRIPT}</svg>',
    ),
    "du-lieu.xml": ("application/xml", f"<a xmlns:h='http://www.w3.org/1999/xhtml'>{SCRIPT}</a>"),
    "ma.js": ("application/javascript", "alert(document.cookie)"),
    "khong-ro.bin": ("", "<html><script>alert(1)</script></html>"),
}
ACTIVE = ("text/html", "image/svg+xml", "application/xml", "text/xml", "application/javascript")

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def uploaded(app) -> dict[str, Any]:
    """An open dataset of an agency whose editor uploaded every file of ``FILES``."""
    agency = Agency()
    editor = agency_member(agency, "editor")
    dataset = factories.Dataset(owner_org=agency["id"], access_level="open", license_id="cc-by")
    resources = {}
    for filename, (mimetype, body) in FILES.items():
        data = {
            "package_id": dataset["id"],
            "name": filename,
            "upload": (io.BytesIO(body.encode("utf-8")), filename),
        }
        if mimetype:
            # the declared type is the attacker's to choose: it must not matter
            data["mimetype"] = mimetype
        response = app.post(
            "/api/3/action/resource_create",
            data=data,
            headers={"Authorization": editor["token"]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        resources[filename] = response.json["result"]
    return {"dataset": dataset, "resources": resources, "editor": editor}


def _downloads(uploaded: dict[str, Any], filename: str) -> list[str]:
    dataset_id = uploaded["dataset"]["id"]
    res_id = uploaded["resources"][filename]["id"]
    return [
        f"/dataset/{dataset_id}/resource/{res_id}/download",
        f"/dataset/{dataset_id}/resource/{res_id}/download/{filename}",
    ]


def test_active_uploads_are_attachments_not_inline_pages(app, uploaded):
    """H3 (QĐ 43 Art. 12): HTML, SVG, XML, JS and unknown uploads are inert attachments."""
    for filename in FILES:
        for url in _downloads(uploaded, filename):
            response = app.get(url, follow_redirects=False)

            assert response.status_code == 200, (url, response.status_code)
            assert SCRIPT in response.get_data(as_text=True) or "alert(" in response.get_data(
                as_text=True
            )  # the file itself is delivered unchanged
            content_type = response.headers["Content-Type"].split(";")[0].strip().lower()
            assert content_type not in ACTIVE, (url, content_type)
            assert content_type == "application/octet-stream", (url, content_type)
            assert response.headers["Content-Disposition"].startswith("attachment"), url
            assert response.headers["X-Content-Type-Options"] == "nosniff", url
            csp = response.headers["Content-Security-Policy"]
            assert csp.split(";")[0].strip() == "sandbox", (url, csp)
            assert "default-src 'none'" in csp


def test_attachment_keeps_the_file_name(app, uploaded):
    """The saved file keeps its name; a quote in the URL cannot break the header."""
    url = _downloads(uploaded, "trang.html")[1]
    disposition = app.get(url).headers["Content-Disposition"]
    assert 'filename="trang.html"' in disposition


def test_safe_types_stay_inline_but_sandboxed(app, uploaded):
    """A CSV stays viewable in the browser, still with nosniff and the sandbox policy."""
    agency_editor = uploaded["editor"]
    response = app.post(
        "/api/3/action/resource_create",
        data={
            "package_id": uploaded["dataset"]["id"],
            "name": "bang.csv",
            "upload": (io.BytesIO(b"cot,giatri\na,1\n"), "bang.csv"),
        },
        headers={"Authorization": agency_editor["token"]},
        content_type="multipart/form-data",
    )
    resource = response.json["result"]
    download = app.get(
        f"/dataset/{uploaded['dataset']['id']}/resource/{resource['id']}/download/bang.csv"
    )

    assert download.headers["Content-Type"].startswith("text/csv")
    assert "attachment" not in download.headers.get("Content-Disposition", "")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")


def test_a_province_may_shorten_the_inline_list(app, uploaded, ckan_config, monkeypatch):
    """``ckanext.daknong.security.inline_download_types`` decides what may stay inline."""
    monkeypatch.setitem(ckan_config, "ckanext.daknong.security.inline_download_types", [])
    url = _downloads(uploaded, "trang.html")[0]
    assert app.get(url).headers["Content-Disposition"].startswith("attachment")
