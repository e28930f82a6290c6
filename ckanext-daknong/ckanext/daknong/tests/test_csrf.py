"""H2: the extensions' POST forms refuse cross-site posts (QĐ 43 Art. 10, 12).

The attack of the review: a logged-in agency user visits another site, whose page posts a form
to ``/access-requests/...`` or ``/harvest-check`` on the portal; the browser sends the session
cookie and the post was accepted, because CKAN exempts plugin blueprints from the CSRF check
while ``ckan.csrf_protection.ignore_extensions`` is true. Here the portal runs under gunicorn
and a ``requests`` session plays the browser: it logs in through the login form and holds the
cookie; the "other site" posts with that cookie, its own ``Origin`` and no token.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import requests
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.model.access import AccessRequest
from ckanext.daknong.tests import live_portal
from ckanext.daknong.tests.factories import Agency

PASSWORD = "Ca-phe-Buon-Don-2026!"
TOKEN = re.compile(r'name="_csrf_token"\s+value="([^"]+)"')
EVIL = {"Origin": "http://evil.example", "Referer": "http://evil.example/trap.html"}


@pytest.fixture
def portal(with_plugins, clean_db, clean_index, tmp_path) -> Iterator[str]:
    """gunicorn (1 worker) on a free loopback port; yields its base URL.

    Its ini file leaves the extensions exempt, as CKAN's default does for a deployment that
    forgets the line: the portal's plugin must switch the check on by itself."""
    options = {"ckan.csrf_protection.ignore_extensions": "true"}
    with live_portal.gunicorn(tmp_path, workers=1, **options) as base:
        yield base


def _token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    found = TOKEN.search(page.text)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def _login(base: str, name: str) -> requests.Session:
    session = requests.Session()
    token = _token(session, f"{base}/en/user/login")
    response = session.post(
        f"{base}/en/user/login",
        data={"login": name, "password": PASSWORD, "_csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[-500:]
    assert "/user/login" not in response.headers.get("Location", "")
    return session


def _requests_count() -> int:
    model.Session.remove()
    return model.Session.query(AccessRequest).count()


def test_cross_site_posts_to_the_extension_forms_are_refused(portal):
    """H2 (QĐ 43 Art. 10, 12): no token, no effect; the page's own token works."""
    provider = Agency(name="so-cung-cap-csrf")
    consumer = Agency(name="so-su-dung-csrf")
    sysadmin = factories.Sysadmin()
    call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        name="du-lieu-han-che-csrf",
        title="Dữ liệu hạn chế",
        owner_org=provider["id"],
        access_level="restricted",
        license_id="other-closed",
    )
    user = factories.User(password=PASSWORD)
    call_action(
        "organization_member_create", id=consumer["id"], username=user["name"], role="editor"
    )
    today = dt.date.today()
    form = {
        "dataset_id": "du-lieu-han-che-csrf",
        "requester_org_id": consumer["id"],
        "application": "Hệ thống một cửa điện tử tỉnh",
        "purpose": "Giải quyết thủ tục hành chính",
        "intended_use": "Tra cứu khi tiếp nhận hồ sơ",
        "requested_data": "Số thửa, diện tích",
        "access_frequency": "Hằng ngày",
        "period_start": today.isoformat(),
        "period_end": (today + dt.timedelta(days=90)).isoformat(),
    }
    browser = _login(portal, user["name"])

    # the other site's form: the victim's cookie, its own Origin, no token
    forged = browser.post(
        f"{portal}/en/access-requests/new",
        data=form,
        headers=EVIL,
        timeout=30,
        allow_redirects=False,
    )
    assert forged.status_code in (400, 403), forged.status_code
    assert _requests_count() == 0

    forged_check = browser.post(
        f"{portal}/en/harvest-check",
        data={"agency": consumer["name"], "source_type": "daknong_dcat", "url": "http://x/"},
        headers=EVIL,
        timeout=30,
        allow_redirects=False,
    )
    assert forged_check.status_code in (400, 403), forged_check.status_code

    # a token of another session (the attacker's own) does not help either
    attacker = requests.Session()
    stolen = _token(attacker, f"{portal}/en/user/login")
    replayed = browser.post(
        f"{portal}/en/access-requests/new",
        data={**form, "_csrf_token": stolen},
        headers=EVIL,
        timeout=30,
        allow_redirects=False,
    )
    assert replayed.status_code in (400, 403), replayed.status_code
    assert _requests_count() == 0

    # the portal's own page: the same post with the page's token is accepted
    token = _token(browser, f"{portal}/en/access-requests/new")
    sent = browser.post(
        f"{portal}/en/access-requests/new",
        data={**form, "_csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    assert sent.status_code == 302, sent.text[-800:]
    assert _requests_count() == 1
    request_id = model.Session.query(AccessRequest).one().id

    # a forged decision on the new request changes nothing either
    before = model.Session.query(AccessRequest).one().status
    forged_decide = browser.post(
        f"{portal}/en/access-requests/{request_id}/decide",
        data={"decision": "approve", "reason": ""},
        headers=EVIL,
        timeout=30,
        allow_redirects=False,
    )
    assert forged_decide.status_code in (400, 403), forged_decide.status_code
    model.Session.remove()
    assert model.Session.query(AccessRequest).one().status == before

    check_token = _token(browser, f"{portal}/en/harvest-check")
    checked = browser.post(
        f"{portal}/en/harvest-check",
        data={
            "agency": consumer["name"],
            "source_type": "daknong_dcat",
            "url": "http://127.0.0.1:9/",
            "_csrf_token": check_token,
        },
        timeout=30,
        allow_redirects=False,
    )
    assert checked.status_code == 200, checked.status_code

    # and over real HTTP the answers carry the security headers (Low finding)
    assert checked.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in checked.headers["Content-Security-Policy"]
