"""Access requests and time-bound grants (QĐ 43 Art. 10.2; NĐ 47 Art. 35–38).

The one home of the request workflow:

    submitted ──provider refuses──────────────────────────► refused
        │ provider approves
        ├── needs the province (QĐ 43 Art. 10.2) ──► awaiting_approval ──refuses──► refused
        │                                                   │ approves
        └───────────────────────────────────────────────────┴──► granted ──► expired / revoked

Deadlines are counted in Vietnamese working days (``workdays``); a grant is a row with an end
date that ``access`` reads at every request, so it starts and stops without a reindex.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.plugins.toolkit import _

from ckanext.daknong import access, membership, notifications, workdays
from ckanext.daknong.model.access import AccessGrant, AccessRequest

log = logging.getLogger(__name__)

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")

SUBMITTED = "submitted"
AWAITING_APPROVAL = "awaiting_approval"
GRANTED = "granted"
REFUSED = "refused"
EXPIRED = "expired"
REVOKED = "revoked"
OPEN_STATUSES = (SUBMITTED, AWAITING_APPROVAL)
STATUSES = (SUBMITTED, AWAITING_APPROVAL, GRANTED, REFUSED, EXPIRED, REVOKED)
DECISIONS = ("approve", "refuse")
# ``daknong_access_request_list`` roles: my agencies' requests, requests to my agencies, and
# requests awaiting the province.
LIST_ROLES = ("requester", "provider", "approver")

REQUIRED_FIELDS = (
    "dataset_id",
    "requester_org_id",
    "application",
    "purpose",
    "intended_use",
    "requested_data",
    "access_frequency",
    "period_start",
    "period_end",
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# --- reading ---------------------------------------------------------------------------------


def active_grant_for(
    dataset_id: str, org_ids: list[str], at: dt.datetime | None = None
) -> tuple[AccessGrant, AccessRequest | None] | None:
    """The grant through which one of these agencies reads a dataset now, with its request."""
    if not org_ids:
        return None
    moment = at or now()
    grant = (
        model.Session.query(AccessGrant)
        .filter(
            AccessGrant.dataset_id == dataset_id,
            AccessGrant.org_id.in_(org_ids),
            AccessGrant.valid_from <= moment,
            AccessGrant.valid_until > moment,
            AccessGrant.revoked_at.is_(None),
        )
        .order_by(AccessGrant.valid_until.desc())
        .first()
    )
    if grant is None:
        return None
    request = model.Session.get(AccessRequest, grant.request_id) if grant.request_id else None
    return grant, request


def grant_status(grant: AccessGrant, at: dt.datetime | None = None) -> str:
    if grant.revoked_at is not None:
        return REVOKED
    return EXPIRED if grant.valid_until <= (at or now()) else GRANTED


def request_status(request: AccessRequest) -> str:
    """The stored status, with a granted request shown as expired or revoked at its end."""
    if request.status != GRANTED:
        return request.status
    grant = model.Session.query(AccessGrant).filter_by(request_id=request.id).first()
    return grant_status(grant) if grant else request.status


def is_overdue(request: AccessRequest, at: dt.datetime | None = None) -> bool:
    """The provider has not decided within the working-day deadline (NĐ 47 Art. 35.3)."""
    return request.status == SUBMITTED and (at or now()) > request.provider_due_at


def request_dict(request: AccessRequest, viewer: model.User | None = None) -> dict[str, Any]:
    """The request as the API shows it; the dataset's title only to those who may read it.

    A requesting agency knows the dataset's name (it typed it) but must not learn its title
    before a grant (QĐ 43 Art. 10).
    """
    grant = model.Session.query(AccessGrant).filter_by(request_id=request.id).first()
    dataset = model.Package.get(request.dataset_id)
    readable = bool(dataset and viewer and access.can_read(viewer.name, dataset.id))
    return {
        "id": request.id,
        "dataset_id": request.dataset_id,
        "dataset_name": dataset.name if dataset else None,
        "dataset_title": dataset.title if readable else None,
        "provider_org_id": request.provider_org_id,
        "requester_user_id": request.requester_user_id,
        "requester_org_id": request.requester_org_id,
        "requester_agency_code": request.requester_agency_code,
        "requester_agency_name": request.requester_agency_name,
        "application": request.application,
        "purpose": request.purpose,
        "intended_use": request.intended_use,
        "requested_data": request.requested_data,
        "access_frequency": request.access_frequency,
        "period_start": request.period_start.isoformat(),
        "period_end": request.period_end.isoformat(),
        "status": request_status(request),
        "needs_province_approval": request.needs_province_approval,
        "created_at": request.created_at.isoformat(),
        "provider_due_at": request.provider_due_at.isoformat(),
        "overdue": is_overdue(request),
        "refusal_reason": request.refusal_reason,
        "grant": grant_dict(grant) if grant else None,
        "history": list(request.history or []),
    }


def grant_dict(grant: AccessGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "request_id": grant.request_id,
        "dataset_id": grant.dataset_id,
        "org_id": grant.org_id,
        "valid_from": grant.valid_from.isoformat(),
        "valid_until": grant.valid_until.isoformat(),
        "status": grant_status(grant),
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
        "revoke_reason": grant.revoke_reason,
    }


# --- roles -----------------------------------------------------------------------------------


def is_provider(user: model.User | None, request: AccessRequest) -> bool:
    """The owner agency's admins and its provider focal account (QĐ 43 Art. 20.1) decide.

    By membership only (``membership.is_provider``): H1 of issue 10 was a user who set their own
    e-mail to the agency's public focal-point address.
    """
    return membership.is_provider(user, request.provider_org_id)


def can_see_request(user: model.User | None, request: AccessRequest) -> bool:
    if not user or user.is_anonymous:
        return False
    if user.sysadmin or is_provider(user, request) or membership.is_province_approver(user):
        return True
    if membership.is_data_administrator(user):
        return True
    return request.requester_org_id in membership.organization_ids(user)


def may_decide(user: model.User | None, request: AccessRequest) -> bool:
    """Who decides now, by stage: the provider at ``submitted``, the province approver at
    ``awaiting_approval``, nobody once decided. The auth function and the action both ask this.
    """
    if request.status == SUBMITTED:
        return is_provider(user, request)
    if request.status == AWAITING_APPROVAL:
        return membership.is_province_approver(user)
    return False


def decide_refusal_message(request: AccessRequest) -> str:
    """Why ``may_decide`` says no, in the words of the stage."""
    if request.status == SUBMITTED:
        return _("Only the providing agency decides on this request")
    if request.status == AWAITING_APPROVAL:
        return _("Only a province approver decides on this request")
    return _("This request has already been decided")


def grant_request(grant: AccessGrant) -> AccessRequest | None:
    return model.Session.get(AccessRequest, grant.request_id) if grant.request_id else None


def revoke_refusal_message(grant: AccessGrant) -> str:
    """Why ``may_revoke`` says no."""
    if grant_status(grant) != GRANTED:
        return _("This grant is no longer active")
    return _("Only the providing agency revokes this grant")


def may_revoke(user: model.User | None, grant: AccessGrant) -> bool:
    """The providing agency (or a sysadmin) ends an active grant early; an ended grant is
    revoked by nobody."""
    if user is None or user.is_anonymous or grant_status(grant) != GRANTED:
        return False
    request = grant_request(grant)
    return bool(user.sysadmin or (request is not None and is_provider(user, request)))


def needs_province_approval(requester_org_id: str, provider_org_id: str) -> bool:
    """QĐ 43 Art. 10.2: use beyond an agency's own scope needs UBND tỉnh approval."""
    rule = tk.config.get("ckanext.daknong.province_approval_rule")
    if rule == "always":
        return True
    if rule == "never":
        return False
    return requester_org_id != provider_org_id


# --- writing ---------------------------------------------------------------------------------


# Sent for every step of a request (submitted, decided, granted, expired, revoked), before it is
# committed: the sharing log (NĐ 47 Art. 45) records each one, and a receiver that raises stops
# the step.
access_request_event = tk.signals.ckanext.signal("daknong_access_request_event")


def _history(request: AccessRequest, event: str, user: model.User, **extra: Any) -> None:
    entry = {"event": event, "at": now().isoformat(), "by": user.name, **extra}
    request.history = [*(request.history or []), entry]
    if event != "notification_failed":
        access_request_event.send(event, request=request, user=user, details=extra)


def _notify(request: AccessRequest, event: str, user: model.User) -> None:
    """Tell the next party; a failed e-mail is recorded, never fatal."""
    if event == "submitted":
        recipients = notifications.provider_recipients(request.provider_org_id)
    elif event == "awaiting_approval":
        recipients = notifications.approver_recipients()
    else:
        recipients = notifications.requester_recipients(
            request.requester_user_id, request.requester_org_id
        )
    dataset = model.Package.get(request.dataset_id)
    # the name, not the title: the requester may not read the dataset (yet, or ever)
    subject, body = notifications.message(
        event, dataset.name, request.requester_agency_name, request.id
    )
    failed = notifications.send(recipients, subject, body)
    if failed:
        _history(request, "notification_failed", user, recipients=failed)


def find_requestable_dataset(user: model.User, typed: str) -> model.Package | None:
    """The dataset a request names, by the rule that an id never turns into a name (M3).

    A caller who may read the dataset names it by id or name. A caller who may not read it
    names it by its name, the handle shown on the "Request access" page; an id of a dataset
    the caller may not read is answered like an unknown dataset, so that no answer, error or
    e-mail names a dataset the caller only knew by its id.
    """
    dataset = model.Package.get(typed) if typed else None
    if dataset is None or dataset.state != model.State.ACTIVE or dataset.type != "dataset":
        return None
    if typed != dataset.name and not access.can_read(user.name, dataset.id):
        return None
    return dataset


def create_request(user: model.User, data: dict[str, Any]) -> AccessRequest:
    """Store a new request, checked by the workflow rules; nothing is written when one fails.

    ``data`` is the output of ``logic.schema.access_request_create_schema``: every field is
    present and the period's dates are dates. The requesting agency's code and name are
    copied from the agency record, never from the caller (M2: they reach the provider, the
    e-mails and the sharing log).
    """
    dataset = find_requestable_dataset(user, str(data["dataset_id"]))
    if dataset is None:
        raise tk.ObjectNotFound(_("Dataset not found"))
    level = access.access_level_of(dataset)
    if level != access.RESTRICTED:
        raise tk.ValidationError(
            {
                "dataset_id": [
                    _("Only restricted data needs an access request: this is %s data") % level
                ]
            }
        )

    org = model.Group.get(str(data["requester_org_id"]))
    if not org or not org.is_organization or org.id not in membership.organization_ids(user):
        raise tk.ValidationError(
            {"requester_org_id": [_("You can only request access for an agency you belong to")]}
        )
    if org.id == dataset.owner_org:
        raise tk.ValidationError(
            {"requester_org_id": [_("Your agency owns this dataset: no request is needed")]}
        )

    errors: dict[str, list[str]] = {}
    start, end = data["period_start"], data["period_end"]
    today = now().astimezone(LOCAL_TZ).date()
    if end < today:
        errors.setdefault("period_end", []).append(_("The end of the period is in the past"))
    if end < start:
        errors.setdefault("period_end", []).append(_("The end of the period is before its start"))
    if errors:
        raise tk.ValidationError(errors)

    duplicate = (
        model.Session.query(AccessRequest)
        .filter(
            AccessRequest.dataset_id == dataset.id,
            AccessRequest.requester_org_id == org.id,
            AccessRequest.status.in_(OPEN_STATUSES),
        )
        .first()
    )
    if duplicate:
        raise tk.ValidationError(
            {"dataset_id": [_("Your agency already has a pending request for this dataset")]}
        )

    created = now()
    days = tk.config.get("ckanext.daknong.provider_decision_working_days")
    due = workdays.calendar_from_config().add_working_days(created.astimezone(LOCAL_TZ), days)
    request = AccessRequest(
        id=str(uuid.uuid4()),
        dataset_id=dataset.id,
        provider_org_id=dataset.owner_org,
        requester_user_id=user.id,
        requester_org_id=org.id,
        requester_agency_code=str(org.extras.get("agency_code") or ""),
        requester_agency_name=str(org.title or org.name),
        application=data["application"],
        purpose=data["purpose"],
        intended_use=data["intended_use"],
        requested_data=data["requested_data"],
        access_frequency=data["access_frequency"],
        period_start=start,
        period_end=end,
        status=SUBMITTED,
        needs_province_approval=needs_province_approval(org.id, dataset.owner_org),
        created_at=created,
        provider_due_at=due.astimezone(dt.timezone.utc),
        history=[],
    )
    _history(request, "submitted", user)
    model.Session.add(request)
    model.Session.commit()
    _notify(request, "submitted", user)
    model.Session.commit()
    return request


def get_request(request_id: str) -> AccessRequest:
    request = model.Session.get(AccessRequest, request_id)
    if request is None:
        raise tk.ObjectNotFound(_("Access request not found"))
    return request


def _grant(request: AccessRequest, user: model.User) -> AccessGrant:
    end_of_period = dt.datetime.combine(request.period_end, dt.time(23, 59, 59), LOCAL_TZ)
    grant = AccessGrant(
        id=str(uuid.uuid4()),
        request_id=request.id,
        dataset_id=request.dataset_id,
        org_id=request.requester_org_id,
        valid_from=now(),
        valid_until=end_of_period.astimezone(dt.timezone.utc),
    )
    model.Session.add(grant)
    request.status = GRANTED
    _history(request, "granted", user, grant_id=grant.id, valid_until=grant.valid_until.isoformat())
    return grant


def decide(user: model.User, request: AccessRequest, decision: str, reason: str = "") -> None:
    """Record a provider's or an approver's decision; refusals need a reason.

    ``decision`` is ``approve`` or ``refuse`` (the action's schema checks the input).
    """
    if not may_decide(user, request):
        raise tk.NotAuthorized(decide_refusal_message(request))
    if decision == "refuse" and not reason.strip():
        raise tk.ValidationError({"reason": [_("A refusal must give its reason")]})
    if request.status == SUBMITTED:
        request.provider_decided_by = user.id
        request.provider_decided_at = now()
        stage = "provider"
    else:
        request.approver_decided_by = user.id
        request.approver_decided_at = now()
        stage = "approver"

    if decision == "refuse":
        request.status = REFUSED
        request.refusal_reason = reason.strip()
        _history(request, "refused", user, stage=stage, reason=request.refusal_reason)
    elif stage == "provider" and request.needs_province_approval:
        request.status = AWAITING_APPROVAL
        _history(request, "provider_approved", user)
    else:
        _history(request, f"{stage}_approved", user)
        _grant(request, user)
    model.Session.commit()
    _notify(request, request.status, user)
    model.Session.commit()


def revoke(user: model.User, grant: AccessGrant, reason: str) -> None:
    """End an active grant early (providing agency or sysadmin); the reason is mandatory."""
    request = grant_request(grant)
    if not may_revoke(user, grant):
        raise tk.NotAuthorized(revoke_refusal_message(grant))
    if not reason.strip():
        raise tk.ValidationError({"reason": [_("A revocation must give its reason")]})
    grant.revoked_at = now()
    grant.revoked_by = user.id
    grant.revoke_reason = reason.strip()
    if request is not None:
        _history(request, "revoked", user, grant_id=grant.id, reason=grant.revoke_reason)
    model.Session.commit()


def get_grant(grant_id: str) -> AccessGrant:
    grant = model.Session.get(AccessGrant, grant_id)
    if grant is None:
        raise tk.ObjectNotFound(_("Access grant not found"))
    return grant


def list_requests(
    user: model.User, role: str = "", status: str = "", dataset_id: str = ""
) -> list[dict[str, Any]]:
    """Requests the user may see, by role: requester, provider, approver or all visible."""
    query = model.Session.query(AccessRequest).order_by(AccessRequest.created_at.desc())
    if dataset_id:
        dataset = model.Package.get(dataset_id)
        query = query.filter(AccessRequest.dataset_id == (dataset.id if dataset else dataset_id))
    org_ids = membership.organization_ids(user)
    if role == "requester":
        query = query.filter(AccessRequest.requester_org_id.in_(org_ids))
    elif role == "approver":
        if not membership.is_province_approver(user):
            return []
        query = query.filter(AccessRequest.status == AWAITING_APPROVAL)
    requests = [r for r in query if can_see_request(user, r)]
    if role == "provider":
        requests = [r for r in requests if is_provider(user, r)]
    result = [request_dict(r, user) for r in requests]
    return [r for r in result if not status or r["status"] == status]


def list_grants(
    user: model.User, dataset_id: str = "", active_only: bool = False
) -> list[dict[str, Any]]:
    """Grants held by the user's agencies or given on their datasets (all, for sysadmins)."""
    query = model.Session.query(AccessGrant).order_by(AccessGrant.valid_from.desc())
    if dataset_id:
        dataset = model.Package.get(dataset_id)
        query = query.filter(AccessGrant.dataset_id == (dataset.id if dataset else dataset_id))
    if not (user.sysadmin or membership.is_data_administrator(user)):
        org_ids = membership.organization_ids(user)
        owned = model.Session.query(model.Package.id).filter(model.Package.owner_org.in_(org_ids))
        query = query.filter(
            AccessGrant.org_id.in_(org_ids) | AccessGrant.dataset_id.in_(owned.scalar_subquery())
        )
    grants = [grant_dict(g) for g in query]
    return [g for g in grants if not active_only or g["status"] == GRANTED]


def record_expiries(at: dt.datetime | None = None) -> int:
    """Add an ``expired`` step to granted requests whose grant has ended.

    Grants end by the clock, with no action to hook: the scheduler runs this (``ckan daknong
    access record-expiries``) so that the end of each grant is recorded and logged once.
    """
    moment = at or now()
    site_user = model.User.get(tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"])
    ended = (
        model.Session.query(AccessRequest, AccessGrant)
        .join(AccessGrant, AccessGrant.request_id == AccessRequest.id)
        .filter(
            AccessRequest.status == GRANTED,
            AccessGrant.revoked_at.is_(None),
            AccessGrant.valid_until <= moment,
        )
        .all()
    )
    recorded = 0
    for request, grant in ended:
        if any(step.get("event") == EXPIRED for step in request.history or []):
            continue
        _history(request, EXPIRED, site_user, grant_id=grant.id)
        recorded += 1
    model.Session.commit()
    return recorded
