"""The quarterly schedule (QĐ 43 Art. 21.3: every quarter; Art. 20.3: promptly, at the set
frequency) and each agency's status for a quarter.

ckanext-harvest has no quarterly frequency, so sources stay MANUAL and ``ckan daknong harvest
schedule``, run daily, starts one job per active source per calendar quarter once the window
opens, retries failed attempts while attempts remain, aborts stuck jobs and tells the agency's
focal points when a harvest fails. A quarter's status per agency is derived from the runs:
``on_time`` (succeeded inside the window), ``late`` (succeeded after it), ``failed``,
``running``, ``not_run``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestSource

from ckanext.daknong.harvest.messages import N_
from ckanext.daknong.harvest.model import HarvestRun, now

log = logging.getLogger(__name__)

ON_TIME, LATE, FAILED, RUNNING, NOT_RUN = "on_time", "late", "failed", "running", "not_run"
# For an agency with several sources, the worst status wins.
SEVERITY = {FAILED: 0, NOT_RUN: 1, RUNNING: 2, LATE: 3, ON_TIME: 4}


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter named like ``2026Q4``."""
    year, number = int(quarter[:4]), int(quarter[-1])
    first = dt.date(year, 3 * number - 2, 1)
    following = dt.date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return first, following - dt.timedelta(days=1)


def window(quarter: str) -> tuple[dt.date, dt.date]:
    """The configurable harvest window inside a quarter (never beyond its last day)."""
    first, last = quarter_bounds(quarter)
    opens = first + dt.timedelta(days=tk.config.get("ckanext.daknong.harvest.window_start_day") - 1)
    closes = opens + dt.timedelta(days=tk.config.get("ckanext.daknong.harvest.window_days") - 1)
    return min(opens, last), min(closes, last)


def active_sources() -> list[HarvestSource]:
    return (
        model.Session.query(HarvestSource)
        .join(model.Package, model.Package.id == HarvestSource.id)
        .filter(HarvestSource.active.is_(True), model.Package.state == model.State.ACTIVE)
        .order_by(HarvestSource.id)
        .all()
    )


def agency_of(source_id: str) -> str | None:
    package = model.Package.get(source_id)
    return package.owner_org if package else None


@dataclass
class ScheduleReport:
    started: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)


def run_schedule(today: dt.date | None = None) -> ScheduleReport:
    """The daily pass: close what ended, abort what is stuck, start what is due, tell failures."""
    today = today or dt.date.today()
    report = ScheduleReport()
    update_runs(report)
    quarter = quarter_of(today)
    opens, _ = window(quarter)
    if today >= opens:
        for source in active_sources():
            if due(source.id, quarter):
                start(source, quarter, report)
    notify_failures(report)
    return report


def due(source_id: str, quarter: str) -> bool:
    runs = _runs(source_id, quarter)
    if any(r.status in ("succeeded", "running") for r in runs):
        return False
    return len(runs) < tk.config.get("ckanext.daknong.harvest.max_attempts")


def _runs(source_id: str, quarter: str) -> list[HarvestRun]:
    return (
        model.Session.query(HarvestRun)
        .filter_by(source_id=source_id, quarter=quarter)
        .order_by(HarvestRun.started_at)
        .all()
    )


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def start(source: HarvestSource, quarter: str, report: ScheduleReport) -> None:
    attempt = len(_runs(source.id, quarter)) + 1
    run = HarvestRun(
        source_id=source.id,
        agency_id=agency_of(source.id),
        quarter=quarter,
        attempt=attempt,
        status="running",
    )
    leftover = _unstarted_job(source.id)
    try:
        if leftover is not None:
            # A job whose start failed half-way (Redis down after the job was saved): ckanext-
            # harvest refuses a new one while it exists, so this attempt queues it again.
            requeue_lost_gather(leftover)
            leftover.status = "Running"
            leftover.save()
            job_id = leftover.id
        else:
            job_id = tk.get_action("harvest_job_create")(
                _site_context(), {"source_id": source.id, "run": True}
            )["id"]
    except (tk.ValidationError, tk.ObjectNotFound, Exception) as error:  # a queue that is down
        model.Session.rollback()
        run.status, run.finished_at = "failed", now()
        run.message = str(N_("the job could not be started: {error}", error=str(error)[:300]))
        report.failed.append(source.id)
    else:
        followed = model.Session.query(HarvestRun).filter_by(job_id=job_id).first()
        if followed is not None:  # harvest_job_create recorded the run already
            followed.quarter, followed.attempt = run.quarter, run.attempt
            run = followed
        run.job_id = job_id
        report.started.append(source.id)
    model.Session.add(run)
    model.Session.commit()


def follow(job_id: str, today: dt.date | None = None) -> HarvestRun:
    """The quarter's run of a job, recorded when the job is created, by hand or by ``start``.

    Before, only jobs the schedule started had a run, so a job started by hand did not show
    in the quarterly status and the schedule started another one.
    """
    existing = model.Session.query(HarvestRun).filter_by(job_id=job_id).first()
    if existing is not None:
        return existing
    job = model.Session.get(HarvestJob, job_id)
    quarter = quarter_of(today or dt.date.today())
    run = HarvestRun(
        source_id=job.source_id,
        agency_id=agency_of(job.source_id),
        quarter=quarter,
        attempt=len(_runs(job.source_id, quarter)) + 1,
        status="running",
        job_id=job_id,
    )
    model.Session.add(run)
    model.Session.commit()
    return run


def _unstarted_job(source_id: str) -> HarvestJob | None:
    """A job of the source that was created but never gathered and no run follows."""
    followed = model.Session.query(HarvestRun.job_id).filter(HarvestRun.job_id.isnot(None))
    return (
        model.Session.query(HarvestJob)
        .filter(
            HarvestJob.source_id == source_id,
            HarvestJob.status.in_(("New", "Running")),
            HarvestJob.gather_started.is_(None),
            HarvestJob.id.notin_(followed),
        )
        .order_by(HarvestJob.created.desc())
        .first()
    )


def update_runs(report: ScheduleReport) -> None:
    """Close runs whose job ended; abort jobs running longer than the stuck limit."""
    hours = tk.config.get("ckanext.daknong.harvest.stuck_hours")
    stuck_after = dt.timedelta(hours=hours)
    stuck_jobs = []
    for run in model.Session.query(HarvestRun).filter_by(status="running").all():
        job = model.Session.get(HarvestJob, run.job_id) if run.job_id else None
        if job is None:
            _close(run, "failed", str(N_("the harvest job disappeared")), report)
        elif job.status == "Finished":
            errors = model.Session.query(HarvestGatherError).filter_by(harvest_job_id=job.id)
            messages = [e.message for e in errors]
            outcome = "failed" if messages else "succeeded"
            _close(run, outcome, "; ".join(messages)[:1000] or None, report, job.finished)
        elif now() - _aware(run.started_at) > stuck_after:
            stuck = N_("stuck: still {status} after {hours} h", status=job.status, hours=hours)
            _close(run, "failed", str(stuck), report)
            report.stuck.append(run.source_id)
            stuck_jobs.append(job)
        elif _requeue_lost_messages(job):
            report.requeued.append(run.source_id)
    model.Session.commit()
    # After the commit: aborting goes through actions that may end the session.
    for job in stuck_jobs:
        _abort(job)


def _requeue_lost_messages(job: HarvestJob) -> bool:
    """After a Redis restart: the job's gather message, or its records' fetch messages."""
    if job.gather_started is None:
        return requeue_lost_gather(job)
    return job.gather_finished is not None and requeue_lost_objects(job)


def requeue_lost_gather(job: HarvestJob) -> bool:
    """Put a job back on the gather queue if Redis lost it (a restart before gather began).

    Objects already gathered are re-sent by ckanext-harvest's ``harvester run``
    (``resubmit_objects``); a job whose gather message vanished would otherwise wait until
    the stuck limit.
    """
    from ckanext.harvest import queue

    if tk.config.get("ckan.harvest.mq.type") != "redis":
        return False
    redis = queue.get_connection()
    key = queue.get_gather_routing_key()
    waiting = [json.loads(item).get("harvest_job_id") for item in redis.lrange(key, 0, -1)]
    if job.id in waiting or redis.keys(f"{key}:{job.id}"):
        return False
    publisher = queue.get_gather_publisher()
    publisher.send({"harvest_job_id": job.id})
    publisher.close()
    return True


def requeue_lost_objects(job: HarvestJob) -> bool:
    """Put a job's gathered records back on the fetch queue if Redis lost their messages.

    A Redis restart (no persistence) between gather and fetch empties the fetch queue while
    the records wait in PostgreSQL. Only records still WAITING and neither queued nor being
    processed (a consumer holds a ``…:harvest_object_id:ID`` key while it works) are re-sent,
    so nothing is imported twice; a record imported again would update its own dataset anyway
    (``daknong_harvest_record`` maps each remote record to one dataset).
    """
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestObject

    if tk.config.get("ckan.harvest.mq.type") != "redis":
        return False
    waiting = [
        object_id
        for (object_id,) in model.Session.query(HarvestObject.id).filter_by(
            harvest_job_id=job.id, state="WAITING"
        )
    ]
    if not waiting:
        return False
    redis = queue.get_connection()
    key = queue.get_fetch_routing_key()
    queued = {json.loads(item).get("harvest_object_id") for item in redis.lrange(key, 0, -1)}
    lost = [i for i in waiting if i not in queued and not redis.exists(f"{key}:{i}")]
    if not lost:
        return False
    publisher = queue.get_fetch_publisher()
    for object_id in lost:
        publisher.send({"harvest_object_id": object_id})
    publisher.close()
    log.info("harvest job %s: %d records re-sent to the fetch queue", job.id, len(lost))
    return True


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _abort(job: HarvestJob) -> None:
    try:
        tk.get_action("harvest_job_abort")(_site_context(), {"source_id": job.source_id})
    except Exception as error:  # the abort is best effort; the run is failed either way
        log.warning("could not abort stuck harvest job %s: %s", job.id, error)
        job.status = "Finished"
        job.finished = dt.datetime.utcnow()
        job.save()


def _close(
    run: HarvestRun,
    outcome: str,
    message: str | None,
    report: ScheduleReport,
    finished: dt.datetime | None = None,
) -> None:
    run.status = outcome
    run.message = message
    run.finished_at = _aware(finished) if finished else now()
    (report.finished if outcome == "succeeded" else report.failed).append(run.source_id)


def notify_failures(report: ScheduleReport) -> None:
    from ckanext.daknong.harvest import notify

    for run in model.Session.query(HarvestRun).filter_by(status="failed", notified=False).all():
        run.notified = True
        if run.agency_id and notify.harvest_failed(run):
            report.notified.append(run.source_id)
    model.Session.commit()


def source_status(source_id: str, quarter: str) -> tuple[str, HarvestRun | None]:
    runs = _runs(source_id, quarter)
    if not runs:
        return NOT_RUN, None
    succeeded = [r for r in runs if r.status == "succeeded"]
    if succeeded:
        run = succeeded[0]
        _, closes = window(quarter)
        finished = _aware(run.finished_at).date() if run.finished_at else closes
        return (ON_TIME if finished <= closes else LATE), run
    last = runs[-1]
    return (RUNNING if last.status == "running" else FAILED), last


def agency_status(quarter: str, agency_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per agency with harvest sources: its worst source status this quarter."""
    rows: dict[str, dict[str, Any]] = {}
    for source in active_sources():
        agency_id = agency_of(source.id)
        if not agency_id or (agency_ids is not None and agency_id not in agency_ids):
            continue
        status, run = source_status(source.id, quarter)
        row = rows.setdefault(agency_id, _agency_row(agency_id))
        row["sources"].append(_source_row(source, status, run))
        if SEVERITY[status] < SEVERITY[row["status"]]:
            row["status"] = status
    return sorted(rows.values(), key=lambda r: r["title"])


def _agency_row(agency_id: str) -> dict[str, Any]:
    agency = model.Group.get(agency_id)
    return {
        "agency_id": agency_id,
        "name": agency.name if agency else agency_id,
        "title": agency.title if agency else agency_id,
        "status": ON_TIME,
        "sources": [],
    }


def _source_row(source: HarvestSource, status: str, run: HarvestRun | None) -> dict[str, Any]:
    package = model.Package.get(source.id)
    return {
        "source_id": source.id,
        "title": package.title if package else source.title,
        "type": source.type,
        "status": status,
        "attempts": run.attempt if run else 0,
        "job_id": run.job_id if run else None,
        "finished_at": run.finished_at.isoformat() if run and run.finished_at else None,
        "message": run.message if run else None,
    }
