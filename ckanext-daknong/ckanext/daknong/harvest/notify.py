"""E-mail to an agency's focal points when its harvest fails (QĐ 43 Art. 20.1, 20.3).

Same recipients as access requests (the provider focal point and the agency's admins) and the
same rule: a mail server that is down is logged, never raised.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.plugins.toolkit import _

from ckanext.daknong import notifications
from ckanext.daknong.harvest.model import HarvestRun


def status_link() -> str:
    return f"{tk.config.get('ckan.site_url')}/harvest-status"


def harvest_failed(run: HarvestRun) -> bool:
    """Send the failure e-mail; True if at least one focal point or admin was reached."""
    recipients = notifications.provider_recipients(run.agency_id)
    if not recipients:
        return False
    source = model.Package.get(run.source_id)
    title = source.title if source else run.source_id
    subject = _("Quarterly harvest failed: %s") % title
    body = "\n".join(
        [
            subject,
            "",
            _("Quarter: %s, attempt %s") % (run.quarter, run.attempt),
            _("Reason: %s") % (run.message or "-"),
            _("Status and details: %s") % status_link(),
        ]
    )
    failed = notifications.send(recipients, subject, body)
    return len(failed) < len(recipients)
