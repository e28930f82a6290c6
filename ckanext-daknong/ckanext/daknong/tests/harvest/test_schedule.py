"""The quarterly schedule and per-agency status (QĐ 43 Art. 20.3, 21.3)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob

from ckanext.daknong.harvest import schedule
from ckanext.daknong.harvest.model import HarvestRun
from ckanext.daknong.tests.factories import Agency, agency_member
from ckanext.daknong.tests.harvest.helpers import make_source, run_existing_job
from ckanext.daknong.tests.harvest.servers import LocalServer
from ckanext.daknong.tests.harvest.test_spreadsheet_harvester import ROWS, _csv

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

IN_WINDOW = dt.date(2026, 10, 5)  # Q4 2026, window 1–30 October by default
TODAY = dt.date.today()
AFTER_WINDOW = dt.date(2026, 11, 20)
FOCAL = "dau-moi@sotnmt.daknong.invalid"


@pytest.fixture(autouse=True)
def empty_queues():
    queue.purge_queues()
    yield
    queue.purge_queues()


@pytest.fixture
def server():
    with LocalServer() as running:
        running.static("/danh-muc.csv", _csv(ROWS).encode("utf-8"), "text/csv")
        yield running


@pytest.fixture
def agency():
    return Agency(
        title="Sở Tài nguyên và Môi trường",
        provider_focal_name="Lê Thị Đầu Mối",
        provider_focal_email=FOCAL,
    )


def _runs(source_id: str) -> list[HarvestRun]:
    model.Session.expire_all()
    return (
        model.Session.query(HarvestRun)
        .filter_by(source_id=source_id)
        .order_by(HarvestRun.attempt)
        .all()
    )


def _finish_started_jobs(source_id: str) -> None:
    for run in _runs(source_id):
        if run.status == "running":
            run_existing_job(run.job_id)


def test_quarters_and_windows():
    assert schedule.quarter_of(dt.date(2026, 12, 31)) == "2026Q4"
    assert schedule.quarter_of(dt.date(2027, 1, 1)) == "2027Q1"
    assert schedule.quarter_bounds("2026Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert schedule.window("2027Q1") == (dt.date(2027, 1, 1), dt.date(2027, 1, 30))


def test_one_job_per_active_source_per_quarter_on_time(server, agency, ckan_config, monkeypatch):
    """Art. 21.3: every quarter, once; the job goes to the gather queue (Redis).

    Real dates: the window spans this whole quarter, so a job finished now is on time.
    """
    monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.window_days", 92)
    source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
    quarter = schedule.quarter_of(TODAY)

    first = schedule.run_schedule(TODAY)

    assert first.started == [source["id"]]
    assert queue.get_connection().llen(queue.get_gather_routing_key()) == 1
    _finish_started_jobs(source["id"])
    schedule.run_schedule(TODAY)
    again = schedule.run_schedule(TODAY)

    assert again.started == []
    assert [r.status for r in _runs(source["id"])] == ["succeeded"]
    assert schedule.source_status(source["id"], quarter)[0] == schedule.ON_TIME
    following = schedule.quarter_bounds(quarter)[1] + dt.timedelta(days=1)
    assert schedule.run_schedule(following).started == [source["id"]]


def test_nothing_starts_before_the_window(server, agency, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.window_start_day", 10)
    source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")

    report = schedule.run_schedule(dt.date(2026, 10, 5))

    assert report.started == []
    assert schedule.source_status(source["id"], "2026Q4")[0] == schedule.NOT_RUN


def test_a_harvest_after_the_window_is_late(server, agency):
    source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")

    schedule.run_schedule(AFTER_WINDOW)
    _finish_started_jobs(source["id"])
    schedule.run_schedule(AFTER_WINDOW)

    # the job really finished now, after the window closed on 30 October 2026 …
    run = _runs(source["id"])[0]
    run.finished_at = dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone.utc)
    model.Session.commit()
    assert schedule.source_status(source["id"], "2026Q4")[0] == schedule.LATE


def test_failures_are_retried_and_mailed_to_the_focal_point(agency, smtp_server):
    """Art. 20.1 / 20.3: the focal point hears that the agency's harvest failed."""
    source = make_source(agency, "http://127.0.0.1:9/danh-muc.csv", "daknong_spreadsheet")

    for day in range(5):
        schedule.run_schedule(IN_WINDOW + dt.timedelta(days=day))
        _finish_started_jobs(source["id"])
    schedule.run_schedule(IN_WINDOW + dt.timedelta(days=6))

    runs = _runs(source["id"])
    assert [r.status for r in runs] == ["failed", "failed", "failed"]  # max_attempts = 3
    assert all("cannot connect" in r.message for r in runs)
    mails = smtp_server.to(FOCAL)
    assert len(mails) == 3
    body = mails[0].get_payload(decode=True).decode("utf-8")
    assert "cannot connect" in body and "/harvest-status" in body
    rows = schedule.agency_status("2026Q4")
    assert rows[0]["status"] == schedule.FAILED


def test_stuck_jobs_are_aborted(server, agency, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.stuck_hours", 0)
    source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
    schedule.run_schedule(IN_WINDOW)
    job_id = _runs(source["id"])[0].job_id

    report = schedule.run_schedule(IN_WINDOW)

    assert report.stuck == [source["id"]]
    model.Session.expire_all()
    assert HarvestJob.get(job_id).status in ("Finished", "Aborted")
    assert _runs(source["id"])[0].status == "failed"
    message = _runs(source["id"])[0].message
    assert message.startswith("bị treo: vẫn ") and " / stuck: still " in message
    assert message.endswith(" after 0 h")


def test_a_redis_restart_before_gather_requeues_the_job(server, agency):
    """The queue's content is lost (as after a Redis restart without persistence)."""
    source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
    schedule.run_schedule(TODAY)
    queue.purge_queues()

    report = schedule.run_schedule(TODAY)
    again = schedule.run_schedule(TODAY)

    assert report.requeued == [source["id"]] and again.requeued == []
    assert queue.get_connection().llen(queue.get_gather_routing_key()) == 1
    _finish_started_jobs(source["id"])
    schedule.run_schedule(TODAY)
    assert [r.status for r in _runs(source["id"])] == ["succeeded"]


def test_a_redis_restart_during_fetch_resumes_the_waiting_records(server, agency):
    """Gathered records whose fetch messages were lost are re-sent by `harvester run`."""
    source = make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
    job = call_action(
        "harvest_job_create", context={"ignore_auth": True}, source_id=source["id"], run=False
    )
    job_obj = HarvestJob.get(job["id"])
    job_obj.status = "Running"
    job_obj.save()
    object_ids = queue.gather_stage(queue.get_harvester("daknong_spreadsheet"), job_obj)
    queue.purge_queues()

    call_action("harvest_jobs_run", context={"ignore_auth": True})

    fetch_queue = queue.get_connection().lrange(queue.get_fetch_routing_key(), 0, -1)
    assert sorted(json.loads(m)["harvest_object_id"] for m in fetch_queue) == sorted(object_ids)
    assert len(object_ids) == 2


class TestStatusPage:
    def test_each_agency_sees_its_own_and_the_administrator_sees_all(self, app, server, agency):
        other = Agency(title="Sở Y tế")
        make_source(agency, server.url + "/danh-muc.csv", "daknong_spreadsheet")
        make_source(other, server.url + "/danh-muc-2.csv", "daknong_spreadsheet")
        member = agency_member(agency)
        admin = factories.SysadminWithToken()

        own = call_action(
            "daknong_harvest_status", context={"user": member["name"]}, quarter="2026Q4"
        )
        everyone = call_action(
            "daknong_harvest_status", context={"user": admin["name"]}, quarter="2026Q4"
        )

        assert [r["agency_id"] for r in own["agencies"]] == [agency["id"]]
        assert {r["agency_id"] for r in everyone["agencies"]} == {agency["id"], other["id"]}
        assert own["agencies"][0]["status"] == schedule.NOT_RUN
        page = app.get("/harvest-status?quarter=2026Q4", headers={"Authorization": member["token"]})
        assert page.status_code == 200
        assert "Sở Tài nguyên và Môi trường" in page.body and "Sở Y tế" not in page.body
        assert "Tình trạng thu thập dữ liệu hằng quý" in page.body  # Vietnamese by default
        assert "Chưa chạy" in page.body
        admin_page = app.get(
            "/harvest-status?quarter=2026Q4", headers={"Authorization": admin["token"]}
        )
        assert "Sở Y tế" in admin_page.body

    def test_anonymous_users_and_users_without_agency_are_refused(self, app):
        loner = factories.UserWithToken()

        anonymous = app.get("/harvest-status", follow_redirects=False)
        assert anonymous.status_code == 302 and "/user/login" in anonymous.headers["Location"]
        assert (
            app.get("/harvest-status", headers={"Authorization": loner["token"]}).status_code == 403
        )

    def test_a_bad_quarter_is_refused(self, app):
        admin = factories.SysadminWithToken()
        response = app.get("/harvest-status?quarter=Q5", headers={"Authorization": admin["token"]})
        assert response.status_code == 400

    def test_the_dashboard_links_the_status_page_beside_the_sharing_log(self, app, agency):
        """QĐ 43 Art. 20.3, 21.3: agency users and administrators find their quarter's status
        from their dashboard; the sharing-log link stays for those who may read the log."""
        member = agency_member(agency)
        admin = factories.SysadminWithToken()
        loner = factories.UserWithToken()

        def nav(user):
            return app.get("/dashboard/datasets", headers={"Authorization": user["token"]}).body

        assert 'href="/harvest-status"' in nav(member)
        admin_nav = nav(admin)
        assert 'href="/harvest-status"' in admin_nav
        assert 'href="/sharing-log"' in admin_nav and 'href="/access-requests"' in admin_nav
        assert 'href="/harvest-status"' not in nav(loner)
