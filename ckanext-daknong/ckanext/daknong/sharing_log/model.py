"""Tables of the sharing log, in their own schema and their own metadata.

They are created by the alembic migrations in ``migration/daknong_sharing_log`` and kept out of
CKAN's metadata on purpose: CKAN's ``delete_all`` (tests) and ``db clean`` must never try to
empty an append-only log.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

SCHEMA = "daknong_sharing_log"
metadata = MetaData(schema=SCHEMA)
TEXTS = ARRAY(Text)

entry = Table(
    "entry",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("event", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("user_id", Text),
    Column("user_name", Text),
    Column("requester_org_id", Text),
    Column("requester_agency_code", Text),
    Column("provider_org_ids", TEXTS, nullable=False),
    Column("provider_agency_codes", TEXTS, nullable=False),
    Column("dataset_ids", TEXTS, nullable=False),
    Column("resource_ids", TEXTS, nullable=False),
    Column("action", Text, nullable=False),
    Column("request_content", Text, nullable=False),
    Column("http_status", Integer),
    Column("content_sha256", Text),
    Column("grant_id", Text),
    Column("access_request_id", Text),
    Column("purpose", Text),
    Column("client_ip", Text),
    Column("user_agent", Text),
    Column("retain_until", DateTime(timezone=True), nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

checkpoint = Table(
    "checkpoint",
    metadata,
    Column("entry_id", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_hash", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("key_id", Text, nullable=False),
    Column("signature", Text, nullable=False),
)

tombstone = Table(
    "tombstone",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("pruned_at", DateTime(timezone=True), nullable=False),
    Column("archive_name", Text, nullable=False),
    Column("archive_sha256", Text, nullable=False),
)

open_read = Table(
    "open_read",
    metadata,
    Column("day", Date, primary_key=True),
    Column("dataset_id", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("reads", BigInteger, nullable=False),
)
