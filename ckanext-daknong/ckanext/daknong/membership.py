"""Agency membership and the roles built on it: the one home of "who acts for which agency".

Every role of the sharing workflow comes from CKAN's membership rows (``member`` table), which
only an agency's admins and sysadmins change, and never from attributes users edit themselves
(issue 10, H1: an account e-mail matched to a public focal-point address made anyone a
provider):

- a *member* of an agency: an active membership in any capacity (``member``, ``editor``,
  ``admin``) of an active organisation;
- the agency's *admins*: members with capacity ``admin``;
- the *provider focal point* (QĐ 43 Art. 20.1) and the *consumer focal point* (Art. 21.1): the
  accounts named in the agency's ``provider_focal_user`` / ``consumer_focal_user`` fields,
  and only while they are still active members of that agency: a focal point who leaves the
  agency loses the role at once, without anyone editing the agency;
- the *province approver* (QĐ 43 Art. 10.2) and the *provincial data administrator*
  (Art. 16): users named in configuration and the admins of the configured organisation.

This module sits at the bottom of the package's imports: it imports only CKAN, so ``access``,
``grants``, ``notifications``, the views and the sub-plugins can all call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

ADMIN = "admin"
EDITOR = "editor"
MEMBER = "member"

PROVIDER = "provider"
CONSUMER = "consumer"
FOCAL_ROLES = (PROVIDER, CONSUMER)


def focal_account_field(role: str) -> str:
    """The agency field naming the focal point's account (stored as the user's id)."""
    if role not in FOCAL_ROLES:
        raise ValueError(f"unknown focal-point role {role!r}")
    return f"{role}_focal_user"


# --- per-request memo ------------------------------------------------------------------------


def _request_memo() -> dict[Any, Any] | None:
    """A per-request memo, only inside a real HTTP request (never a long test context).

    Membership is asked several times per request (permission labels, auth functions, the
    sharing log); within one request the answer cannot change in a way that matters.
    """
    from flask import g, has_request_context, request

    if not has_request_context() or request.endpoint is None:
        return None
    memo = g.get("_daknong_membership_memo")
    if memo is None:
        memo = {}
        g._daknong_membership_memo = memo
    return memo


def _memoised(key: tuple[Any, ...], compute: Any) -> Any:
    memo = _request_memo()
    if memo is not None and key in memo:
        return memo[key]
    value = compute()
    if memo is not None:
        memo[key] = value
    return value


# --- membership ------------------------------------------------------------------------------


def _memberships():
    """Active user memberships of active organisations."""
    return (
        model.Session.query(model.Member)
        .join(model.Group, model.Group.id == model.Member.group_id)
        .filter(
            model.Member.table_name == "user",
            model.Member.state == model.State.ACTIVE,
            model.Group.is_organization.is_(True),
            model.Group.state == model.State.ACTIVE,
        )
    )


def organization_ids(user: model.User | None, capacities: Iterable[str] | None = None) -> list[str]:
    """Active agencies the user belongs to, in any capacity or only in ``capacities``."""
    if user is None or getattr(user, "is_anonymous", False) or not getattr(user, "id", None):
        return []
    wanted = tuple(sorted(capacities)) if capacities is not None else None

    def compute() -> tuple[str, ...]:
        query = _memberships().filter(model.Member.table_id == user.id)
        if wanted is not None:
            query = query.filter(model.Member.capacity.in_(wanted))
        return tuple(sorted({row.group_id for row in query.with_entities(model.Member.group_id)}))

    return list(_memoised(("organizations", user.id, wanted), compute))


def capacity(user_id: str | None, org_id: str | None) -> str | None:
    """The user's capacity in an active agency (``admin``, ``editor``, ``member``) or None."""
    if not user_id or not org_id:
        return None
    row = (
        _memberships()
        .filter(model.Member.table_id == user_id, model.Member.group_id == org_id)
        .with_entities(model.Member.capacity)
        .first()
    )
    return row.capacity if row else None


def is_member(user_id: str | None, org_id: str | None) -> bool:
    return capacity(user_id, org_id) is not None


def admin_ids(org_id: str | None) -> set[str]:
    """Ids of the agency's active admins."""
    return {user.id for user in admins(org_id)}


def admins(org_id: str | None) -> list[model.User]:
    """The agency's admins whose accounts are active."""
    if not org_id:
        return []
    return list(
        _memberships()
        .join(model.User, model.User.id == model.Member.table_id)
        .filter(
            model.Member.group_id == org_id,
            model.Member.capacity == ADMIN,
            model.User.state == model.State.ACTIVE,
        )
        .with_entities(model.User)
    )


def is_admin(user: model.User | None, org_id: str | None) -> bool:
    if user is None or getattr(user, "is_anonymous", False):
        return False
    return capacity(user.id, org_id) == ADMIN


# --- focal points (QĐ 43 Art. 20.1, 21.1) ---------------------------------------------------


def focal_user(org_id: str | None, role: str) -> model.User | None:
    """The agency's focal-point account for ``role``, if it is an active member of the agency.

    The agency names the account; membership decides whether it still counts. Anything else
    (no account named, an unknown or deleted account, an account no longer in the agency)
    means no focal point: the role fails closed.
    """
    org = model.Group.get(org_id) if org_id else None
    if org is None or not org.is_organization or org.state != model.State.ACTIVE:
        return None
    reference = (org.extras.get(focal_account_field(role)) or "").strip()
    user = model.User.get(reference) if reference else None
    if user is None or user.state != model.State.ACTIVE or not is_member(user.id, org.id):
        return None
    return user


def is_focal_point(user: model.User | None, org_id: str | None, role: str) -> bool:
    if user is None or getattr(user, "is_anonymous", False):
        return False
    focal = focal_user(org_id, role)
    return focal is not None and focal.id == user.id


def is_provider(user: model.User | None, org_id: str | None) -> bool:
    """Who decides for a providing agency (QĐ 43 Art. 20.1): sysadmins, the agency's admins and
    its provider focal account while it is a member. Nothing a user can edit about their own
    account (e-mail, name) counts."""
    if user is None or getattr(user, "is_anonymous", False):
        return False
    if user.sysadmin:
        return True
    return is_admin(user, org_id) or is_focal_point(user, org_id, PROVIDER)


# --- provincial roles (QĐ 43 Art. 10.2, 16) -------------------------------------------------

APPROVERS = "ckanext.daknong.province_approvers"
APPROVER_ORGANIZATION = "ckanext.daknong.province_approver_organization"
DATA_ADMINISTRATORS = "ckanext.daknong.data_administrators"
DATA_ADMINISTRATOR_ORGANIZATION = "ckanext.daknong.data_administrator_organization"


def _configured_role(user: model.User | None, names_key: str, org_key: str) -> bool:
    if user is None or getattr(user, "is_anonymous", False):
        return False
    if user.sysadmin or user.name in (tk.config.get(names_key) or []):
        return True
    org = model.Group.get(tk.config.get(org_key) or "")
    return bool(org) and is_admin(user, org.id)


def _configured_users(names_key: str, org_key: str) -> list[model.User]:
    users = [model.User.get(name) for name in tk.config.get(names_key) or []]
    org = model.Group.get(tk.config.get(org_key) or "")
    if org:
        users.extend(admins(org.id))
    seen: set[str] = set()
    found = []
    for user in users:
        if user is not None and user.state == model.State.ACTIVE and user.id not in seen:
            seen.add(user.id)
            found.append(user)
    return found


def is_province_approver(user: model.User | None) -> bool:
    """UBND tỉnh approvers (QĐ 43 Art. 10.2): configured users and the approver org's admins."""
    return _configured_role(user, APPROVERS, APPROVER_ORGANIZATION)


def province_approvers() -> list[model.User]:
    """The active accounts that approve for the province (for notifications)."""
    return _configured_users(APPROVERS, APPROVER_ORGANIZATION)


def is_data_administrator(user: model.User | None) -> bool:
    """The provincial data administrator (QĐ 43 Art. 16): configured users and org admins."""
    return _configured_role(user, DATA_ADMINISTRATORS, DATA_ADMINISTRATOR_ORGANIZATION)
