"""Password policy and rotation (QĐ 43 Art. 12.3; finding M8).

Policy: at least ``MIN_LENGTH`` characters and a zxcvbn score of at least ``MIN_SCORE`` (zxcvbn
estimates guessability from dictionaries, names, keyboard patterns, dates and the user's own
name and e-mail). Rotation: the time of the last password change is kept in the user's
``plugin_extras`` (set whenever the stored hash changes, whatever path changed it); older than
``ckanext.daknong.password_max_age_days`` means expired.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import event, inspect
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 3
EXTRAS_KEY = "daknong_password_changed_at"


def problems(password: str, user_inputs: list[str] | None = None) -> list[str]:
    """What is wrong with ``password`` (translated messages); empty when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [tk._("The password must be at least {n} characters long.").format(n=MIN_LENGTH)]
    inputs = [value for value in (user_inputs or []) if value]
    result = zxcvbn(password[:100], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return []
    lowered = password.lower()
    if any(len(v) >= 3 and v.lower() in lowered for v in inputs):
        return [tk._("The password must not contain your user name, name or e-mail address.")]
    return [
        tk._(
            "The password is too easy to guess: it is built from common words, names, dates "
            "or keyboard patterns. Use several unrelated words or a longer random password."
        )
    ]


def _inputs(data: dict[str, Any], user: model.User | None) -> list[str]:
    values = [data.get("name"), data.get("email"), data.get("fullname")]
    if user is not None:
        values += [user.name, user.email, user.fullname]
    email = data.get("email") or (user.email if user else None)
    if email:
        values.append(str(email).split("@")[0])
    return [str(v) for v in values if v] + ["daknong", "ckan"]


def validate(data: dict[str, Any], user: model.User | None = None) -> None:
    """Raise ValidationError when the new password in ``data`` breaks the policy."""
    password = data.get("password1") or data.get("password")
    if not password:
        return
    found = problems(str(password), _inputs(data, user))
    if found:
        key = "password1" if data.get("password1") else "password"
        raise tk.ValidationError({key: found})


def changed_at(user: model.User) -> dt.datetime:
    value = (user.plugin_extras or {}).get(EXTRAS_KEY)
    if value:
        return dt.datetime.fromisoformat(value)
    return user.created or dt.datetime.utcnow()


def expired(user: Any) -> bool:
    days = int(tk.config.get("ckanext.daknong.password_max_age_days"))
    if days <= 0 or not getattr(user, "id", None):
        return False
    return dt.datetime.utcnow() - changed_at(user) > dt.timedelta(days=days)


def _stamp_password_changes(session: Any, _context: Any, _instances: Any) -> None:
    """Record when a user's stored password hash changed (any path: actions, reset, CLI)."""
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, model.User):
            continue
        history = inspect(obj).attrs._password.history
        if not history.added or (history.deleted and history.deleted[0] == history.added[0]):
            continue
        extras = dict(obj.plugin_extras or {})
        extras[EXTRAS_KEY] = dt.datetime.utcnow().isoformat()
        obj.plugin_extras = extras
        session.info.setdefault("daknong_password_changed", set()).add(obj.id)


def _after_commit(session: Any) -> None:
    from ckanext.daknong.accounts import sessions

    changed = session.info.pop("daknong_password_changed", set())
    for user_id in changed:
        if user_id:
            sessions.bump_epoch(user_id)
            sessions.keep_current_session(user_id)


def _after_rollback(session: Any, _previous: Any = None) -> None:
    session.info.pop("daknong_password_changed", None)


def install_listeners() -> None:
    if not event.contains(model.Session, "before_flush", _stamp_password_changes):
        event.listen(model.Session, "before_flush", _stamp_password_changes)
        event.listen(model.Session, "after_commit", _after_commit)
        event.listen(model.Session, "after_soft_rollback", _after_rollback)
