"""The harvest cycle shared by the three harvesters: read everything, write only what changed.

Gather reads the whole remote catalogue first. A source that fails half-way changes nothing
(no record is marked missing, nothing is withdrawn): "nothing already imported is lost when
a source fails". Each record is mapped to our schema and hashed; only new or changed records
become harvest objects, so an unchanged record touches neither PostgreSQL's packages nor
Solr. Records missing from a complete listing are withdrawn after a grace period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import search
from ckan.lib.search import rebuild
from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError
from sqlalchemy import text

from ckanext.daknong import agencies, contracts
from ckanext.daknong.harvest import indexing, mapping
from ckanext.daknong.harvest.fetch import FetchError, scrub
from ckanext.daknong.harvest.messages import N_, Message
from ckanext.daknong.harvest.model import HarvestRecord, HarvestSecret, HarvestWarning, now

log = logging.getLogger(__name__)

WITHDRAWN_STATE = "draft"


class SourceError(Exception):
    """The whole source is unusable (malformed file, wrong encoding): a gather error.

    Raised with a Message: ``str(error)`` is its bilingual text (Vietnamese / English).
    """

    def __init__(self, message: Message | str) -> None:
        super().__init__(str(message))
        self.message = message


class Source:
    """What a harvester needs to know about the source a job runs for."""

    def __init__(self, harvest_source: Any) -> None:
        self.id: str = harvest_source.id
        self.url: str = (harvest_source.url or "").strip()
        self.config: dict[str, Any] = parse_config(harvest_source.config)
        self.token_allowed = True
        package = model.Package.get(harvest_source.id)
        agency = model.Group.get(package.owner_org) if package and package.owner_org else None
        self.agency_id: str | None = agency.id if agency else None
        self.agency_code = (agency.extras.get("agency_code") or "") if agency else ""

    @classmethod
    def detached(
        cls,
        source_id: str,
        url: str,
        config: dict[str, Any],
        agency: model.Group,
        token_allowed: bool = False,
    ) -> Source:
        """A source read by the agency self-check, at an address the user typed.

        The stored token goes only to the registered source's own address: a user-typed URL
        must never receive it.
        """
        source = cls.__new__(cls)
        source.id, source.url, source.config = source_id, url, config
        source.agency_id = agency.id
        source.agency_code = agency.extras.get("agency_code") or ""
        source.token_allowed = token_allowed
        return source

    @property
    def token(self) -> str | None:
        if not self.token_allowed:
            return None
        secret = model.Session.get(HarvestSecret, self.id)
        return secret.token if secret else None


def parse_config(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise tk.ValidationError({"config": [f"not JSON: {error}"]}) from error
    if not isinstance(value, dict):
        raise tk.ValidationError({"config": ["must be a JSON object"]})
    return value


def validate_common_config(config: dict[str, Any]) -> None:
    """Options every daknong harvester understands; tokens are refused here on purpose."""
    for key in ("token", "api_key", "apikey", "authorization"):
        if key in config:
            raise tk.ValidationError(
                {
                    "config": [
                        f"'{key}': API tokens are never kept in a source's configuration; "
                        "use `ckan daknong harvest token SOURCE`"
                    ]
                }
            )
    private = config.get("private_access_level", "shared")
    if private not in ("shared", "restricted"):
        raise tk.ValidationError({"config": ["private_access_level: shared or restricted"]})
    public = config.get("public_access_level", "shared")
    if public not in ("open", "shared", "restricted"):
        raise tk.ValidationError({"config": ["public_access_level: open, shared or restricted"]})
    grace = config.get("grace_days", 0)
    if not isinstance(grace, int) or grace < 0:
        raise tk.ValidationError({"config": ["grace_days: a whole number of days, 0 or more"]})


class DaknongHarvester(HarvesterBase):
    """Base of the three harvesters. Subclasses implement ``read_records`` only."""

    source_type = ""
    title = ""
    description = ""
    plugin_name = ""  # the entry point's name (setup.py), for the start-up contract

    # IConfigurable: each harvester builds on daknong_harvest (contracts.py)

    def configure(self, config: Any) -> None:
        contracts.require(self.plugin_name)

    # IHarvester

    def info(self) -> dict[str, str]:
        return {"name": self.source_type, "title": self.title, "description": self.description}

    def validate_config(self, config: str | None) -> str | None:
        validate_common_config(parse_config(config))
        return config

    def read_records(self, source: Source) -> Iterable[mapping.RemoteRecord]:
        """Every record of the source, mapped; raise FetchError or SourceError if unusable."""
        raise NotImplementedError

    def gather_stage(self, harvest_job: Any) -> list[str] | None:
        if not claim_gather(harvest_job):
            log.info("harvest job %s: already gathered, not gathered again", harvest_job.id)
            return []
        source = Source(harvest_job.source)
        if not source.agency_code:
            return self._gather_error(
                harvest_job, N_("the source's agency has no agency code (QĐ 20)")
            )
        try:
            records = list(self.read_records(source))
        except (FetchError, SourceError) as error:
            return self._gather_error(harvest_job, str(error), source.token)
        return plan(source, harvest_job, records)

    def fetch_stage(self, harvest_object: Any) -> bool:
        """Gather already read the record: nothing more to fetch."""
        return True

    def import_stage(self, harvest_object: Any) -> bool | str:
        return import_object(harvest_object)

    def _gather_error(self, job: Any, message: Message | str, token: str | None = None) -> None:
        safe = scrub(str(message), token)
        HarvestGatherError(message=safe, job=job).save()
        log.warning("harvest source %s: %s", job.source.id, safe)
        return None


# --- gather: decide what to do with each record ------------------------------------------------


def claim_gather(job: Any) -> bool:
    """Whether this process may gather ``job``: once per job, whoever runs it.

    A job run by hand while the gather consumer also received it was gathered twice, so every
    record was imported twice. The job's row is locked until the plan is committed; a second
    gatherer then finds the job's harvest objects (or a finished job) and gathers nothing.
    """
    locked = (
        model.Session.query(HarvestJob.status)
        .filter(HarvestJob.id == job.id)
        .with_for_update()
        .scalar()
    )
    if locked == "Finished":
        return False
    return model.Session.query(HarvestObject.id).filter_by(harvest_job_id=job.id).first() is None


def plan(source: Source, job: Any, records: list[mapping.RemoteRecord]) -> list[str]:
    """Harvest objects for new and changed records; mark missing ones; withdraw vanished ones."""
    known = {r.remote_id: r for r in _records(source.id)}
    _forget_vanished_packages(known.values())
    seen: set[str] = set()
    object_ids = []
    unchanged: list[str] = []
    for record in records:
        if record.errors or record.remote_id in seen:
            _record_error(
                job,
                record,
                record.errors or [N_("duplicate identifier {id}", id=record.remote_id)],
            )
            continue
        seen.add(record.remote_id)
        stored = known.get(record.remote_id) or _renamed(known, record, seen, job, source)
        for warning in record.warnings:
            _warn(job, source, record.remote_id, mapping.at(record.where, warning))
        if stored and stored.remote_name and record.remote_name not in (None, stored.remote_name):
            _warn(
                job,
                source,
                record.remote_id,
                mapping.at(
                    record.where,
                    N_(
                        "name changed from {old} to {new}; the portal keeps its address",
                        old=stored.remote_name,
                        new=record.remote_name,
                    ),
                ),
            )
            stored.remote_name = record.remote_name  # warn once, not at every harvest
        digest = mapping.content_hash(record.package)
        if stored and _unchanged(stored, digest):
            unchanged.append(stored.package_id)
            continue
        object_ids.append(_harvest_object(job, record, digest))
    _handle_missing(source, job, [r for r in known.values() if r.remote_id not in seen])
    model.Session.commit()
    _index_stale(source, unchanged)
    return object_ids


def _index_stale(source: Source, package_ids: list[str]) -> None:
    """Index the unchanged datasets whose document never reached Solr, or whose last update
    never did (``indexing.stale``). One that cannot be indexed is logged and does not stop
    the gather: the others are indexed and the job goes on."""
    try:
        stale = indexing.stale(package_ids)
    except search.SearchIndexError as error:
        log.warning("harvest source %s: search index not checked: %s", source.id, error)
        return
    if stale:
        log.warning(
            "harvest source %s: %d datasets missing or out of date in the search index; "
            "indexing them",
            source.id,
            len(stale),
        )
    for package_id in stale:
        try:
            indexing.index([package_id])
        except Exception:
            log.exception("harvest source %s: dataset %s not indexed", source.id, package_id)


def _records(source_id: str) -> list[HarvestRecord]:
    return model.Session.query(HarvestRecord).filter_by(source_id=source_id).all()


def _forget_vanished_packages(stored: Iterable[HarvestRecord]) -> None:
    """Records whose dataset was purged (``harvest_source_clear``, a sysadmin) are imported
    again, not taken as unchanged: re-harvesting after a clear recreated nothing."""
    by_package = {r.package_id: r for r in stored if r.package_id}
    if not by_package:
        return
    alive = {
        package_id
        for (package_id,) in model.Session.query(model.Package.id).filter(
            model.Package.id.in_(list(by_package))
        )
    }
    for package_id, record in by_package.items():
        if package_id not in alive:
            record.package_id = None


def _unchanged(stored: HarvestRecord, digest: str) -> bool:
    if stored.content_hash != digest or stored.withdrawn_at or not stored.package_id:
        return False
    if stored.missing_since:
        stored.missing_since = None
    return True


def _renamed(
    known: dict[str, HarvestRecord],
    record: mapping.RemoteRecord,
    seen: set[str],
    job: Any,
    source: Source,
) -> HarvestRecord | None:
    """A record whose id changed but whose name did not: the same dataset, with a warning."""
    if not record.remote_name:
        return None
    for stored in known.values():
        if stored.remote_name == record.remote_name and stored.remote_id not in seen:
            old_id = stored.remote_id
            _warn(
                job,
                source,
                record.remote_id,
                mapping.at(
                    record.where,
                    N_(
                        "identifier changed from {old} to {new} (same name {name})",
                        old=old_id,
                        new=record.remote_id,
                        name=record.remote_name,
                    ),
                ),
            )
            del known[old_id]
            stored.remote_id = record.remote_id
            known[record.remote_id] = stored
            return stored
    return None


def _harvest_object(job: Any, record: mapping.RemoteRecord, digest: str) -> str:
    content = {
        "number": record.number,
        "unit": record.unit,
        "where": record.where.english,
        "remote_id": record.remote_id,
        "remote_name": record.remote_name,
        "hash": digest,
        "package": record.package,
    }
    obj = HarvestObject(guid=record.remote_id, job=job, content=json.dumps(content))
    obj.save()
    return obj.id


def _record_error(job: Any, record: mapping.RemoteRecord, errors: list[Message]) -> None:
    """An unusable record: an errored object naming its row or position; the rest goes on."""
    obj = HarvestObject(guid=record.remote_id or f"record-{record.number}", job=job)
    obj.state = "ERROR"
    obj.report_status = "errored"
    obj.save()
    for error in errors:
        message = str(mapping.at(record.where, error))
        HarvestObjectError(message=message, object=obj, stage="Gather").save()


def _warn(job: Any, source: Source, remote_id: str | None, message: Message) -> None:
    model.Session.add(
        HarvestWarning(
            job_id=job.id, source_id=source.id, remote_id=remote_id, message=str(message)
        )
    )
    log.info("harvest source %s: %s", source.id, message)


def _handle_missing(source: Source, job: Any, missing: list[HarvestRecord]) -> None:
    grace = dt.timedelta(days=grace_days(source))
    moment = now()
    for stored in missing:
        if stored.withdrawn_at:
            continue
        stored.missing_since = stored.missing_since or moment
        if moment - stored.missing_since >= grace:
            reason = str(
                N_(
                    "no longer published by the source since {day} (harvest job {job})",
                    day=stored.missing_since.date().isoformat(),
                    job=job.id,
                )
            )
            withdraw(stored, reason)


def grace_days(source: Source) -> int:
    configured = source.config.get("grace_days")
    if isinstance(configured, int) and configured >= 0:
        return configured
    return tk.config.get("ckanext.daknong.harvest.withdraw_grace_days")


def withdraw(stored: HarvestRecord, reason: str) -> None:
    """Take a dataset out of the catalogue without deleting it; the reason is kept."""
    stored.withdrawn_at = now()
    stored.withdrawn_reason = reason
    package = model.Package.get(stored.package_id) if stored.package_id else None
    if package is not None and package.state == model.State.ACTIVE:
        package.state = WITHDRAWN_STATE
        model.Session.commit()
        rebuild(package.id)


# --- import: write one record through the scheming schema -------------------------------------


def import_object(harvest_object: Any) -> bool | str:
    """Import one record, one importer at a time per record; never raise.

    An exception here would end the fetch consumer (ckanext-harvest does not catch it) and
    leave the job "Running" for ever: any failure becomes the object's error instead.
    """
    content = json.loads(harvest_object.content)
    source = _job_source(harvest_object)
    try:
        with _record_lock(source.id, content["remote_id"]):
            return _import_locked(harvest_object, content, source)
    except Exception as error:
        model.Session.rollback()
        log.exception("harvest object %s: import failed", harvest_object.id)
        place = mapping.where(content.get("unit", "record"), content["number"])
        problem = N_("not imported: {error}", error=f"{type(error).__name__}: {error}"[:300])
        HarvestObjectError(
            message=str(mapping.at(place, problem)), object=harvest_object, stage="Import"
        ).save()
        return False


_current_job: tuple[str, Source] | None = None


def _job_source(harvest_object: Any) -> Source:
    """The source of the object's job, read once per job by this process.

    A fetch consumer imports a job's objects one after another; reading the source, its
    dataset and its agency again for each of them was a tenth of an import. The agency is
    the one the source had when this process imported the job's first object, and the
    memo holds plain values only, never ORM objects (the consumer ends its session after
    every message).
    """
    global _current_job
    if _current_job is None or _current_job[0] != harvest_object.harvest_job_id:
        _current_job = (harvest_object.harvest_job_id, Source(harvest_object.source))
    return _current_job[1]


class _record_lock:
    """A PostgreSQL advisory lock on (source, remote id), on a connection of its own.

    A lock in the import's own transaction would end at any commit inside it (CKAN commits
    default resource views itself) and before the dataset is indexed; the lock is held on a
    separate connection until the record is imported, remembered and indexed.
    """

    def __init__(self, source_id: str, remote_id: str) -> None:
        digest = hashlib.sha256(f"{source_id}/{remote_id}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self.connection: Any = None

    def __enter__(self) -> None:
        self.connection = model.meta.engine.connect()
        self.connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.key})

    def __exit__(self, *exc: Any) -> None:
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        finally:
            self.connection.close()


def _import_locked(harvest_object: Any, content: dict[str, Any], source: Source) -> bool | str:
    model.Session.expire_all()  # what another importer committed while we waited
    stored = (
        model.Session.query(HarvestRecord)
        .filter_by(source_id=source.id, remote_id=content["remote_id"])
        .one_or_none()
    )
    package_id = stored.package_id if stored else None
    package = model.Package.get(package_id) if package_id else None
    if package is None:
        package_id = None
    elif stored and stored.content_hash == content["hash"] and package.state == "active":
        # The same content is already imported: a second run of the same job, or a message
        # queued again after the import had finished.
        return "unchanged"
    with indexing.deferred() as written:
        try:
            package_id = _write(source, content, package_id)
            _remember(source, content, package_id, stored)
            _make_current(harvest_object, package_id)
            # One transaction: the dataset, its activity, the record and the current
            # object are committed together, or (on any failure) not at all.
            model.Session.commit()
        except tk.ValidationError as error:
            model.Session.rollback()
            place = mapping.where(content.get("unit", "record"), content["number"])
            message = str(mapping.at(place, agencies.describe_errors(error)))
            HarvestObjectError(message=message, object=harvest_object, stage="Import").save()
            return False
        except BaseException:
            model.Session.rollback()
            # Whatever CKAN committed by itself before the failure (default resource views
            # commit inside package_create) must not stay out of search.
            _index_quietly(harvest_object, written)
            raise
        # inside the scope: the index document reuses the activity's reading of the dataset
        _index_quietly(harvest_object, written | {package_id})
    return True


def _index_quietly(harvest_object: Any, package_ids: set[str]) -> None:
    """Index what the import wrote; a failure here never undoes a committed import."""
    try:
        indexing.index(package_ids)
    except Exception as error:
        # Saved but not searchable yet: the source's next harvest indexes it (plan()).
        log.warning("harvest object %s: saved, not indexed: %s", harvest_object.id, error)


def _write(source: Source, content: dict[str, Any], package_id: str | None) -> str:
    """Create or update the dataset, without committing; its id."""
    package = dict(content["package"])
    package["owner_org"] = source.agency_id
    desired = content.get("remote_name") or package.get("title") or content["remote_id"]
    package["name"] = mapping.resolve_name(
        desired, package_id, source.agency_code, source.id, content["remote_id"]
    )
    context = _context()
    if package_id:
        existing = model.Package.get(package_id)
        package["id"] = package_id
        package["name"] = existing.name
        package["state"] = model.State.ACTIVE
        return tk.get_action("package_update")(context, package)
    return tk.get_action("package_create")(context, package)


def _context() -> dict[str, Any]:
    site_user = model.User.get(tk.config.get("ckan.site_id"))
    if site_user is None:  # CKAN creates it on first use
        name = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        site_user = model.User.get(name)
    return {
        "user": site_user.name,
        # loaded once here, not again by check_access
        "auth_user_obj": site_user,
        "ignore_auth": True,
        # the caller commits once, after the harvest record (_import_locked)
        "defer_commit": True,
        # only the id is used: without it, package_create would end with a package_show
        "return_id_only": True,
    }


def _remember(
    source: Source, content: dict[str, Any], package_id: str, stored: HarvestRecord | None
) -> None:
    stored = stored or HarvestRecord(source_id=source.id, remote_id=content["remote_id"])
    stored.remote_name = content.get("remote_name")
    stored.package_id = package_id
    stored.content_hash = content["hash"]
    stored.missing_since = None
    stored.withdrawn_at = None
    stored.withdrawn_reason = None
    stored.updated_at = now()
    model.Session.add(stored)


def _make_current(harvest_object: Any, package_id: str) -> None:
    """ckanext-harvest's convention: one current object per package."""
    model.Session.query(HarvestObject).filter(
        HarvestObject.package_id == package_id, HarvestObject.current.is_(True)
    ).update({"current": False}, synchronize_session=False)
    harvest_object.package_id = package_id
    harvest_object.current = True
    model.Session.add(harvest_object)
