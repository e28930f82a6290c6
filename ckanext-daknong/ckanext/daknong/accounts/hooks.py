"""Request hooks of the accounts rules, called from the core plugin's IAuthenticator,
IMiddleware and ISignal methods (QĐ 43 Art. 12.3; findings M7, M8)."""

from __future__ import annotations

from typing import Any

import ckan.lib.base as base
import ckan.lib.helpers as h
import ckan.plugins.toolkit as tk
from ckan.common import current_user
from flask import g, has_request_context, jsonify, make_response, request

from ckanext.daknong.accounts import passwords, sessions, throttle

# Reachable while the password is expired: the change form, logging out, assets.
_EXPIRED_ALLOWED = {
    "user.edit",
    "user.logout",
    "user.logged_out_page",
    "static",
    "webassets.index",
    "api.i18n",
    "util.internal_redirect",
}


def _address() -> str:
    if not has_request_context():
        return "internal"
    return request.remote_addr or "unknown"


def login() -> Any:
    """Refuse a login POST while the account or the address is locked (before any check)."""
    if request.method != "POST":
        return None
    left = throttle.locked_for(request.form.get("login") or "", _address())
    if not left:
        return None
    message = throttle.lockout_message(left)
    if request.accept_mimetypes.best == "application/json":
        response = jsonify({"success": False, "error": {"message": message}})
    else:
        h.flash_error(message)
        response = make_response(base.render("user/login.html", {}))
    response.status_code = 429
    response.headers["Retry-After"] = str(left)
    return response


def logout() -> Any:
    sessions.on_logout()
    return None


def identify() -> Any:
    """Stale sessions end; an expired password allows only the change form."""
    if not sessions.check_session():
        return None
    if not current_user.is_authenticated or g.get("login_via_auth_header"):
        return None
    if not passwords.expired(current_user):
        return None
    endpoint = request.endpoint or ""
    if endpoint in _EXPIRED_ALLOWED or endpoint.endswith(".static"):
        return None
    message = tk._(
        "Your password is older than {days} days. Choose a new password to continue."
    ).format(days=tk.config.get("ckanext.daknong.password_max_age_days"))
    if endpoint.startswith("api."):
        response = jsonify({"success": False, "error": {"message": message}})
        response.status_code = 403
        return response
    h.flash_error(message)
    return h.redirect_to("user.edit", id=current_user.name)


def on_failed_login(login: Any, **_kwargs: Any) -> None:
    if throttle.record_failure(str(login or ""), _address()):
        throttle.notify_owner(str(login or ""))


def on_logged_in(_sender: Any, user: Any = None, **_kwargs: Any) -> None:
    if user is None:
        return
    throttle.record_success(user.name)
    sessions.on_login(user)


def signal_subscriptions() -> dict[Any, Any]:
    return {
        tk.signals.failed_login: [on_failed_login],
        tk.signals.user_logged_in: [on_logged_in],
    }
