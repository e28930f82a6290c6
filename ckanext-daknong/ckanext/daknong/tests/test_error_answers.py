"""Low findings: answers that told an attacker more than "no" (QĐ 43 Art. 10, 12.3).

* a restricted dataset's name that exists answered 403, a missing one 404: anyone could test
  which restricted names exist; now both are the same 404, on the page and the API, and the
  refusal is still in the sharing log;
* the password-reset form answered differently for an existing account;
* ``came_from=\\\\evil`` on login/logout was a 500, ``/\\\\evil.example`` an open redirect.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.factories import Agency, agency_member

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PASSWORD = "Ca-phe-Buon-Don-2026!"


@pytest.fixture
def restricted(app) -> dict:
    owner = Agency()
    sysadmin = factories.Sysadmin()
    dataset = call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        name="ho-so-mat-ton-tai",
        title="Hồ sơ mật",
        owner_org=owner["id"],
        access_level="restricted",
        license_id="other-closed",
    )
    resource = call_action(
        "resource_create",
        context={"user": sysadmin["name"]},
        package_id=dataset["id"],
        url="http://example.invalid/tep.csv",
        name="tep",
    )
    return {"dataset": dataset, "resource": resource, "owner": owner}


def _shape(body: str, *words: str) -> str:
    """The body with the typed names replaced, to compare the two answers' shapes."""
    for word in words:
        body = body.replace(word, "NAME")
    body = re.sub(r'name="_csrf_token" value="[^"]*"', "", body)
    # the per-session CSRF token in the page's <meta> differs between any two answers
    return re.sub(r'content="[\w-]+\.[\w-]+\.[\w-]+"', 'content="TOKEN"', body)


@pytest.mark.parametrize("who", ["anonymous", "no_agency", "other_agency"])
def test_existing_restricted_names_answer_like_missing_ones_in_the_api(app, restricted, who):
    """Low (QĐ 43 Art. 10): package_show and resource_show: 404, the same body, for both."""
    user = {
        "anonymous": None,
        "no_agency": factories.UserWithToken(),
        "other_agency": agency_member(Agency()),
    }[who]
    headers = {"Authorization": user["token"]} if user else {}
    missing_id = "00000000-0000-0000-0000-000000000000"
    for action, existing in (
        ("package_show", restricted["dataset"]["name"]),
        ("package_show", restricted["dataset"]["id"]),
        ("resource_show", restricted["resource"]["id"]),
    ):
        found = app.get(f"/api/3/action/{action}", query_string={"id": existing}, headers=headers)
        missing = app.get(
            f"/api/3/action/{action}", query_string={"id": missing_id}, headers=headers
        )
        assert found.status_code == missing.status_code == 404, (action, found.status_code)
        assert found.json["error"] == missing.json["error"], action
        assert found.json["success"] is False


@pytest.mark.parametrize("who", ["anonymous", "no_agency"])
def test_existing_restricted_names_answer_like_missing_ones_on_the_pages(app, restricted, who):
    """Low (QĐ 43 Art. 10): the dataset, resource and download pages: the same 404 page."""
    user = factories.UserWithToken() if who == "no_agency" else None
    headers = {"Authorization": user["token"]} if user else {}
    dataset, resource = restricted["dataset"], restricted["resource"]
    missing = "khong-co-du-lieu-nay"
    pairs = (
        (f"/en/dataset/{dataset['name']}", f"/en/dataset/{missing}"),
        (
            f"/en/dataset/{dataset['name']}/resource/{resource['id']}",
            f"/en/dataset/{missing}/resource/{resource['id'][:-4]}ffff",
        ),
        (
            f"/en/dataset/{dataset['id']}/resource/{resource['id']}/download",
            f"/en/dataset/{missing}/resource/{resource['id'][:-4]}ffff/download",
        ),
    )
    for found_url, missing_url in pairs:
        found = app.get(found_url, headers=headers, follow_redirects=False)
        gone = app.get(missing_url, headers=headers, follow_redirects=False)
        assert found.status_code == gone.status_code == 404, (found_url, found.status_code)
        assert _shape(found.get_data(as_text=True), dataset["name"], dataset["id"]) == _shape(
            gone.get_data(as_text=True), missing
        ).replace(resource["id"][:-4] + "ffff", resource["id"]), found_url


def test_the_refusal_is_still_in_the_sharing_log(app, restricted):
    """NĐ 47 Art. 45: the 404 of a refused read is recorded as a refusal."""
    from ckan import model

    from ckanext.daknong.sharing_log import model as log_model

    table = log_model.entry

    def rows_after(start: int) -> list[dict]:
        with model.meta.engine.connect() as connection:
            rows = connection.execute(table.select().where(table.c.id > start).order_by(table.c.id))
            return [dict(row._mapping) for row in rows]

    with model.meta.engine.connect() as connection:
        start = connection.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar()
    app.get(
        "/api/3/action/package_show",
        query_string={"id": restricted["dataset"]["id"]},
        status=404,
    )
    rows = rows_after(start)
    assert [r["status"] for r in rows] == ["denied"]
    assert rows[0]["dataset_ids"] == [restricted["dataset"]["id"]]


def test_password_reset_answers_the_same_for_existing_and_missing_accounts(app, smtp_server):
    """Low (QĐ 43 Art. 12.3): same status and text; the mail still reaches the real owner."""
    user = factories.User(email="chu-tai-khoan@daknong.invalid", password=PASSWORD)

    def ask(typed: str):
        client = app.test_client()
        page = client.get("/en/user/reset").get_data(as_text=True)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/en/user/reset",
            data={"user": typed, "_csrf_token": token},
            follow_redirects=False,
        )
        landing = client.get(response.headers.get("Location", "/en/user/login"))
        flashed = re.findall(
            r'class="alert[^"]*"[^>]*>(.*?)</div>', landing.get_data(as_text=True), re.S
        )
        return (
            response.status_code,
            response.headers.get("Location"),
            [" ".join(f.split()) for f in flashed],
        )

    answers = {
        typed: ask(typed)
        for typed in (
            user["name"],
            "khong-co-tai-khoan",
            "chu-tai-khoan@daknong.invalid",
            "khong-ai@daknong.invalid",
        )
    }

    assert len(set(map(repr, answers.values()))) == 1, answers
    assert len(smtp_server.to("chu-tai-khoan@daknong.invalid")) == 2
    assert not smtp_server.to("khong-ai@daknong.invalid")


def test_password_reset_answers_the_same_when_the_mail_cannot_be_sent(
    app, ckan_config, monkeypatch
):
    """Low: with no SMTP server, an existing account used to get "Error sending the email"."""
    monkeypatch.setitem(ckan_config, "smtp.server", "127.0.0.1:9")
    user = factories.User(password=PASSWORD)
    statuses = set()
    for typed in (user["name"], "khong-co-tai-khoan"):
        client = app.test_client()
        page = client.get("/en/user/reset").get_data(as_text=True)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/en/user/reset",
            data={"user": typed, "_csrf_token": token},
            follow_redirects=False,
        )
        landing = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Error sending the email" not in landing
        statuses.add((response.status_code, response.headers["Location"]))
    assert len(statuses) == 1


@pytest.mark.parametrize(
    "target",
    [
        "\\\\evil",
        "//evil.example",
        "https://evil.example",
        "/\\\\evil.example",
        "\\\\/evil.example",
        "/\t/evil.example",
        "http:evil.example",
        "dataset",
    ],
)
def test_came_from_never_fails_and_never_leaves_the_site(app, target):
    """Low (QĐ 43 Art. 12): login and logout with an off-site target: no 500, no redirect out."""
    user = factories.User(password=PASSWORD)
    client = app.test_client()
    page = client.get("/en/user/login").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    for key in ("came_from", "next"):
        login = client.post(
            "/en/user/login",
            query_string={key: target},
            data={"login": user["name"], "password": PASSWORD, "_csrf_token": token},
            follow_redirects=False,
        )
        assert login.status_code == 302, (key, login.status_code)
        _assert_on_site(login.headers.get("Location", ""))
        logout = client.get(
            "/en/user/_logout", query_string={"came_from": target}, follow_redirects=False
        )
        assert logout.status_code == 302, logout.status_code
        _assert_on_site(logout.headers.get("Location", ""))
        page = client.get("/en/user/login").get_data(as_text=True)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


def _assert_on_site(location: str) -> None:
    from urllib.parse import urlsplit

    if not location:
        return
    normalised = location.replace("\\\\", "/")
    parts = urlsplit(normalised)
    assert parts.netloc in ("", "test.ckan.net", "localhost"), location
    assert not normalised.startswith("//") and "evil" not in location, location


def test_local_targets_still_work(app):
    """The fix keeps the useful case: back to the page the user came from."""
    user = factories.User(password=PASSWORD)
    client = app.test_client()
    page = client.get("/en/user/login").get_data(as_text=True)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    login = client.post(
        "/en/user/login",
        query_string={"came_from": "/dataset/"},
        data={"login": user["name"], "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert login.status_code == 302
    assert login.headers["Location"].endswith("/dataset/")


def test_activity_pages_answer_404_and_403_not_500(app):
    """Found by the policy matrix: ckanext-activity's views let a logic error escape."""
    user = factories.User()

    changes = app.get("/dataset/changes_multiple")
    org_changes = app.get("/organization/changes_multiple")
    user_page = app.get(f"/user/activity/{user['name']}")
    missing_user = app.get("/user/activity/khong-co-nguoi-nay")

    assert changes.status_code == 404, changes.status_code
    assert org_changes.status_code == 404, org_changes.status_code
    assert user_page.status_code == 200, user_page.status_code
    assert missing_user.status_code in (403, 404), missing_user.status_code
