"""Account actions: the password policy and the current-password rule on user_create/update,
``daknong_user_unlock``, and the API-token lifetime (QĐ 43 Art. 12.3; finding M8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.daknong.accounts import passwords, throttle


@tk.chained_action
def user_create(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """Registration form, API and factories: the new password must meet the policy."""
    passwords.validate(data_dict)
    return next_action(context, data_dict)


def _address() -> str:
    from flask import has_request_context, request

    return (request.remote_addr or "unknown") if has_request_context() else "internal"


def _caller(context: dict[str, Any]) -> model.User | None:
    caller = context.get("auth_user_obj")
    if isinstance(caller, model.User):
        return caller
    return model.User.get(context.get("user") or "")


@tk.chained_action
def user_update(next_action: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    """Policy for a new password; the current password to change password or e-mail.

    The web edit form already asks for it (``old_password``); the API did not (finding H1/M8:
    an e-mail changed without it took over an agency's focal-point role). Exempt: the
    password-reset form (the e-mailed key is the proof), internal calls with ``ignore_auth``
    (CLI, demo loader), and a sysadmin changing *another* account (a sysadmin can already set
    any password from the CLI, and account recovery needs it; their own account is not exempt).
    """
    user = model.User.get(data_dict.get("id") or "")
    if user is None:
        return next_action(context, data_dict)
    passwords.validate(data_dict, user)
    new_password = data_dict.get("password1") or data_dict.get("password")
    email = data_dict.get("email")
    email_changed = email is not None and (email or "") != (user.email or "")
    caller = _caller(context)
    exempt = (
        context.get("reset_password")
        or context.get("ignore_auth")
        or (caller is not None and caller.sysadmin and caller.id != user.id)
    )
    # A non-sysadmin editing someone else is refused by CKAN's auth function.
    own = caller is not None and caller.id == user.id
    changing = (new_password or email_changed) and not exempt and own
    if changing:
        # The current-password check is a guessing oracle too: same lock as the login form.
        locked = throttle.locked_for(user.name, _address())
        if locked:
            raise tk.ValidationError({"old_password": [throttle.lockout_message(locked)]})
        if not user.validate_password(data_dict.get("old_password") or ""):
            tk.signals.failed_login.send(user.name)
            message = tk._(
                "Give your current password (old_password) to change your password or e-mail "
                "address."
            )
            raise tk.ValidationError({"old_password": [message]})
    return next_action(context, data_dict)


def daknong_user_unlock(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Lift a login lockout of an account (sysadmins). ``address`` also lifts an address lock.

    :param id: user name or id
    :param address: client address to unlock (optional)
    """
    tk.check_access("daknong_user_unlock", context, data_dict)
    user = model.User.get(tk.get_or_bust(data_dict, "id"))
    if user is None:
        raise tk.ObjectNotFound(tk._("User not found"))
    throttle.unlock(user)
    if data_dict.get("address"):
        throttle.unlock_address(str(data_dict["address"]))
    return {"id": user.id, "name": user.name, "unlocked": True}


def auth_daknong_user_unlock(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    """Sysadmins only (who pass every check before this runs)."""
    return {"success": False, "msg": tk._("Only system administrators can unlock accounts.")}


def token_lifetime_seconds() -> int:
    return int(tk.config.get("ckanext.daknong.api_token_max_lifetime_days")) * 86400


def cap_token_expiry(data: dict[str, Any]) -> dict[str, Any]:
    """IApiToken.postprocess_api_token: an ``exp`` no later than the configured maximum."""
    seconds = token_lifetime_seconds()
    if seconds > 0:
        limit = int((dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)).timestamp())
        data["exp"] = min(int(data.get("exp") or limit), limit)
    return data


def refuse_old_token(data: dict[str, Any]) -> dict[str, Any] | None:
    """IApiToken.preprocess_api_token: tokens older than the maximum lifetime (also ones issued
    before the option was set) stop working."""
    seconds = token_lifetime_seconds()
    if seconds <= 0 or not data or "jti" not in data:
        return data
    token = model.ApiToken.get(data["jti"])
    if token is None or token.created_at is None:
        return data
    if dt.datetime.utcnow() - token.created_at > dt.timedelta(seconds=seconds):
        return None
    return data
