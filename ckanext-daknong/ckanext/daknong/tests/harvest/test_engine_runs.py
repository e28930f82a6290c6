"""The harvest engine with ckanext-harvest's gather and fetch consumers really running
(QĐ 43 Art. 20.3, 21.3): a job run twice at once, a source cleared and harvested again, a job
started by hand in the quarterly status.

As in test_redis_restart.py, each test has its own redis-server and runs the consumers'
callbacks on the messages really queued there.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.daknong.harvest import schedule
from ckanext.daknong.harvest.model import HarvestRun
from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import (
    RECORDS,
    make_source,
    solr_update_stats,
    sysadmin,
)
from ckanext.daknong.tests.harvest.test_redis_restart import _close_jobs, _fetch, _gather

# The harvest queues on a redis-server of each test only (conftest.py).
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "private_redis")

TODAY = dt.date.today()


def _start_by_hand(source_id: str) -> str:
    """What the source page's "Reharvest" does: a job, queued for the gather consumer."""
    return call_action(
        "harvest_job_create",
        context={"user": sysadmin()["name"]},
        source_id=source_id,
        run=True,
    )["id"]


def _objects(job_id: str) -> list[HarvestObject]:
    model.Session.expire_all()
    return model.Session.query(HarvestObject).filter_by(harvest_job_id=job_id).all()


def _active_datasets() -> list[model.Package]:
    model.Session.expire_all()
    return (
        model.Session.query(model.Package)
        .filter(model.Package.type == "dataset", model.Package.state == "active")
        .all()
    )


def _indexed(source_owner: str) -> int:
    return call_action(
        "package_search",
        context={"ignore_auth": True},
        fq=f"owner_org:{source_owner}",
        include_private=True,
        rows=0,
    )["count"]


def test_a_job_run_by_hand_while_the_consumers_run_it_imports_each_record_once(portal):
    """QĐ 43 Art. 21.3: the gather consumer received the job while an operator also ran it
    by hand; each record is gathered and imported once, and the job finishes."""
    source = make_source(Agency(), portal.url, "daknong_ckan")
    job_id = _start_by_hand(source["id"])
    job = HarvestJob.get(job_id)
    job.status = "Running"
    job.save()
    harvester = queue.get_harvester("daknong_ckan")

    by_hand = queue.gather_stage(harvester, job)  # the operator's run
    consumed = _gather()  # the gather consumer, on the message of the same job

    assert consumed == 1 and len(by_hand) == RECORDS
    assert len(_objects(job_id)) == RECORDS  # not gathered a second time
    for object_id in by_hand:
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
    assert _fetch() == 0  # nothing was queued twice
    _close_jobs(source["id"])
    model.Session.expire_all()
    assert HarvestJob.get(job_id).status == "Finished"
    assert sorted(o.state for o in _objects(job_id)) == ["COMPLETE"] * RECORDS
    assert len(_active_datasets()) == RECORDS


def test_two_importers_of_the_same_record_at_once_neither_dies(portal):
    """QĐ 43 Art. 21.3: two fetch consumers import the same record at the same moment (the
    job gathered twice before this fix); one imports it, the other finds it done — no
    duplicate-name error, no consumer ended by an exception, the job finishes."""
    source = make_source(Agency(), portal.url, "daknong_ckan")
    job_id = _start_by_hand(source["id"])
    assert _gather() == 1
    first = _objects(job_id)[0]
    twin = HarvestObject(guid=first.guid, job=first.job, content=first.content)
    twin.save()
    twin_id, first_id = twin.id, first.id
    harvester = queue.get_harvester("daknong_ckan")
    barrier = threading.Barrier(2)
    raised: list[BaseException] = []

    def consumer(object_id: str) -> None:
        try:
            barrier.wait(timeout=10)
            queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))
        except BaseException as error:  # what would end a real consumer
            raised.append(error)
        finally:
            model.Session.remove()

    threads = [threading.Thread(target=consumer, args=(i,)) for i in (first_id, twin_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert raised == []
    model.Session.expire_all()
    twins = [HarvestObject.get(first_id), HarvestObject.get(twin_id)]
    assert sorted(o.state for o in twins) == ["COMPLETE", "COMPLETE"]
    assert _fetch() == RECORDS  # the queued records import, the consumer lives on
    _close_jobs(source["id"])
    model.Session.expire_all()
    assert HarvestJob.get(job_id).status == "Finished"
    names = sorted(p.name for p in _active_datasets())
    assert len(names) == RECORDS == len(set(names))


def test_clear_leaves_no_ghost_in_the_search_and_the_next_harvest_imports_all(portal):
    """QĐ 43 Art. 21.3: ``harvest_source_clear`` removes the source's datasets from the
    database and the search index; harvesting again recreates every one."""
    agency = Agency()
    source = make_source(agency, portal.url, "daknong_ckan")
    _start_by_hand(source["id"])
    assert _gather() == 1 and _fetch() == RECORDS
    _close_jobs(source["id"])
    before = [p.id for p in _active_datasets()]
    assert len(before) == RECORDS and _indexed(agency["id"]) == RECORDS

    call_action("harvest_source_clear", context={"user": sysadmin()["name"]}, id=source["id"])

    assert _active_datasets() == []
    assert _indexed(agency["id"]) == 0  # no ghost that 404s
    _start_by_hand(source["id"])
    assert _gather() == 1 and _fetch() == RECORDS
    _close_jobs(source["id"])
    assert len(_active_datasets()) == RECORDS
    assert _indexed(agency["id"]) == RECORDS


def test_a_job_started_by_hand_counts_in_the_quarterly_status(portal):
    """QĐ 43 Art. 20.3: the quarter's harvest done by hand shows as done on time, and the
    schedule does not start the quarter's harvest again."""
    agency = Agency()
    source = make_source(agency, portal.url, "daknong_ckan")
    job_id = _start_by_hand(source["id"])

    assert schedule.source_status(source["id"], schedule.quarter_of(TODAY))[0] == schedule.RUNNING
    assert _gather() == 1 and _fetch() == RECORDS
    _close_jobs(source["id"])
    report = schedule.run_schedule(TODAY)

    assert report.started == [] and report.finished == [source["id"]]
    [row] = [
        r
        for r in schedule.agency_status(schedule.quarter_of(TODAY))
        if r["agency_id"] == agency["id"]
    ]
    _, closes = schedule.window(schedule.quarter_of(TODAY))
    expected = schedule.LATE if closes < TODAY else schedule.ON_TIME
    assert row["status"] == expected
    runs = model.Session.query(HarvestRun).filter_by(source_id=source["id"]).all()
    assert [(r.job_id, r.status, r.attempt) for r in runs] == [(job_id, "succeeded", 1)]


def _solr_commits(ckan_config) -> int:
    """Explicit commits Solr's update handler has received (its own statistics; its count of
    commits includes the automatic ones of solrconfig.xml, taken off here)."""
    stats = solr_update_stats(ckan_config)
    automatic = (
        stats["UPDATE.updateHandler.softAutoCommits"] + stats["UPDATE.updateHandler.autoCommits"]
    )
    return int(stats["UPDATE.updateHandler.commits.count"]) - int(automatic)


def test_a_jobs_imports_commit_the_search_index_once_not_per_dataset(portal, ckan_config):
    """Issue 11 §3 (QĐ 43 Art. 21.3, the quarter's first harvest of every agency): a commit
    per imported dataset held the first harvest at the stock harvester's speed. The imports
    send their documents without committing; closing the job commits, and every dataset is
    then found."""
    agency = Agency()
    source = make_source(agency, portal.url, "daknong_ckan")
    _start_by_hand(source["id"])
    assert _gather() == 1
    before = _solr_commits(ckan_config)

    assert _fetch() == RECORDS
    during = _solr_commits(ckan_config) - before
    _close_jobs(source["id"])

    assert during == 0
    assert _indexed(agency["id"]) == RECORDS
