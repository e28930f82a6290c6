"""Low finding "no security headers" (QĐ 43 Art. 12: protecting the portal's users).

Every answer, whatever produced it (a page, the API, a download, an error page), carries
anti-framing, nosniff, a referrer policy and a Content-Security-Policy; HSTS only when the site
is served over https. Before the fix none of these headers was sent.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _assert_common(response, url: str) -> None:
    headers = response.headers
    assert headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", url
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, (url, csp)
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp, (url, csp)
    assert "Strict-Transport-Security" not in headers, url  # test.ini's site is http


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/dataset/", 200),
        ("/user/login", 200),
        ("/api/3/action/status_show", 200),
        ("/api/3/action/package_show?id=khong-ton-tai", 404),
        ("/dataset/khong-ton-tai", 404),
        ("/duong-dan-khong-co", 404),
    ],
)
def test_pages_api_and_errors_carry_the_headers(app, url, status):
    """Low (QĐ 43 Art. 12): pages, API answers and error pages carry the security headers."""
    response = app.get(url, follow_redirects=False)
    assert response.status_code == status, url
    _assert_common(response, url)


def test_a_download_carries_them_with_its_own_sandbox_policy(app, create_with_upload):
    """Low + H3: a download keeps anti-framing and nosniff, and its CSP is the sandbox one."""
    from ckan.tests import factories

    from ckanext.daknong.tests.factories import Agency

    sysadmin = factories.Sysadmin()
    dataset = factories.Dataset(owner_org=Agency()["id"], access_level="open", license_id="cc-by")
    resource = create_with_upload(
        "cot\n1\n",
        "bang.csv",
        context={"user": sysadmin["name"]},
        package_id=dataset["id"],
        url="bang.csv",
    )
    url = f"/dataset/{dataset['id']}/resource/{resource['id']}/download/bang.csv"
    response = app.get(url)

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


def test_hsts_only_behind_https(app, ckan_config, monkeypatch):
    """Low: Strict-Transport-Security is sent when ckan.site_url is https, and only then."""
    monkeypatch.setitem(ckan_config, "ckan.site_url", "https://dulieu.daknong.gov.vn")
    response = app.get("/api/3/action/status_show")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_province_may_allow_its_own_sites_to_frame_the_portal(app, ckan_config, monkeypatch):
    """The framing rule is configuration: a listed origin replaces 'none' (no X-Frame-Options)."""
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.security.frame_ancestors", "https://daknong.gov.vn"
    )
    response = app.get("/")
    assert "frame-ancestors https://daknong.gov.vn" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_the_portal_pages_keep_working_under_the_policy(app):
    """CKAN's pages load their scripts and styles from the portal's own origin (webassets)."""
    page = app.get("/dataset/").get_data(as_text=True)
    csp = app.get("/dataset/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "/webassets/" in page  # the assets are served by the portal itself
    assert 'src="http' not in page  # no script from another host that the policy would block
