"""E-mails of the access-request workflow, through CKAN's mailer.

Who hears what: the providing agency's focal point and admins when a request arrives
(QĐ 43 Art. 20.1), the province approvers when a request waits for them (Art. 10.2), and the
requester when a decision is taken. A mail server that is down never stops the workflow: the
failure is logged and recorded in the request's history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import mailer
from ckan.plugins.toolkit import _

log = logging.getLogger(__name__)


def _org_admins(org_id: str) -> list[model.User]:
    rows = (
        model.Session.query(model.User)
        .join(model.Member, model.Member.table_id == model.User.id)
        .filter(
            model.Member.group_id == org_id,
            model.Member.table_name == "user",
            model.Member.capacity == "admin",
            model.Member.state == model.State.ACTIVE,
            model.User.state == model.State.ACTIVE,
        )
    )
    return list(rows)


def _focal_point(org_id: str, role: str) -> tuple[str, str] | None:
    org = model.Group.get(org_id)
    email = (org.extras.get(f"{role}_focal_email") or "").strip() if org else ""
    if not email:
        return None
    return (org.extras.get(f"{role}_focal_name") or email, email)


def provider_recipients(org_id: str) -> list[tuple[str, str]]:
    recipients = [(u.display_name, u.email) for u in _org_admins(org_id) if u.email]
    focal = _focal_point(org_id, "provider")
    return _unique([focal, *recipients] if focal else recipients)


def approver_recipients() -> list[tuple[str, str]]:
    from ckanext.daknong import access

    names = tk.config.get("ckanext.daknong.province_approvers")
    users = [u for u in (model.User.get(n) for n in names) if u]
    org = model.Group.get(tk.config.get("ckanext.daknong.province_approver_organization"))
    if org:
        users += [u for u in _org_admins(org.id) if access.is_province_approver(u)]
    return _unique([(u.display_name, u.email) for u in users if u.email])


def requester_recipients(user_id: str, org_id: str) -> list[tuple[str, str]]:
    user = model.User.get(user_id)
    recipients = [(user.display_name, user.email)] if user and user.email else []
    focal = _focal_point(org_id, "consumer")
    return _unique(recipients + ([focal] if focal else []))


def _unique(recipients: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, result = set(), []
    for name, email in recipients:
        if email.lower() not in seen:
            seen.add(email.lower())
            result.append((name, email))
    return result


def send(recipients: list[tuple[str, str]], subject: str, body: str) -> list[str]:
    """Send to each recipient; return the addresses that could not be reached."""
    failed = []
    for name, email in recipients:
        try:
            mailer.mail_recipient(name, email, subject, body)
        except Exception as error:  # a misconfigured mailer must not stop the workflow
            log.warning("access-request e-mail to %s failed: %s", email, error)
            failed.append(email)
    return failed


def request_link(request_id: str) -> str:
    return f"{tk.config.get('ckan.site_url')}/access-requests/{request_id}"


def message(event: str, dataset_title: str, requester: str, request_id: str) -> tuple[str, str]:
    """Subject and body, bilingual: focal points may read either language."""
    subjects = {
        "submitted": _("New access request for %s"),
        "awaiting_approval": _("Access request awaiting province approval: %s"),
        "granted": _("Access granted: %s"),
        "refused": _("Access refused: %s"),
    }
    subject = subjects[event] % dataset_title
    body = "\n".join(
        [
            subject,
            "",
            _("Requesting agency: %s") % requester,
            _("Details and decision: %s") % request_link(request_id),
        ]
    )
    return subject, body
