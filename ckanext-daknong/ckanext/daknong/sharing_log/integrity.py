"""Verifying the sharing log's chain, in the database or in a pruning archive.

The walk streams rows in id order (a server-side cursor), so a million entries verify in
seconds with constant memory. It stops at the first broken link and names it.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ckan import model as ckan_model

from ckanext.daknong.sharing_log import entries, model

ENTRY_COLUMNS = ", ".join(column.name for column in model.entry.columns)
# A tombstone stands in for a pruned entry: only its place and its two hashes remain.
TOMBSTONE_COLUMNS = ", ".join(
    column.name if column.name in ("id", "prev_hash", "hash") else "NULL"
    for column in model.entry.columns
)


@dataclasses.dataclass
class Report:
    ok: bool
    checked: int = 0
    tombstones: int = 0
    checkpoints: int = 0
    head_id: int = 0
    unsigned_tail: int = 0
    broken_id: int | None = None
    problem: str = ""
    entry_ids: list[int] = dataclasses.field(default_factory=list)  # an archive's, in order

    def summary(self) -> str:
        if self.ok:
            return (
                f"OK: {self.checked} entries, {self.tombstones} pruned links, "
                f"{self.checkpoints} signed checkpoints; head {self.head_id}, "
                f"{self.unsigned_tail} entries after the last checkpoint"
            )
        if self.broken_id is None:
            return f"BROKEN: {self.problem}"
        return f"BROKEN at entry {self.broken_id}: entry {self.broken_id} {self.problem}"


def _fail(report: Report, entry_id: int | None, problem: str) -> Report:
    report.ok = False
    report.broken_id = entry_id
    report.problem = problem
    return report


def _links() -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Entries and tombstones merged in id order, streamed from PostgreSQL."""
    connection = ckan_model.meta.engine.raw_connection()
    try:
        cursor = connection.cursor(name="daknong_sharing_log_verify")
        cursor.itersize = 20_000
        cursor.execute(
            f"""
            SELECT 'entry' AS kind, {ENTRY_COLUMNS} FROM {model.SCHEMA}.entry
            UNION ALL
            SELECT 'tombstone', {TOMBSTONE_COLUMNS} FROM {model.SCHEMA}.tombstone
            ORDER BY id, kind
            """
        )
        names: list[str] = []
        for record in cursor:
            # a named cursor describes its columns only once the first rows arrive
            names = names or [d[0] for d in cursor.description]
            row = dict(zip(names, record, strict=True))
            yield row.pop("kind"), row
        cursor.close()
    finally:
        connection.rollback()
        connection.close()


def _checkpoints() -> dict[int, Mapping[str, Any]]:
    with ckan_model.meta.engine.connect() as connection:
        return {row.entry_id: row._mapping for row in connection.execute(model.checkpoint.select())}


def _signature_ok(point: Mapping[str, Any], keys: list[bytes]) -> bool:
    for key in keys:
        if entries.key_id(key) == point["key_id"]:
            expected = entries.signature(key, point["entry_id"], point["entry_hash"])
            return hmac.compare_digest(expected, point["signature"])
    return False


def _derived_key_note(signed_key_id: Any, keys: list[bytes]) -> str:
    """Say so when a signature is refused because it was made with the SECRET_KEY-derived key
    after a separate key was set (a forgery by whoever holds SECRET_KEY, or an old checkpoint
    the operator has not declared)."""
    derived = entries.derived_key()
    if signed_key_id != entries.key_id(derived) or derived in keys:
        return ""
    return (
        "; it is signed with the key derived from SECRET_KEY, which is not accepted once a "
        f"separate signing key is set (list {entries.DERIVED_KEY_TOKEN} among "
        "previous_signing_keys only if it predates that key)"
    )


def verify_database(progress: Callable[[int], None] | None = None) -> Report:
    """Walk the whole chain: ``ckan daknong sharing-log verify``."""
    links = _links()
    if progress is not None:
        links = progress_walk(links, 100_000, progress)
    return walk(links, _checkpoints(), entries.signing_keys())


def walk(
    links: Iterable[tuple[str, Mapping[str, Any]]],
    checkpoints: Mapping[int, Mapping[str, Any]],
    keys: list[bytes],
    first_id: int = 1,
    first_prev_hash: str = entries.GENESIS_HASH,
) -> Report:
    report = Report(ok=True)
    expected_id, running = first_id, first_prev_hash
    last_signed = 0
    for kind, row in links:
        entry_id = row["id"]
        if entry_id < expected_id:
            return _fail(report, entry_id, "appears twice (inserted)")
        if entry_id > expected_id:
            return _fail(report, expected_id, "is missing (deleted)")
        if row["prev_hash"] != running:
            return _fail(
                report, entry_id, "does not follow the entry before it (inserted or reordered)"
            )
        if kind == "entry":
            if entries.entry_hash(row) != row["hash"]:
                return _fail(report, entry_id, "its content does not match its hash (edited)")
            report.checked += 1
        else:
            report.tombstones += 1
        running = row["hash"]
        point = checkpoints.get(entry_id)
        if point is not None:
            if point["entry_hash"] != running or not _signature_ok(point, keys):
                problem = "does not match its signed checkpoint (rewritten)"
                return _fail(report, entry_id, problem + _derived_key_note(point["key_id"], keys))
            report.checkpoints += 1
            last_signed = entry_id
        expected_id += 1
    report.head_id = expected_id - 1
    beyond = [entry_id for entry_id in checkpoints if entry_id > report.head_id]
    if beyond:
        return _fail(report, report.head_id + 1, "is missing: a signed checkpoint covers it")
    report.unsigned_tail = report.head_id - last_signed
    return report


# --- pruning archives ---------------------------------------------------------------------------

ARCHIVE_FORMAT = "daknong-sharing-log-archive/1"


def seal(entry_hashes: list[str], key: bytes) -> dict[str, Any]:
    """The archive's last line: how many entries, a digest of their hashes, signed."""
    digest = _hashes_digest(entry_hashes)
    return {
        "type": "seal",
        "entries": len(entry_hashes),
        "entries_digest": digest,
        "key_id": entries.key_id(key),
        "signature": entries.signature(key, len(entry_hashes), digest),
    }


def _hashes_digest(entry_hashes: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for value in entry_hashes:
        digest.update(value.encode("ascii"))
    return digest.hexdigest()


def _parse_archive_entry(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in (*entries.HASHED_FIELDS, "hash")}


def verify_archive(path: Path, keys: list[bytes] | None = None) -> Report:
    """An archive verifies on its own: every entry against its hash, consecutive entries
    against each other, and the whole against its signed seal."""
    keys = keys if keys is not None else entries.signing_keys()
    report = Report(ok=True)
    hashes: list[str] = []
    header: dict[str, Any] | None = None
    sealed: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            record = json.loads(line)
            kind = record.pop("type", None)
            if kind == "header":
                header = record
            elif kind == "seal":
                sealed = record
            elif kind == "entry":
                row = _parse_archive_entry(record)
                if _archive_hash(row) != row["hash"]:
                    return _fail(report, row["id"], "its content does not match its hash (edited)")
                if (
                    previous
                    and row["id"] == previous["id"] + 1
                    and (row["prev_hash"] != previous["hash"])
                ):
                    return _fail(report, row["id"], "does not follow the entry before it")
                if previous and row["id"] <= previous["id"]:
                    return _fail(report, row["id"], "is out of order (reordered)")
                hashes.append(row["hash"])
                report.entry_ids.append(row["id"])
                previous = row
                report.checked += 1
            else:
                return _fail(report, None, f"line {number} is not part of an archive")
    if not header or header.get("format") != ARCHIVE_FORMAT:
        return _fail(report, None, "the archive has no header")
    if not sealed or sealed.get("entries") != report.checked:
        return _fail(report, None, "the archive's seal announces another number of entries")
    if sealed.get("entries_digest") != _hashes_digest(hashes):
        return _fail(report, None, "the archive's seal does not cover its entries")
    if not _seal_signed(sealed, keys):
        problem = "the archive's seal is not signed by a known key"
        return _fail(report, None, problem + _derived_key_note(sealed.get("key_id"), keys))
    report.head_id = previous["id"] if previous else 0
    return report


def _archive_hash(row: dict[str, Any]) -> str:
    """Entries in archives hold their timestamps as the canonical strings already."""
    return entries.entry_hash(row)


def _seal_signed(sealed: Mapping[str, Any], keys: list[bytes]) -> bool:
    for key in keys:
        if entries.key_id(key) == sealed.get("key_id"):
            expected = entries.signature(
                key, int(sealed.get("entries") or 0), sealed["entries_digest"]
            )
            return hmac.compare_digest(expected, str(sealed.get("signature")))
    return False


def progress_walk(
    links: Iterable[tuple[str, Mapping[str, Any]]], every: int, callback: Callable[[int], None]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Pass links through, calling back every ``every`` rows (CLI progress on long runs)."""
    for count, link in enumerate(links, start=1):
        if count % every == 0:
            callback(count)
        yield link
