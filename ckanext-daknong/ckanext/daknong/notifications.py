"""E-mails of the access-request workflow, through CKAN's mailer.

Who hears what (the roles are ``membership``'s): the providing agency's focal point and admins
when a request arrives (QĐ 43 Art. 20.1), the province approvers when a request waits for them
(Art. 10.2), and the requester and its agency's consumer focal point when a decision is taken.
A mail server that is down never stops the workflow: the failure is logged and recorded in the
request's history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import mailer
from ckan.plugins.toolkit import _

from ckanext.daknong import membership

log = logging.getLogger(__name__)


def _public_mailbox(org_id: str, role: str) -> tuple[str, str] | None:
    """The focal point's published mailbox (NĐ 47 Art. 7), set by the agency's editors.

    Only a place to send news to: it gives no role to whoever owns an account with the same
    address (roles are ``membership``'s).
    """
    org = model.Group.get(org_id)
    email = (org.extras.get(f"{role}_focal_email") or "").strip() if org else ""
    if not email:
        return None
    return (org.extras.get(f"{role}_focal_name") or email, email)


def _focal_recipients(org_id: str, role: str) -> list[tuple[str, str]]:
    """The focal-point account (while a member of the agency) and the published mailbox."""
    found = []
    account = membership.focal_user(org_id, role)
    if account is not None and account.email:
        found.append((account.display_name, account.email))
    mailbox = _public_mailbox(org_id, role)
    if mailbox:
        found.append(mailbox)
    return found


def provider_recipients(org_id: str) -> list[tuple[str, str]]:
    """The providing agency's focal point and admins (QĐ 43 Art. 20.1)."""
    admins = [(u.display_name, u.email) for u in membership.admins(org_id) if u.email]
    return _unique([*_focal_recipients(org_id, membership.PROVIDER), *admins])


def approver_recipients() -> list[tuple[str, str]]:
    return _unique([(u.display_name, u.email) for u in membership.province_approvers() if u.email])


def requester_recipients(user_id: str, org_id: str) -> list[tuple[str, str]]:
    """The requesting user and the requesting agency's consumer focal point (Art. 21.1)."""
    user = model.User.get(user_id)
    recipients = [(user.display_name, user.email)] if user and user.email else []
    return _unique(recipients + _focal_recipients(org_id, membership.CONSUMER))


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
