"""Tables of the harvest plugin, created by ``migration/daknong_harvest``.

ckanext-harvest keeps jobs and objects; these tables keep what it does not: the content hash
of each remote record (so unchanged records cost nothing), when a record vanished and why it
was withdrawn, the quarterly run of each source, warnings, and API tokens that must never sit
in a source's ``config`` (which ``harvest_source_show`` returns).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB

from ckanext.daknong.model import Base


def _uuid() -> str:
    return str(uuid.uuid4())


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class HarvestRecord(Base):
    """One remote record of one source and the local dataset it became."""

    __tablename__ = "daknong_harvest_record"

    id = Column(Text, primary_key=True, default=_uuid)
    source_id = Column(Text, nullable=False)
    remote_id = Column(Text, nullable=False)
    remote_name = Column(Text)
    package_id = Column(Text)
    content_hash = Column(Text)
    missing_since = Column(DateTime(timezone=True))
    withdrawn_at = Column(DateTime(timezone=True))
    withdrawn_reason = Column(Text)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now)

    __table_args__ = (
        UniqueConstraint("source_id", "remote_id", name="daknong_harvest_record_remote_uq"),
        Index("daknong_harvest_record_package_idx", "package_id"),
    )


class HarvestSecret(Base):
    """The API token an agency granted for its private datasets, kept server-side only."""

    __tablename__ = "daknong_harvest_secret"

    source_id = Column(Text, primary_key=True)
    token = Column(Text, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=now)


class HarvestRun(Base):
    """One attempt of the quarterly schedule: a harvest job started for a source."""

    __tablename__ = "daknong_harvest_run"

    id = Column(Text, primary_key=True, default=_uuid)
    source_id = Column(Text, nullable=False)
    agency_id = Column(Text)
    quarter = Column(Text, nullable=False)
    job_id = Column(Text)
    attempt = Column(Integer, nullable=False, default=1)
    status = Column(Text, nullable=False, default="running")
    started_at = Column(DateTime(timezone=True), nullable=False, default=now)
    finished_at = Column(DateTime(timezone=True))
    message = Column(Text)
    notified = Column(Boolean, nullable=False, default=False)

    __table_args__ = (Index("daknong_harvest_run_quarter_idx", "quarter", "source_id"),)


class HarvestWarning(Base):
    """Something a focal point should know that is not an error (an id or a name changed)."""

    __tablename__ = "daknong_harvest_warning"

    id = Column(Text, primary_key=True, default=_uuid)
    job_id = Column(Text)
    source_id = Column(Text, nullable=False)
    remote_id = Column(Text)
    message = Column(Text, nullable=False)
    details = Column(JSONB, nullable=False, default=dict)
    created_at = Column(DateTime(timezone=True), nullable=False, default=now)

    __table_args__ = (Index("daknong_harvest_warning_job_idx", "job_id"),)
