"""Access requests and grants (QĐ 43 Art. 10.2; NĐ 47 Art. 35–38)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import JSONB

from ckanext.daknong.model import Base


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AccessRequest(Base):
    """A consumer agency's request for a restricted dataset, with its decisions."""

    __tablename__ = "daknong_access_request"

    id = Column(Text, primary_key=True, default=_uuid)
    dataset_id = Column(Text, ForeignKey("package.id", ondelete="CASCADE"), nullable=False)
    provider_org_id = Column(Text, ForeignKey("group.id"), nullable=False)
    requester_user_id = Column(Text, ForeignKey("user.id"), nullable=False)
    requester_org_id = Column(Text, ForeignKey("group.id"), nullable=False)
    requester_agency_code = Column(Text, nullable=False)
    requester_agency_name = Column(Text, nullable=False)
    application = Column(Text, nullable=False)
    purpose = Column(Text, nullable=False)
    intended_use = Column(Text, nullable=False)
    requested_data = Column(Text, nullable=False)
    access_frequency = Column(Text, nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    status = Column(Text, nullable=False)
    needs_province_approval = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=_now)
    provider_due_at = Column(DateTime(timezone=True), nullable=False)
    provider_decided_by = Column(Text, ForeignKey("user.id"))
    provider_decided_at = Column(DateTime(timezone=True))
    approver_decided_by = Column(Text, ForeignKey("user.id"))
    approver_decided_at = Column(DateTime(timezone=True))
    refusal_reason = Column(Text)
    history = Column(JSONB, nullable=False, default=list)

    __table_args__ = (
        Index("daknong_access_request_dataset_idx", "dataset_id"),
        Index("daknong_access_request_requester_org_idx", "requester_org_id"),
        Index("daknong_access_request_provider_org_idx", "provider_org_id"),
    )


class AccessGrant(Base):
    """Read access to one restricted dataset for one agency, until ``valid_until``."""

    __tablename__ = "daknong_access_grant"

    id = Column(Text, primary_key=True, default=_uuid)
    request_id = Column(Text, ForeignKey("daknong_access_request.id", ondelete="CASCADE"))
    dataset_id = Column(Text, ForeignKey("package.id", ondelete="CASCADE"), nullable=False)
    org_id = Column(Text, ForeignKey("group.id"), nullable=False)
    valid_from = Column(DateTime(timezone=True), nullable=False, default=_now)
    valid_until = Column(DateTime(timezone=True), nullable=False)
    revoked_at = Column(DateTime(timezone=True))
    revoked_by = Column(Text, ForeignKey("user.id"))
    revoke_reason = Column(Text)

    __table_args__ = (Index("daknong_access_grant_org_idx", "org_id", "valid_until"),)
