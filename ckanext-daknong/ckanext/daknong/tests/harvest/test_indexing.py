"""One search-index update per harvested dataset, one transaction per import (issue 11 §3,
``harvest/indexing.py``; QĐ 43 Art. 21.3: every agency's catalogue is harvested each quarter).

Against the real Solr and PostgreSQL of the suite: Solr's own update statistics count the
documents sent, and the import's failure is injected between the dataset and its record.
"""

from __future__ import annotations

import json
import socket
import threading

import pysolr
import pytest
import sqlalchemy
from ckan import model
from ckan.lib import search
from ckan.lib.search.common import make_connection
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.harvest import queue
from ckanext.harvest.model import HarvestJob, HarvestObject

from ckanext.daknong.harvest import engine, indexing
from ckanext.daknong.harvest.model import HarvestRecord, HarvestWarning
from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import (
    make_source,
    report,
    run_job,
    solr_update_stats,
    sysadmin,
)
from ckanext.daknong.tests.harvest.servers import FakeCkan, LocalServer

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

RECORDS = 4


@pytest.fixture
def portal():
    """A remote CKAN whose datasets have resources and tags: CKAN core indexed such a new
    dataset twice (as new, then as changed through its resources and tags)."""
    with LocalServer() as server:
        ckan = FakeCkan(server)
        for number in range(1, RECORDS + 1):
            ckan.add(
                id=f"r-{number:03d}",
                name=f"ho-kinh-doanh-{number}",
                title=f"Hộ kinh doanh cá thể xã số {number}",
                license_id="cc-by",
                tags=[{"name": "kinh tế"}, {"name": "doanh nghiệp"}],
                resources=[
                    {"name": "Danh sách", "url": f"https://example.org/{number}.csv"},
                    {"name": "Tổng hợp", "url": f"https://example.org/{number}.xlsx"},
                ],
            )
        yield ckan


def _solr_adds(ckan_config) -> int:
    """Documents Solr's update handler has received since it started (its own statistics)."""
    stats = solr_update_stats(ckan_config)
    return int(stats["UPDATE.updateHandler.cumulativeAdds.count"])


def _found(package_ids: list[str]) -> set[str]:
    search.commit()
    query = search.query_for(model.Package)
    ids = " OR ".join(f'"{i}"' for i in package_ids)
    result = query.run({"q": f"id:({ids})", "fl": "id", "rows": 100}, permission_labels=None)
    return set(result["results"])


def _records(source_id: str) -> list[HarvestRecord]:
    model.Session.expire_all()
    return model.Session.query(HarvestRecord).filter_by(source_id=source_id).all()


def _running_job(source_id: str) -> HarvestJob:
    context = {"user": sysadmin()["name"]}
    job = HarvestJob.get(
        call_action("harvest_job_create", context=context, source_id=source_id)["id"]
    )
    job.status = "Running"
    job.save()
    return job


def _import(object_ids: list[str]) -> None:
    harvester = queue.get_harvester("daknong_ckan")
    for object_id in object_ids:
        queue.fetch_and_import_stages(harvester, HarvestObject.get(object_id))


def test_a_first_harvest_sends_each_dataset_to_solr_once(portal, ckan_config):
    source = make_source(Agency(), portal.url, "daknong_ckan")
    job = _running_job(source["id"])
    harvester = queue.get_harvester("daknong_ckan")
    object_ids = queue.gather_stage(harvester, job)
    before = _solr_adds(ckan_config)

    _import(object_ids)  # the fetch consumer's work (closing the job reindexes the source)

    assert len(object_ids) == RECORDS
    assert _solr_adds(ckan_config) - before == RECORDS
    package_ids = [r.package_id for r in _records(source["id"])]
    assert _found(package_ids) == set(package_ids)


def test_outside_an_import_a_new_dataset_is_indexed_at_once():
    """The deferral is scoped: CKAN's own indexing of every other write is untouched."""
    indexing.install()
    dataset = factories.Dataset(owner_org=Agency()["id"], resources=[{"url": "https://e.org/a"}])
    assert _found([dataset["id"]]) == {dataset["id"]}


def test_inside_the_scope_the_dataset_is_held_back_and_indexed_once_after(ckan_config):
    agency = Agency()
    with indexing.deferred() as held:
        dataset = factories.Dataset(owner_org=agency["id"], tags=[{"name": "dân cư"}])
    assert held == {dataset["id"]}
    assert _found([dataset["id"]]) == set()
    before = _solr_adds(ckan_config)

    indexing.index(held)

    assert _solr_adds(ckan_config) - before == 1
    assert _found([dataset["id"]]) == {dataset["id"]}


def test_a_dataset_deleted_inside_the_scope_leaves_the_index_when_indexed():
    dataset = factories.Dataset(owner_org=Agency()["id"])
    with indexing.deferred() as held:
        call_action("package_delete", context={"user": sysadmin()["name"]}, id=dataset["id"])
    assert held == {dataset["id"]}
    assert _found([dataset["id"]]) == {dataset["id"]}  # held back: still there

    indexing.index(held)

    assert _found([dataset["id"]]) == set()


def test_a_failure_after_the_write_leaves_no_half_imported_dataset(portal, monkeypatch):
    """The dataset, its activity, its harvest record and the current object are one
    transaction: a failure between them used to leave a dataset without its record, and
    the next harvest created it a second time under another name."""
    source = make_source(Agency(), portal.url, "daknong_ckan")

    def broken(harvest_object, package_id):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(engine, "_make_current", broken)
    result = run_job(source["id"])

    assert len(result["object_errors"]) == RECORDS
    assert all("RuntimeError" in message for message in result["object_errors"])
    model.Session.expire_all()
    assert model.Session.query(model.Package).filter_by(type="dataset").count() == 0
    assert _records(source["id"]) == []

    monkeypatch.undo()
    again = run_job(source["id"])

    assert again["object_errors"] == []
    names = sorted(p.name for p in model.Session.query(model.Package).filter_by(type="dataset"))
    assert names == [f"ho-kinh-doanh-{n}" for n in range(1, RECORDS + 1)]


def test_a_dataset_whose_document_was_lost_is_indexed_at_the_next_harvest(portal):
    """Saved in PostgreSQL, never in Solr (Solr down, the process killed between the two):
    the next harvest of the source finds it although nothing changed at the source."""
    source = make_source(Agency(), portal.url, "daknong_ckan")
    run_job(source["id"])
    package_ids = [r.package_id for r in _records(source["id"])]
    lost = package_ids[0]
    search.index_for(model.Package).delete_package({"id": lost})
    assert _found(package_ids) == set(package_ids) - {lost}
    assert indexing.stale(package_ids) == [lost]

    again = run_job(source["id"])

    assert again["objects"] == 0  # nothing changed at the source
    assert _found(package_ids) == set(package_ids)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _solr_down(monkeypatch) -> None:
    """Solr refuses connections (a closed loopback port) for CKAN's indexing and ours."""
    dead = f"http://127.0.0.1:{_closed_port()}/solr/ckan"
    monkeypatch.setattr(
        "ckan.lib.search.index.make_connection", lambda *a, **k: pysolr.Solr(dead, timeout=2)
    )
    monkeypatch.setattr(indexing, "make_connection", lambda *a, **k: pysolr.Solr(dead, timeout=2))


def _indexed_title(package_id: str) -> str:
    search.commit()
    [doc] = make_connection().search(q=f'id:"{package_id}"', fl="title").docs
    return doc["title"]


def test_an_update_that_never_reached_solr_is_indexed_at_the_next_harvest(portal, monkeypatch):
    """The old document is still there, so "is it in the index?" is not enough: the next
    harvest compares its date with the database's and sends the update."""
    source = make_source(Agency(), portal.url, "daknong_ckan")
    run_job(source["id"])
    [changed] = [r for r in _records(source["id"]) if r.remote_id == "r-001"]
    old_title = _indexed_title(changed.package_id)
    portal.datasets[0]["title"] = "Hộ kinh doanh cá thể xã số 1 (cập nhật quý IV)"

    _solr_down(monkeypatch)
    job = _running_job(source["id"])
    object_ids = queue.gather_stage(queue.get_harvester("daknong_ckan"), job)
    _import(object_ids)
    monkeypatch.undo()
    call_action("harvest_jobs_run", context={"ignore_auth": True}, source_id=source["id"])

    assert len(object_ids) == 1
    assert _indexed_title(changed.package_id) == old_title  # the update missed Solr
    assert indexing.stale([changed.package_id]) == [changed.package_id]

    again = run_job(source["id"])

    assert again["objects"] == 0
    assert _indexed_title(changed.package_id) == portal.datasets[0]["title"]
    assert indexing.stale([r.package_id for r in _records(source["id"])]) == []


def test_solr_down_during_the_import_saves_and_the_next_harvest_indexes(portal, monkeypatch):
    """Solr refuses connections while the fetch consumer imports: every dataset is saved and
    imported (nothing lost, no error for the agency), and the next harvest, with Solr back,
    puts them in search."""
    source = make_source(Agency(), portal.url, "daknong_ckan")
    _solr_down(monkeypatch)

    job = _running_job(source["id"])
    _import(queue.gather_stage(queue.get_harvester("daknong_ckan"), job))
    monkeypatch.undo()  # Solr is back before the job is closed

    assert report(job.id, RECORDS)["object_errors"] == []
    model.Session.expire_all()
    states = [o.state for o in model.Session.query(HarvestObject).filter_by(harvest_job_id=job.id)]
    assert states == ["COMPLETE"] * RECORDS
    call_action("harvest_jobs_run", context={"ignore_auth": True}, source_id=source["id"])
    package_ids = [r.package_id for r in _records(source["id"])]
    assert len(package_ids) == RECORDS
    assert _found(package_ids) == set()  # saved, not in search

    again = run_job(source["id"])

    assert again["objects"] == 0
    assert _found(package_ids) == set(package_ids)


def test_a_thread_started_inside_an_import_indexes_at_once():
    """The scope is the import's own context: other threads (a web worker's, a job's) are
    never held back."""
    agency = Agency()
    created: dict[str, str] = {}

    def elsewhere() -> None:
        created["id"] = factories.Dataset(owner_org=agency["id"], tags=[{"name": "y tế"}])["id"]

    with indexing.deferred() as held:
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()

    assert held == set()
    assert _found([created["id"]]) == {created["id"]}


# --- one reading of the dataset for the activity and the index document --------------------


class _Statements:
    """The SQL statements this process sends while the block runs."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __enter__(self) -> list[str]:
        sqlalchemy.event.listen(model.meta.engine, "before_cursor_execute", self._seen)
        return self.sent

    def __exit__(self, *exc) -> None:
        sqlalchemy.event.remove(model.meta.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args) -> None:
        self.sent.append(statement)


def _reads_resources(statements: list[str]) -> bool:
    return any("FROM resource" in statement for statement in statements)


def _shown(package_id: str) -> dict:
    return call_action(
        "package_show",
        context={"ignore_auth": True, "use_cache": False, "validate": False},
        id=package_id,
    )


def _document(package_id: str) -> dict:
    connection = make_connection(decode_dates=False)
    (doc,) = connection.search(q="*:*", fq=[f"id:{package_id}"], fl="*").docs
    for volatile in ("_version_", "indexed_ts"):
        doc.pop(volatile, None)
    for stored_json in ("data_dict", "validated_data_dict"):
        doc[stored_json] = json.loads(doc[stored_json])
    return doc


def test_the_document_of_an_import_is_the_one_ckan_builds_from_the_database(portal):
    """The index document reuses the activity's reading of the dataset: it must be exactly
    what CKAN's own indexing builds from the committed dataset afterwards."""
    source = make_source(Agency(), portal.url, "daknong_ckan")
    run_job(source["id"])
    package_ids = [r.package_id for r in _records(source["id"])]
    assert len(package_ids) == RECORDS
    imported = {package_id: _document(package_id) for package_id in package_ids}

    for package_id in package_ids:
        search.rebuild(package_id)  # CKAN's path: package_show from the database, then index

    for package_id in package_ids:
        assert _document(package_id) == imported[package_id]
    assert {len(doc["data_dict"]["resources"]) for doc in imported.values()} == {2}


def test_inside_an_import_a_dataset_is_read_once_until_something_of_it_is_written():
    agency = Agency()
    with indexing.deferred():
        dataset = factories.Dataset(
            owner_org=agency["id"], resources=[{"url": "https://example.org/a.csv"}]
        )
        # the dataset's activity read it after it was written: the index's reading reuses it
        with _Statements() as sent:
            assert _shown(dataset["id"])["title"] == dataset["title"]
        assert not _reads_resources(sent)

        # the harvest's bookkeeping is no part of the dataset: still no second reading
        model.Session.add(
            HarvestWarning(job_id="j", source_id="s", remote_id="r", message="ghi chú")
        )
        with _Statements() as sent:
            _shown(dataset["id"])
        assert not _reads_resources(sent)

        # a write to the dataset itself, not even flushed yet, is read
        model.Package.get(dataset["id"]).title = "Tên đã sửa"
        with _Statements() as sent:
            assert _shown(dataset["id"])["title"] == "Tên đã sửa"
        assert _reads_resources(sent)
        model.Session.rollback()

    # outside an import every reading goes to the database
    with _Statements() as sent:
        _shown(dataset["id"])
    assert _reads_resources(sent)


def test_each_job_imports_for_the_agency_its_source_has_when_the_job_runs(portal):
    """The engine reads a job's source once (``engine._job_source``): a source moved to
    another agency between two jobs imports the second job's records for the new agency."""
    first, second = Agency(), Agency()
    source = make_source(first, portal.url, "daknong_ckan")
    run_job(source["id"])
    call_action(
        "harvest_source_patch",
        context={"user": sysadmin()["name"]},
        id=source["id"],
        owner_org=second["id"],
    )
    portal.add(id="r-new", name="ho-kinh-doanh-moi", title="Hộ kinh doanh mới", license_id="cc-by")

    run_job(source["id"])

    owners = {
        r.remote_id: model.Package.get(r.package_id).owner_org for r in _records(source["id"])
    }
    assert owners.pop("r-new") == second["id"]
    assert set(owners.values()) == {first["id"]}
