"""A real Redis restart in the middle of a quarterly harvest (QĐ 43 Art. 20.3, 21.3).

Each test starts its own ``redis-server`` (no persistence, like the portal's queue Redis after
a crash), points ckanext-harvest's queues at it, and runs the gather and fetch consumers'
callbacks on the messages really queued there. The server is killed and started again at the
worst moment, so the queued messages are really lost; the daily ``ckan daknong harvest
schedule`` must then finish the job with every record imported once.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.daknong.harvest import schedule
from ckanext.daknong.harvest.model import HarvestRecord, HarvestRun
from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import RECORDS
from ckanext.daknong.tests.harvest.servers import FakeCkan

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

TODAY = dt.date.today()


def _queued(routing_key: str, field: str) -> list[str]:
    connection = queue.get_connection()
    return [json.loads(m)[field] for m in connection.lrange(routing_key, 0, -1)]


def _drain(consumer, callback, limit: int | None = None) -> int:
    """Run a consumer's callback on queued messages, as `ckan harvester gather_consumer` /
    `fetch_consumer` would (they block on the same Redis list)."""
    handled = 0
    while limit is None or handled < limit:
        method, channel, body = consumer.basic_get(None)
        if body is None:
            break
        callback(channel, method, None, body)
        handled += 1
    return handled


def _gather(limit: int | None = None) -> int:
    return _drain(queue.get_gather_consumer(), queue.gather_callback, limit)


def _fetch(limit: int | None = None) -> int:
    return _drain(queue.get_fetch_consumer(), queue.fetch_callback, limit)


def _close_jobs(source_id: str) -> None:
    """What `ckan harvester run` does every 15 minutes: mark finished jobs Finished."""
    call_action("harvest_jobs_run", context={"ignore_auth": True}, source_id=source_id)


def _assert_every_record_imported_once(source_id: str) -> None:
    model.Session.expire_all()
    jobs = model.Session.query(HarvestJob).filter_by(source_id=source_id).all()
    assert [j.status for j in jobs] == ["Finished"]
    objects = model.Session.query(HarvestObject).filter_by(harvest_job_id=jobs[0].id).all()
    assert sorted(o.state for o in objects) == ["COMPLETE"] * RECORDS
    records = model.Session.query(HarvestRecord).filter_by(source_id=source_id).all()
    assert sorted(r.remote_id for r in records) == [f"r-{n:03d}" for n in range(1, RECORDS + 1)]
    package_ids = {r.package_id for r in records}
    assert len(package_ids) == RECORDS and None not in package_ids
    datasets = (
        model.Session.query(model.Package)
        .filter(model.Package.type == "dataset", model.Package.state == "active")
        .all()
    )
    assert {p.id for p in datasets} == package_ids  # nothing created twice
    assert sorted(p.name for p in datasets) == [f"du-lieu-{n}" for n in range(1, RECORDS + 1)]
    runs = model.Session.query(HarvestRun).filter_by(source_id=source_id).all()
    assert [(r.status, r.attempt) for r in runs] == [("succeeded", 1)]


def _source(portal: FakeCkan) -> dict:
    from ckanext.daknong.tests.harvest.helpers import make_source

    return make_source(Agency(), portal.url, "daknong_ckan")


def test_redis_restarted_between_gather_and_fetch(private_redis, portal):
    """QĐ 43 Art. 21.3 (issue item 4): the quarter's harvest survives a Redis crash after gather
    queued the records; the scheduler re-sends exactly the records still waiting."""
    source = _source(portal)
    assert schedule.run_schedule(TODAY).started == [source["id"]]
    assert _gather() == 1
    fetch_key = queue.get_fetch_routing_key()
    assert len(_queued(fetch_key, "harvest_object_id")) == RECORDS
    assert _fetch(limit=2) == 2  # two records imported before the crash

    private_redis.restart()

    assert queue.get_connection().dbsize() == 0  # the queued messages are gone
    report = schedule.run_schedule(TODAY)
    again = schedule.run_schedule(TODAY)  # a second pass re-sends nothing more

    assert report.requeued == [source["id"]] and report.started == []
    assert again.requeued == [] and again.started == []
    waiting = model.Session.query(HarvestObject.id).filter_by(state="WAITING").all()
    assert sorted(_queued(fetch_key, "harvest_object_id")) == sorted(i for (i,) in waiting)
    assert len(waiting) == RECORDS - 2
    assert _fetch() == RECORDS - 2
    _close_jobs(source["id"])
    schedule.run_schedule(TODAY)
    _assert_every_record_imported_once(source["id"])


def test_redis_restarted_before_gather(private_redis, portal):
    """QĐ 43 Art. 21.3: a job started by the scheduler whose gather message died with Redis
    is queued again at the next pass and completes, once."""
    source = _source(portal)
    schedule.run_schedule(TODAY)
    assert len(_queued(queue.get_gather_routing_key(), "harvest_job_id")) == 1

    private_redis.restart()

    assert _gather() == 0  # nothing left for the gather consumer
    report = schedule.run_schedule(TODAY)
    assert report.requeued == [source["id"]] and report.started == []
    assert _gather() == 1
    assert _fetch() == RECORDS
    _close_jobs(source["id"])
    schedule.run_schedule(TODAY)
    _assert_every_record_imported_once(source["id"])


def test_redis_down_when_the_quarter_starts_then_back(private_redis, portal):
    """QĐ 43 Art. 20.3: Redis down at the scheduled start is a failed attempt, retried at the
    next pass once Redis is back; the retry imports everything once."""
    source = _source(portal)
    private_redis.stop()

    first = schedule.run_schedule(TODAY)

    assert first.failed == [source["id"]]
    private_redis.start()
    second = schedule.run_schedule(TODAY)
    assert second.started == [source["id"]]
    assert _gather() == 1 and _fetch() == RECORDS
    _close_jobs(source["id"])
    schedule.run_schedule(TODAY)
    model.Session.expire_all()
    runs = (
        model.Session.query(HarvestRun)
        .filter_by(source_id=source["id"])
        .order_by(HarvestRun.attempt)
        .all()
    )
    assert [(r.status, r.attempt) for r in runs] == [("failed", 1), ("succeeded", 2)]
    records = model.Session.query(HarvestRecord).filter_by(source_id=source["id"]).all()
    assert len({r.package_id for r in records}) == RECORDS
