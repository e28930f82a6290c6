"""How long sharing-log entries are kept, and pruning them without breaking the chain.

NĐ 47 Art. 45 leaves the period to each database's data-use regulation (the ``database``
entry's ``log_retention_months``); there is no national number, so the province sets a default
in configuration (``ckanext.daknong.sharing_log.retention_months``, see docs/sharing-log.md)
and a floor no database may go below (``retention_floor_months``).
An entry's end date is fixed when it is written, so later edits of a regulation never shorten
the life of evidence already recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ckan import model as ckan_model
from sqlalchemy import text

from ckanext.daknong import log_retention
from ckanext.daknong.sharing_log import entries, integrity, model

PRUNE_BATCH = 5000
RETENTION_FIELD = "log_retention_months"


def _months(value: object) -> int | None:
    try:
        months = int(str(value))
    except (TypeError, ValueError):
        return None
    return months if months > 0 else None


# A database entry's own field, or that of the database (same agency) a dataset names.
_RETENTION_SQL = text(
    """
    SELECT p.id,
           CASE WHEN p.type = 'database' THEN own.value ELSE db_months.value END AS months
    FROM package p
    LEFT JOIN package_extra own
      ON own.package_id = p.id AND own.key = :field AND own.state = 'active'
    LEFT JOIN package_extra named
      ON named.package_id = p.id AND named.key = 'database' AND named.state = 'active'
    LEFT JOIN package db
      ON db.name = named.value AND db.type = 'database' AND db.owner_org = p.owner_org
     AND db.state = 'active'
    LEFT JOIN package_extra db_months
      ON db_months.package_id = db.id AND db_months.key = :field
     AND db_months.state = 'active'
    WHERE p.id = ANY(:ids)
    """
)


def retention_by_dataset(dataset_ids: Iterable[str]) -> dict[str, int]:
    """Months set by each dataset's database regulation, where one sets them (one query),
    never below the provincial floor: max(floor, database value).

    The database entry belongs to the providing agency, whose own conduct the log may have
    to prove: it may lengthen the period, not shorten it below the floor (the validator
    refuses such a value; an older value stored before the floor existed is raised here).
    """
    ids = sorted(set(dataset_ids))
    if not ids:
        return {}
    floor = log_retention.retention_floor_months()
    rows = ckan_model.Session.execute(_RETENTION_SQL, {"field": RETENTION_FIELD, "ids": ids})
    found = {row.id: _months(row.months) for row in rows}
    return {dataset_id: max(months, floor) for dataset_id, months in found.items() if months}


def retention_months(dataset_ids: Iterable[str]) -> int | None:
    """The longest retention set by the databases these datasets belong to, if any."""
    return max(retention_by_dataset(dataset_ids).values(), default=None)


# --- pruning ------------------------------------------------------------------------------------


@dataclasses.dataclass
class PruneResult:
    pruned: int
    archive: Path | None


def _expired_rows() -> Iterable[dict]:
    with ckan_model.meta.engine.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(
            model.entry.select()
            .where(model.entry.c.retain_until < text("now()"))
            .order_by(model.entry.c.id)
        )
        for row in result:
            yield dict(row._mapping)


def write_archive(rows: Iterable[dict], path: Path) -> list[int]:
    """Entries as compressed JSON Lines: a header, one line per entry, a signed seal.

    Streams, so that a large prune does not hold the entries in memory; only ids are kept.
    """
    key = entries.signing_keys()[0]
    header = {
        "type": "header",
        "format": integrity.ARCHIVE_FORMAT,
        "created_at": entries.utc_text(dt.datetime.now(dt.timezone.utc)),
        "note": "NĐ 47 Art. 45 sharing log: entries past their retention period",
    }
    ids: list[int] = []
    hashes: list[str] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as stream:
        stream.write(entries.canonical_json(header) + "\n")
        for row in rows:
            plain = entries.plain_row(row)
            stream.write(entries.canonical_json({"type": "entry", **plain}) + "\n")
            ids.append(plain["id"])
            hashes.append(plain["hash"])
        stream.write(entries.canonical_json(integrity.seal(hashes, key)) + "\n")
    with partial.open("rb") as stream:
        os.fsync(stream.fileno())
    partial.replace(path)
    return ids


class ArchiveNotVerified(RuntimeError):
    """Entries are only removed once their archive exists, is not empty and verifies."""


def prune(archive_dir: Path, progress: Callable[[int, int], None] | None = None) -> PruneResult:
    """Archive every expired entry, check the archive, then remove the entries.

    Removal goes through the database's ``prune()`` function, which refuses entries still
    within their retention and leaves a tombstone per entry (its id and hashes, no content) so
    that the remaining chain keeps verifying.
    """
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = archive_dir / f"sharing-log-{stamp}.jsonl.gz"
    ids = write_archive(_expired_rows(), path)
    if not ids:
        path.unlink()
        return PruneResult(0, None)
    return remove_archived(path, ids, progress)


def check_archive(path: Path, ids: list[int]) -> str:
    """Refuse (ArchiveNotVerified) unless the archive exists, is not empty, verifies (every
    entry against its hash and the whole against its signed seal) and holds exactly these
    entries. Returns the archive's SHA-256, which the tombstones record."""
    if not path.is_file():
        raise ArchiveNotVerified(f"the archive {path} does not exist")
    if path.stat().st_size == 0:
        raise ArchiveNotVerified(f"the archive {path} is empty")
    try:
        report = integrity.verify_archive(path)
    except (OSError, EOFError, ValueError) as error:  # truncated gzip, broken JSON
        raise ArchiveNotVerified(f"the archive {path} cannot be read: {error}") from error
    if not report.ok:
        raise ArchiveNotVerified(f"the archive {path} does not verify: {report.summary()}")
    if report.entry_ids != ids:
        raise ArchiveNotVerified(f"the archive {path} does not hold the entries to remove")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _unchanged(path: Path, seen: os.stat_result) -> None:
    try:
        now = path.stat()
    except OSError as error:
        raise ArchiveNotVerified(f"the archive {path} disappeared while pruning") from error
    if (now.st_size, now.st_mtime_ns, now.st_ino) != (seen.st_size, seen.st_mtime_ns, seen.st_ino):
        raise ArchiveNotVerified(f"the archive {path} changed while pruning")


def remove_archived(
    path: Path, ids: list[int], progress: Callable[[int, int], None] | None = None
) -> PruneResult:
    """Remove archived entries, right after checking their archive (``check_archive``).

    The check runs immediately before the first deletion, and before every later batch the
    archive must still be the file that was checked: nothing is removed without evidence of
    it kept elsewhere.
    """
    digest = check_archive(path, ids)
    checked = path.stat()
    pruned = 0
    for start in range(0, len(ids), PRUNE_BATCH):
        batch = ids[start : start + PRUNE_BATCH]
        _unchanged(path, checked)
        with ckan_model.meta.engine.begin() as connection:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": entries.APPEND_LOCK_KEY}
            )
            pruned += connection.execute(
                text(f"SELECT {model.SCHEMA}.prune(:ids, :name, :digest)"),
                {"ids": batch, "name": path.name, "digest": digest},
            ).scalar()
        if progress is not None:
            progress(pruned, len(ids))
    return PruneResult(pruned, path)


def read_archive(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]
