"""Access-request steps in the sharing log (NĐ 47 Art. 45.1: who asked for which data).

Receives ``grants.access_request_event`` before the step is committed; if the entry cannot be
written the exception stops the step, so no decision exists without its log entry.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask import request as http_request

from ckanext.daknong import agencies
from ckanext.daknong.model.access import AccessRequest
from ckanext.daknong.sharing_log import capture, entries, retention


def record_request_event(
    event: str, request: AccessRequest, user: Any, details: dict[str, Any]
) -> None:
    in_http = has_request_context() and http_request.endpoint is not None
    try:
        _append(event, request, user, details, in_http)
    except entries.SharingLogUnavailable:
        capture.flag_unavailable()
        raise


def _append(
    event: str, request: AccessRequest, user: Any, details: dict[str, Any], in_http: bool
) -> None:
    codes = agencies.agency_codes([request.provider_org_id])
    entries.append(
        [
            entries.Draft(
                event=f"{entries.REQUEST_EVENT_PREFIX}{event}",
                channel=capture.channel() if in_http else entries.SYSTEM,
                status=entries.SERVED,
                action=capture.action_name() if in_http else f"access_request.{event}",
                request_content=(
                    capture.request_content() if in_http else {"details": capture.redact(details)}
                ),
                user_id=getattr(user, "id", None),
                user_name=getattr(user, "name", None),
                requester_org_id=request.requester_org_id,
                requester_agency_code=request.requester_agency_code,
                provider_org_ids=[request.provider_org_id],
                provider_agency_codes=[codes.get(request.provider_org_id, "")],
                dataset_ids=[request.dataset_id],
                grant_id=details.get("grant_id"),
                access_request_id=request.id,
                purpose=request.purpose,
                client_ip=http_request.remote_addr if in_http else None,
                user_agent=(http_request.user_agent.string or None) if in_http else None,
                retention_months=retention.retention_months([request.dataset_id]),
            )
        ]
    )
