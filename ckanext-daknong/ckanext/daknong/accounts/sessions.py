"""Web sessions bound to server-side state (QĐ 43 Art. 12.3; finding M7).

Sessions live in Redis (``SESSION_TYPE = redis``): logging out removes the user from the stored
session, so a copied session cookie is worthless afterwards. Each login stores the account's
*credential epoch* in the session; changing the password bumps the epoch, which ends every other
session of the account. Flask-Login's remember-me cookie is only an HMAC of the user id (valid as
long as ``SECRET_KEY``); it is accepted only together with a random server-side token, with its
own lifetime, deleted at logout and void after a password change.
"""

from __future__ import annotations

import secrets
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.common import current_user, logout_user, session
from ckan.lib.redis import connect_to_redis
from flask import current_app, g, has_request_context, request
from redis import Redis

EPOCH_KEY = "daknong_credential_epoch"
REMEMBER_COOKIE = "daknong_remember"
PREFIX = "daknong:accounts"


class _SessionRedis(Redis):
    """CKAN's Redis connection for Flask-Session. Flask copies ``SESSION_REDIS`` into CKAN's
    config, which tests deep-copy; a connection is shared, not copied."""

    def __deepcopy__(self, memo: Any) -> _SessionRedis:
        return self


def configure(config: Any) -> None:
    """Server-side sessions and safe cookie attributes, whatever the ini file says."""
    secure = str(config.get("ckan.site_url", "")).startswith("https://")
    config["SESSION_TYPE"] = "redis"
    config["SESSION_REDIS"] = _SessionRedis(connection_pool=connect_to_redis().connection_pool)
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    if str(config.get("SESSION_COOKIE_SAMESITE") or "None") == "None":
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if str(config.get("REMEMBER_COOKIE_SAMESITE") or "None") == "None":
        config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if secure:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_DURATION"] = remember_seconds(config)


def remember_seconds(config: Any = None) -> int:
    config = config if config is not None else tk.config
    return int(config.get("ckanext.daknong.remember_me_days")) * 86400


def epoch(user_id: str) -> int:
    return int(connect_to_redis().get(f"{PREFIX}:epoch:{user_id}") or 0)


def bump_epoch(user_id: str) -> int:
    """End every session and remember-me token of the account (password change)."""
    return int(connect_to_redis().incr(f"{PREFIX}:epoch:{user_id}"))


def on_login(user: Any) -> None:
    """Called at every interactive login: bind the session to the current epoch."""
    session[EPOCH_KEY] = epoch(user.id)
    if session.get("_remember") == "set":
        # The login form may ask for any duration: never longer than the configured maximum.
        seconds = min(remember_seconds(), int(session.get("_remember_seconds") or 0) or 10**9)
        session["_remember_seconds"] = seconds
        token = secrets.token_urlsafe(32)
        connect_to_redis().set(
            f"{PREFIX}:remember:{token}", f"{user.id}:{epoch(user.id)}", ex=seconds
        )
        g.daknong_remember_token = token
        g.daknong_remember_seconds = seconds


def after_request(response: Any) -> Any:
    """Set or clear the server-side remember-me token cookie."""
    token = g.get("daknong_remember_token")
    secure = tk.config.get("ckan.site_url", "").startswith("https://")
    if token:
        response.set_cookie(
            REMEMBER_COOKIE,
            token,
            max_age=g.get("daknong_remember_seconds") or remember_seconds(),
            httponly=True,
            secure=secure,
            samesite="Lax",
        )
    elif g.get("daknong_forget"):
        response.delete_cookie(REMEMBER_COOKIE, httponly=True, secure=secure, samesite="Lax")
    return response


def forget_remember_token() -> None:
    token = request.cookies.get(REMEMBER_COOKIE)
    if token:
        connect_to_redis().delete(f"{PREFIX}:remember:{token}")
    g.daknong_forget = True


def on_logout() -> None:
    forget_remember_token()


def _remember_token_valid(user_id: str) -> bool:
    token = request.cookies.get(REMEMBER_COOKIE)
    if not token:
        return False
    value = connect_to_redis().get(f"{PREFIX}:remember:{token}")
    if not value:
        return False
    return value.decode() == f"{user_id}:{epoch(user_id)}"


def check_session() -> bool:
    """End a web session whose epoch is stale, or restored from an unbacked remember cookie.

    Returns False when the user was logged out. API-token requests are not sessions.
    """
    if not current_user.is_authenticated or g.get("login_via_auth_header"):
        return True
    stored = session.get(EPOCH_KEY)
    current = epoch(current_user.id)
    if stored is None and _remember_token_valid(current_user.id):
        session[EPOCH_KEY] = current
        return True
    if stored == current:
        return True
    forget_remember_token()
    logout_user()
    return False


def keep_current_session(user_id: str) -> None:
    """After the account's own password change on the web, this session stays valid."""
    if (
        has_request_context()
        and current_user.is_authenticated
        and current_user.id == user_id
        and not g.get("login_via_auth_header")
    ):
        session[EPOCH_KEY] = epoch(user_id)
        regenerate = getattr(current_app.session_interface, "regenerate", None)
        if regenerate is not None:
            regenerate(session)
