"""Accounts rules over HTTP through the real app, Redis and SMTP (QĐ 43 Art. 12.3; M7, M8)."""

from __future__ import annotations

import datetime as dt
import re

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

PASSWORD = "Tram-bien-Gia-Nghia-2026"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_redis")


def _user(**extra):
    return factories.User(password=PASSWORD, email="chu.tai.khoan@daknong.invalid", **extra)


def _csrf(client, path="/user/login"):
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    return match.group(1) if match else ""


def _login(client, login, password, **extra):
    data = {"login": login, "password": password, "_csrf_token": _csrf(client), **extra}
    return client.post("/user/login", data=data, follow_redirects=False)


def _logged_in_as(client) -> str:
    """The profile-edit page of the session's user ("" when the session is anonymous)."""
    page = client.get("/user/edit", follow_redirects=False)
    return page.get_data(as_text=True) if page.status_code == 200 else ""


class TestThrottlingM8:
    def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(self, app):
        """M8, QĐ 43 Art. 12.3: 30 wrong passwords, then the right one: refused (was accepted)."""
        user = _user()
        client = app.test_client()
        for _ in range(30):
            _login(client, user["name"], "wrong-password-guess")
        response = _login(client, user["name"], PASSWORD)

        assert response.status_code == 429
        page = response.get_data(as_text=True)
        # English msgid until `make i18n` compiles the Vietnamese one.
        assert "Too many failed login attempts" in page or "Đăng nhập sai quá nhiều lần" in page
        assert int(response.headers["Retry-After"]) > 0
        assert not _logged_in_as(client)

    def test_lockout_mails_the_owner_and_a_sysadmin_unlocks(self, app, smtp_server):
        """M8, QĐ 43 Art. 12.3: the owner is told by e-mail; a sysadmin lifts the lock."""
        user = _user()
        client = app.test_client()
        for _ in range(5):
            _login(client, user["name"], "wrong-password-guess")

        assert len(smtp_server.to("chu.tai.khoan@daknong.invalid")) == 1
        assert _login(client, user["name"], PASSWORD).status_code == 429

        sysadmin = factories.SysadminWithToken()
        response = app.post(
            "/api/action/daknong_user_unlock",
            json={"id": user["name"]},
            headers={"Authorization": sysadmin["token"]},
        )
        assert response.json["success"]
        assert _login(client, user["name"], PASSWORD).status_code in (302, 303)

    def test_only_sysadmins_unlock(self, app):
        """M8, QĐ 43 Art. 12.3: an ordinary user cannot lift a lock."""
        user = _user()
        other = factories.UserWithToken()
        response = app.post(
            "/api/action/daknong_user_unlock",
            json={"id": user["name"]},
            headers={"Authorization": other["token"]},
        )
        assert response.status_code == 403

    def test_mail_failure_never_breaks_login(self, app, ckan_config, monkeypatch):
        """M8, QĐ 43 Art. 12.3: with no SMTP server the lockout still answers 429, not 500."""
        monkeypatch.setitem(ckan_config, "smtp.server", "127.0.0.1:1")
        user = _user()
        client = app.test_client()
        codes = {_login(client, user["name"], "wrong-password-guess").status_code for _ in range(6)}
        assert 500 not in codes
        assert 429 in codes


class TestPasswordPolicyM8:
    @pytest.mark.parametrize("weak", ["12345678", "password1234", "daknong12345"])
    def test_weak_passwords_are_refused_by_user_create(self, weak):
        """M8, QĐ 43 Art. 12.3: `12345678` (and other guessable ones) accepted before."""
        with pytest.raises(tk.ValidationError) as error:
            call_action("user_create", name="nguoi-moi", email="moi@daknong.invalid", password=weak)
        assert "password" in error.value.error_dict

    def test_password_change_through_the_api_needs_the_current_password(self, app):
        """M8/H1, QĐ 43 Art. 12.3: user_patch changed password and e-mail without it."""
        user = factories.UserWithToken(password=PASSWORD)
        headers = {"Authorization": user["token"]}
        for change in ({"password": "Mot-mat-khau-moi-rat-dai"}, {"email": "ke.gian@evil.invalid"}):
            response = app.post(
                "/api/action/user_patch", json={"id": user["id"], **change}, headers=headers
            )
            assert response.status_code == 409, change
            assert "old_password" in response.json["error"]
        ok = app.post(
            "/api/action/user_patch",
            json={"id": user["id"], "email": "moi@daknong.invalid", "old_password": PASSWORD},
            headers=headers,
        )
        assert ok.json["success"]

    def test_weak_password_refused_through_user_update(self, app):
        """M8, QĐ 43 Art. 12.3: the policy applies to changes too."""
        user = factories.UserWithToken(password=PASSWORD)
        response = app.post(
            "/api/action/user_patch",
            json={"id": user["id"], "password": "12345678", "old_password": PASSWORD},
            headers={"Authorization": user["token"]},
        )
        assert response.status_code == 409
        assert "password" in response.json["error"]


class TestSessionsM7:
    def test_session_cookie_copied_before_logout_is_refused_after_it(self, app):
        """M7, QĐ 43 Art. 12.3: the copied cookie logged in after logout (client-side session)."""
        user = _user()
        client = app.test_client()
        assert _login(client, user["name"], PASSWORD).status_code in (302, 303)
        stolen = client.get_cookie("ckan", domain="test.ckan.net").value
        before = app.test_client()
        before.set_cookie("ckan", stolen, domain="test.ckan.net")
        assert user["name"] in _logged_in_as(before)  # the copy works until logout

        client.get("/user/_logout", follow_redirects=False)

        thief = app.test_client()
        thief.set_cookie("ckan", stolen, domain="test.ckan.net")
        assert not _logged_in_as(thief)

    def test_remember_me_cookie_is_lax_and_dies_at_logout(self, app):
        """M7/H2, QĐ 43 Art. 12.3: remember cookie was SameSite=None, valid while SECRET_KEY is."""
        user = _user()
        client = app.test_client()
        response = _login(client, user["name"], PASSWORD, remember="63072000000")
        headers = response.headers.getlist("Set-Cookie")
        remember = [h for h in headers if h.startswith("remember_token=")]
        assert remember and all("SameSite=Lax" in h and "HttpOnly" in h for h in remember)
        stolen = {c.key: c.value for c in client._cookies.values()}
        assert "daknong_remember" in stolen
        before = app.test_client()
        for key, value in stolen.items():
            if key != "ckan":
                before.set_cookie(key, value, domain="test.ckan.net")
        assert user["name"] in _logged_in_as(before)  # remember-me works until logout

        client.get("/user/_logout", follow_redirects=False)

        thief = app.test_client()
        for key, value in stolen.items():
            if key != "ckan":
                thief.set_cookie(key, value, domain="test.ckan.net")
        assert not _logged_in_as(thief)

    def test_password_change_ends_other_sessions(self, app):
        """M7, QĐ 43 Art. 12.3: a session opened before a password change stops working."""
        user = factories.UserWithToken(password=PASSWORD)
        other = app.test_client()
        assert _login(other, user["name"], PASSWORD).status_code in (302, 303)
        assert _logged_in_as(other)
        app.post(
            "/api/action/user_patch",
            json={
                "id": user["id"],
                "password": "Mot-mat-khau-moi-rat-dai",
                "old_password": PASSWORD,
            },
            headers={"Authorization": user["token"]},
        )
        assert not _logged_in_as(other)


class TestRotation:
    def test_expired_password_forces_the_change_form_but_tokens_work(self, app):
        """QĐ 43 Art. 12.3 (passwords changed periodically): an old password redirects every
        page to the change form; API tokens keep working."""
        user = factories.UserWithToken(password=PASSWORD)
        obj = model.User.get(user["id"])
        old = (dt.datetime.utcnow() - dt.timedelta(days=120)).isoformat()
        obj.plugin_extras = {**(obj.plugin_extras or {}), "daknong_password_changed_at": old}
        model.Session.commit()
        client = app.test_client()
        _login(client, user["name"], PASSWORD)
        response = client.get("/dataset/", follow_redirects=False)
        assert response.status_code in (302, 303)
        assert "/user/edit/" in response.headers["Location"]
        assert client.get(f"/user/edit/{user['name']}", follow_redirects=False).status_code == 200
        api = app.get("/api/action/package_search", headers={"Authorization": user["token"]})
        assert api.status_code == 200

    @pytest.mark.ckan_config("ckanext.daknong.api_token_max_lifetime_days", "1")
    def test_api_tokens_can_be_given_a_maximum_lifetime(self, app):
        """QĐ 43 Art. 12.3: with a maximum lifetime, an older token stops working."""
        user = factories.UserWithToken()
        token = model.Session.query(model.ApiToken).filter_by(user_id=user["id"]).one()
        token.created_at = dt.datetime.utcnow() - dt.timedelta(days=2)
        model.Session.commit()
        response = app.get(
            "/api/action/dashboard_activity_list", headers={"Authorization": user["token"]}
        )
        assert response.status_code == 403


def test_demo_passwords_meet_the_policy():
    """M8, QĐ 43 Art. 12.3: the demo accounts written by `make up` satisfy the policy."""
    from ckanext.daknong import demo
    from ckanext.daknong.accounts import passwords

    for _ in range(20):
        password = demo._password()
        assert len(password) >= 12
        assert passwords.problems(password) == []
