"""Sharing-log entries (NĐ 47 Art. 45.2): the one home of what an entry holds and how it chains.

Every entry carries the SHA-256 of its own canonical form, which includes the hash of the entry
before it, so editing, deleting, inserting or reordering rows breaks the chain at that point.
Checkpoints sign the chain's head with a key the database does not hold, so that even a chain
rewritten from the start no longer matches. Entries are appended in their own transaction,
under one lock that serialises the chain, before the data they describe is served.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model as ckan_model
from dateutil.relativedelta import relativedelta
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ckanext.daknong.log_retention import effective_retention_months
from ckanext.daknong.sharing_log import model

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# Channels of Art. 45.2 "phương thức": how the data was reached.
WEB, API, DOWNLOAD, DATASTORE, DCAT, HARVEST, SYSTEM = (
    "web",
    "api",
    "download",
    "datastore",
    "dcat",
    "harvest",
    "system",
)
CHANNELS = (WEB, API, DOWNLOAD, DATASTORE, DCAT, HARVEST, SYSTEM)

SERVED, DENIED, ERROR = "served", "denied", "error"
STATUSES = (SERVED, DENIED, ERROR)

READ, SEARCH = "read", "search"
REQUEST_EVENT_PREFIX = "request_"

HASHED_FIELDS = tuple(column.name for column in model.entry.columns if column.name != "hash")
# pg_advisory_xact_lock key that serialises appends: "daknong_sharing_log" as a 63-bit number.
APPEND_LOCK_KEY = int.from_bytes(hashlib.sha256(b"daknong_sharing_log").digest()[:8], "big") >> 1


class SharingLogUnavailable(Exception):
    """An entry could not be written: the read it describes must not be served (fail closed)."""


@dataclasses.dataclass
class Draft:
    """An entry before it has a place in the chain."""

    event: str
    channel: str
    status: str
    action: str
    request_content: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    user_id: str | None = None
    user_name: str | None = None
    requester_org_id: str | None = None
    requester_agency_code: str | None = None
    provider_org_ids: Sequence[str] = ()
    provider_agency_codes: Sequence[str] = ()
    dataset_ids: Sequence[str] = ()
    resource_ids: Sequence[str] = ()
    http_status: int | None = None
    content_sha256: str | None = None
    grant_id: str | None = None
    access_request_id: str | None = None
    purpose: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    occurred_at: dt.datetime | None = None
    retention_months: int | None = None

    def row(self, entry_id: int, prev_hash: str, now: dt.datetime) -> dict[str, Any]:
        occurred_at = self.occurred_at or now
        months = effective_retention_months(self.retention_months)
        row = {
            "id": entry_id,
            "occurred_at": occurred_at,
            "event": self.event,
            "channel": self.channel,
            "status": self.status,
            "user_id": self.user_id,
            "user_name": self.user_name,
            "requester_org_id": self.requester_org_id,
            "requester_agency_code": self.requester_agency_code,
            "provider_org_ids": list(self.provider_org_ids),
            "provider_agency_codes": list(self.provider_agency_codes),
            "dataset_ids": list(self.dataset_ids),
            "resource_ids": list(self.resource_ids),
            "action": self.action,
            "request_content": canonical_json(self.request_content),
            "http_status": self.http_status,
            "content_sha256": self.content_sha256,
            "grant_id": self.grant_id,
            "access_request_id": self.access_request_id,
            "purpose": self.purpose,
            "client_ip": self.client_ip,
            "user_agent": self.user_agent,
            "retain_until": occurred_at + relativedelta(months=months),
            "prev_hash": prev_hash,
        }
        row["hash"] = entry_hash(row)
        return row


# --- canonical form and hashes ----------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """One byte-exact JSON text for a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc_text(value: dt.datetime) -> str:
    """UTC with microseconds: the one textual form of a time in hashes and archives."""
    return (
        value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat("T", "microseconds") + "Z"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, tuple):
        return list(value)
    return value


# Sorted once: the canonical JSON of an entry lists its columns in this order.
_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def canonical(row: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: every column but the hash itself.

    The same text as ``canonical_json`` of those columns, built without re-sorting keys:
    ``verify`` computes it a million times.
    """
    return _ENCODER.encode({name: _plain(row[name]) for name in _SORTED_FIELDS}).encode("utf-8")


def entry_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as JSON-ready values (archives, the API)."""
    return {name: _plain(row[name]) for name in (*HASHED_FIELDS, "hash")}


# --- signing keys and checkpoints -------------------------------------------------------------


def _key_bytes(value: str) -> bytes:
    return value.encode("utf-8")


SIGNING_KEY = "ckanext.daknong.sharing_log.signing_key"
PREVIOUS_SIGNING_KEYS = "ckanext.daknong.sharing_log.previous_signing_keys"
# Listed among the retired keys, this stands for the key derived from SECRET_KEY: the only way
# to keep accepting what that key signed once a separate key is configured.
DERIVED_KEY_TOKEN = "derived:SECRET_KEY"


def derived_key() -> bytes:
    """The key derived from SECRET_KEY: what signs while no separate key is configured."""
    secret = _key_bytes(tk.config.get("SECRET_KEY") or "")
    return hmac.new(secret, b"daknong-sharing-log-checkpoint", hashlib.sha256).digest()


def using_derived_key() -> bool:
    """True while checkpoints are signed with the SECRET_KEY-derived key (warned about)."""
    return not (tk.config.get(SIGNING_KEY) or "")


DERIVED_KEY_WARNING = (
    "the sharing log's checkpoints are signed with a key derived from SECRET_KEY: anyone who "
    "learns SECRET_KEY (a web-tier secret) can forge them. Set "
    "ckanext.daknong.sharing_log.signing_key to a separate secret (docs/sharing-log.md)."
)


def signing_keys() -> list[bytes]:
    """The current key first, then the retired keys that still verify older checkpoints.

    Without a configured key, one is derived from the site's SECRET_KEY (never stored in the
    database either), so a portal is protected from its first entry, with a warning. Once a
    separate key is configured the derived key is no longer accepted, not even to verify:
    otherwise whoever holds SECRET_KEY could still forge checkpoints. A portal whose older
    checkpoints were signed with it lists ``derived:SECRET_KEY`` among the retired keys, a
    choice its operator makes knowingly.
    """
    previous = [
        derived_key() if value == DERIVED_KEY_TOKEN else _key_bytes(value)
        for value in tk.config.get(PREVIOUS_SIGNING_KEYS) or []
    ]
    configured = tk.config.get(SIGNING_KEY) or ""
    if not configured:
        return [derived_key(), *previous]
    return [_key_bytes(configured), *previous]


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"key-id:" + key).hexdigest()[:16]


def signature(key: bytes, entry_id: int, entry_hash_value: str) -> str:
    message = f"daknong-sharing-log:{entry_id}:{entry_hash_value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def checkpoint_row(entry_id: int, entry_hash_value: str, now: dt.datetime) -> dict[str, Any]:
    if using_derived_key():
        log.warning("sharing log: %s", DERIVED_KEY_WARNING)
    key = signing_keys()[0]
    return {
        "entry_id": entry_id,
        "entry_hash": entry_hash_value,
        "signed_at": now,
        "key_id": key_id(key),
        "signature": signature(key, entry_id, entry_hash_value),
    }


# --- configuration ------------------------------------------------------------------------------


def checkpoint_interval() -> int:
    return tk.config.get("ckanext.daknong.sharing_log.checkpoint_interval")


def write_timeout_ms() -> int:
    return tk.config.get("ckanext.daknong.sharing_log.write_timeout_ms")


# --- appending ----------------------------------------------------------------------------------


def head(connection: Connection) -> tuple[int, str]:
    """Id and hash of the chain's last link: an entry, or the tombstone of a pruned one."""
    row = connection.execute(
        text(
            f"""
            SELECT id, hash FROM (
              (SELECT id, hash FROM {model.SCHEMA}.entry ORDER BY id DESC LIMIT 1)
              UNION ALL
              (SELECT id, hash FROM {model.SCHEMA}.tombstone ORDER BY id DESC LIMIT 1)
            ) links ORDER BY id DESC LIMIT 1
            """
        )
    ).first()
    return (row.id, row.hash) if row else (0, GENESIS_HASH)


def append(drafts: Sequence[Draft]) -> list[dict[str, Any]]:
    """Write entries at the end of the chain, committed before this returns.

    Raises SharingLogUnavailable if they could not be written within the configured time:
    callers must then refuse to serve what the entries describe.
    """
    if not drafts:
        return []
    timeout = f"{write_timeout_ms()}ms"
    try:
        with ckan_model.meta.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT set_config('lock_timeout', :t, true),"
                    " set_config('statement_timeout', :t, true), pg_advisory_xact_lock(:key)"
                ),
                {"t": timeout, "key": APPEND_LOCK_KEY},
            )
            last_id, last_hash = head(connection)
            now = dt.datetime.now(dt.timezone.utc)
            rows = []
            for draft in drafts:
                rows.append(draft.row(last_id + 1, last_hash, now))
                last_id, last_hash = rows[-1]["id"], rows[-1]["hash"]
            connection.execute(model.entry.insert(), rows)
            interval = checkpoint_interval()
            first_id = rows[0]["id"]
            if interval and (last_id // interval) > ((first_id - 1) // interval):
                connection.execute(
                    model.checkpoint.insert(), checkpoint_row(last_id, last_hash, now)
                )
    except SQLAlchemyError as error:
        log.error("sharing log: could not append %d entries: %s", len(drafts), error)
        raise SharingLogUnavailable(str(error)) from error
    return rows


def sign_head() -> dict[str, Any] | None:
    """Sign the chain's current head now (``sharing-log checkpoint``, run by the scheduler)."""
    with ckan_model.meta.engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
        last_id, last_hash = head(connection)
        if not last_id:
            return None
        exists = connection.execute(
            model.checkpoint.select().where(model.checkpoint.c.entry_id == last_id)
        ).first()
        if exists:
            return dict(exists._mapping)
        row = checkpoint_row(last_id, last_hash, dt.datetime.now(dt.timezone.utc))
        connection.execute(model.checkpoint.insert(), row)
        return row
