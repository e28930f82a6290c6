"""The guide pages linked from the home page and every footer (issue 12 §2): how each kind
of data is obtained (NĐ 47 Art. 18 and 35; QĐ 43 Art. 10.2) and the API for developers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("with_plugins")


def _page(app, url: str) -> str:
    response = app.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_request_data_names_the_configured_decision_deadline(app):
    page = _page(app, "/request-data")
    assert "trong vòng 2 ngày làm việc" in page  # NĐ 47 Art. 35.3, as amended in 2025
    assert "Điều 35 Nghị định số 47/2020/NĐ-CP" in page
    assert 'href="/open-data-terms"' in page


@pytest.mark.ckan_config("ckanext.daknong.provider_decision_working_days", 5)
def test_the_deadline_follows_the_setting(app):
    assert "trong vòng 5 ngày làm việc" in _page(app, "/request-data")


def test_the_api_guide_shows_the_portal_s_own_endpoints(app, ckan_config):
    page = _page(app, "/api-guide")
    base = ckan_config["ckan.site_url"].rstrip("/") + "/api/3/action/"
    assert f"{base}package_search?q=dan+so" in page
    assert 'href="/catalog.ttl"' in page
    assert 'href="/catalogue.csv"' in page


def test_in_english(app):
    page = _page(app, "/en/request-data")
    assert "within 2 working days" in page
    assert "Open data: for everyone" in page
