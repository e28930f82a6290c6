"""Login throttling per account and per client address, in CKAN's Redis (QĐ 43 Art. 12.3).

Failures are counted in a sliding window; when a counter reaches its limit the account (or
address) is locked for ``lockout_seconds``. While locked, every login attempt is refused before
the password is checked, so the right password does not help an attacker who guessed it.
"""

from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.redis import connect_to_redis

log = logging.getLogger(__name__)

PREFIX = "daknong:accounts:login"


def _cfg(name: str) -> int:
    return int(tk.config.get(f"ckanext.daknong.login.{name}"))


def account_key(login: str) -> str:
    """The account a login name or e-mail designates (its id), or the folded login itself.

    Unknown names are counted too, so that locking answers do not reveal which accounts exist.
    """
    login = (login or "").strip()
    user = model.User.by_name(login) or model.User.by_email(login)
    return user.id if user else login.lower()


def _keys(kind: str, ident: str) -> tuple[str, str]:
    return f"{PREFIX}:fail:{kind}:{ident}", f"{PREFIX}:lock:{kind}:{ident}"


def locked_for(login: str, address: str) -> int:
    """Seconds left on the lock of this account or address; 0 when neither is locked."""
    redis = connect_to_redis()
    ttls = [
        redis.ttl(_keys("account", account_key(login))[1]),
        redis.ttl(_keys("address", address)[1]),
    ]
    return max([0, *ttls])


def record_failure(login: str, address: str) -> bool:
    """Count a failed login; lock what reached its limit. True when the account just got locked."""
    redis = connect_to_redis()
    window = _cfg("window_seconds")
    lockout = _cfg("lockout_seconds")
    account_locked = False
    for kind, ident, limit in (
        ("account", account_key(login), _cfg("max_attempts_per_account")),
        ("address", address, _cfg("max_attempts_per_address")),
    ):
        fail_key, lock_key = _keys(kind, ident)
        count = redis.incr(fail_key)
        if count == 1:
            redis.expire(fail_key, window)
        if limit > 0 and count >= limit and redis.set(lock_key, "1", ex=lockout, nx=True):
            redis.delete(fail_key)
            log.warning("Login locked for %s %s after %s failures", kind, ident, count)
            account_locked = account_locked or kind == "account"
    return account_locked


def record_success(login: str) -> None:
    """A successful login clears the account's failure counter (not the address's)."""
    connect_to_redis().delete(_keys("account", account_key(login))[0])


def unlock(user: model.User) -> None:
    """Lift a lock on an account (sysadmin action, CLI)."""
    redis = connect_to_redis()
    redis.delete(*_keys("account", user.id))
    for key in (user.name, user.email or ""):
        if key:
            redis.delete(*_keys("account", key.lower()))


def unlock_address(address: str) -> None:
    connect_to_redis().delete(*_keys("address", address))


def lockout_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return tk._(
        "Too many failed login attempts. Login is locked for {minutes} minutes; "
        "a system administrator can unlock the account sooner."
    ).format(minutes=minutes)


def notify_owner(login: str) -> None:
    """Tell the account owner that their account was locked. A mail failure is logged only."""
    user = model.User.by_name(login) or model.User.by_email(login)
    if not user or not user.email:
        return
    from ckan.lib import mailer

    body = tk._(
        "Your account {name} on {site} was locked after repeated failed login attempts. "
        "If this was not you, someone may be trying to guess your password: change it after "
        "the lock expires, or ask a system administrator."
    ).format(name=user.name, site=tk.config.get("ckan.site_url"))
    try:
        mailer.mail_user(user, tk._("Your account was locked"), body)
    except Exception:
        log.exception("Could not send the lockout e-mail to %s", user.name)
