"""The CKAN Action API harvester against a real local portal (QĐ 43 Art. 20.3, 21.3)."""

from __future__ import annotations

import logging
import time

import pytest
from ckan import model
from ckan.lib.search import query_for
from ckan.tests.helpers import call_action

from ckanext.daknong.harvest.model import HarvestRecord
from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import (
    harvested,
    make_source,
    record,
    run_job,
    set_token,
)
from ckanext.daknong.tests.harvest.servers import FakeCkan, LocalServer, Reply

TOKEN = "bi-mat-token-3f9c2e71"

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def portal():
    with LocalServer() as server:
        yield FakeCkan(server, token=TOKEN)


def _dan_cu(portal: FakeCkan, **extra):
    return portal.add(
        id="r-001",
        name="dan-cu",
        title="Dữ liệu dân cư huyện Đắk Mil",
        notes="Số liệu dân cư theo xã",
        license_id="cc-by",
        **extra,
    )


def _solr_count(query: str) -> int:
    return query_for(model.Package).run({"q": query, "fl": "id"}, permission_labels=None)["count"]


class TestAccessLevelFromTheSource:
    """QĐ 43 Art. 10–11: the source decides the access level, never more open than it says."""

    def test_private_remote_datasets_need_the_token_and_become_shared(self, portal):
        agency = Agency()
        _dan_cu(portal)
        portal.add(id="r-002", name="ho-ngheo", title="Hộ nghèo", private=True)
        source = make_source(agency, portal.url, "daknong_ckan")
        set_token(source["id"], TOKEN)

        result = run_job(source["id"])

        datasets = harvested(source["id"])
        assert result["gather_errors"] == [] and result["object_errors"] == []
        assert set(datasets) == {"r-001", "r-002"}
        assert datasets["r-002"]["access_level"] == "shared"
        assert datasets["r-002"]["private"] is True
        assert datasets["r-001"]["owner_org"] == agency["id"]
        assert datasets["r-001"]["title"] == "Dữ liệu dân cư huyện Đắk Mil"

    def test_without_a_token_private_datasets_are_not_seen(self, portal):
        _dan_cu(portal)
        portal.add(id="r-002", name="ho-ngheo", title="Hộ nghèo", private=True)
        source = make_source(Agency(), portal.url, "daknong_ckan")

        run_job(source["id"])

        assert set(harvested(source["id"])) == {"r-001"}

    def test_source_config_can_make_private_datasets_restricted(self, portal):
        portal.add(id="r-002", name="ho-ngheo", title="Hộ nghèo", private=True)
        source = make_source(
            Agency(), portal.url, "daknong_ckan", {"private_access_level": "restricted"}
        )
        set_token(source["id"], TOKEN)

        run_job(source["id"])

        assert harvested(source["id"])["r-002"]["access_level"] == "restricted"

    def test_public_datasets_are_shared_unless_the_source_says_open(self, portal):
        _dan_cu(portal)
        plain = make_source(Agency(), portal.url, "daknong_ckan", name="nguon-a")
        run_job(plain["id"])
        assert harvested(plain["id"])["r-001"]["access_level"] == "shared"

        opened = make_source(
            Agency(), portal.url, "daknong_ckan", {"public_access_level": "open"}, name="nguon-b"
        )
        run_job(opened["id"])
        dataset = harvested(opened["id"])["r-001"]
        assert dataset["access_level"] == "open" and dataset["private"] is False

    def test_a_private_dataset_that_claims_to_be_open_stays_shared(self, portal):
        portal.add(
            id="r-004",
            name="ho-tich",
            title="Hộ tịch",
            private=True,
            access_level="open",
            license_id="cc-by",
        )
        source = make_source(Agency(), portal.url, "daknong_ckan", {"public_access_level": "open"})
        set_token(source["id"], TOKEN)

        run_job(source["id"])

        dataset = harvested(source["id"])["r-004"]
        assert dataset["access_level"] == "shared" and dataset["private"] is True

    def test_the_agency_needs_its_agency_code(self, portal):
        """QĐ 20/2020/QĐ-TTg: harvested datasets belong to an identified agency."""
        _dan_cu(portal)
        agency = Agency()
        source = make_source(agency, portal.url, "daknong_ckan")
        group = model.Group.get(agency["id"])
        group.extras = {k: v for k, v in group.extras.items() if k != "agency_code"}
        model.Session.commit()

        result = run_job(source["id"])

        assert any("agency code" in e for e in result["gather_errors"])
        assert harvested(source["id"]) == {}

    def test_open_data_without_an_open_licence_is_imported_as_shared(self, portal):
        """NĐ 47 Art. 17–18: open data carries an open licence."""
        portal.add(id="r-003", name="gia-dat", title="Bảng giá đất", license_id="other-closed")
        source = make_source(Agency(), portal.url, "daknong_ckan", {"public_access_level": "open"})

        result = run_job(source["id"])

        assert harvested(source["id"])["r-003"]["access_level"] == "shared"
        assert any("open licence" in w for w in result["warnings"])


class TestToken:
    def test_a_token_in_the_source_config_is_refused(self, portal):
        with pytest.raises(Exception, match="never kept"):
            make_source(Agency(), portal.url, "daknong_ckan", {"api_key": TOKEN})

    def test_the_token_is_sent_but_never_shown_or_logged(self, portal, app, caplog):
        _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan")
        set_token(source["id"], TOKEN)
        caplog.set_level(logging.DEBUG)

        run_job(source["id"])
        portal.fault = Reply(500, f"lỗi máy chủ {TOKEN}".encode())
        failed = run_job(source["id"])

        sent = [h.get("authorization") for _, _, h in portal.server.requests]
        assert TOKEN in sent
        shown = call_action("harvest_source_show", context={"ignore_auth": True}, id=source["id"])
        assert TOKEN not in repr(shown)
        assert failed["gather_errors"] and TOKEN not in repr(failed)
        assert TOKEN not in caplog.text

    def test_a_malformed_answer_echoing_the_token_is_scrubbed(self, portal):
        source = make_source(Agency(), portal.url, "daknong_ckan")
        set_token(source["id"], TOKEN)
        portal.fault = Reply(200, f'{{"success": true, "result": {TOKEN}'.encode())

        result = run_job(source["id"])

        assert any("malformed JSON" in e for e in result["gather_errors"])
        assert TOKEN not in repr(result)


class TestChanges:
    def test_unchanged_records_are_skipped_without_writes(self, portal):
        _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan")
        run_job(source["id"])
        before = harvested(source["id"])["r-001"]["metadata_modified"]

        second = run_job(source["id"])

        assert second["objects"] == 0
        assert harvested(source["id"])["r-001"]["metadata_modified"] == before

    def test_changed_records_are_updated(self, portal):
        dataset = _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan")
        run_job(source["id"])
        dataset["title"] = "Dữ liệu dân cư huyện Đắk Mil (cập nhật quý IV)"

        second = run_job(source["id"])

        assert second["objects"] == 1
        assert harvested(source["id"])["r-001"]["title"].endswith("(cập nhật quý IV)")
        assert _solr_count('title:"cập nhật quý IV"') == 1

    def test_vanished_records_are_withdrawn_with_a_reason_not_deleted(self, portal):
        _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan", {"grace_days": 0})
        run_job(source["id"])
        package_id = harvested(source["id"])["r-001"]["id"]
        portal.datasets.clear()

        run_job(source["id"])

        stored = record(source["id"], "r-001")
        assert stored.withdrawn_at is not None
        assert "no longer published" in stored.withdrawn_reason
        package = model.Package.get(package_id)
        assert package is not None and package.state == "draft"
        assert _solr_count(f"id:{package_id} AND state:active") == 0

    def test_vanished_records_stay_during_the_grace_period(self, portal):
        _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan", {"grace_days": 30})
        run_job(source["id"])
        portal.datasets.clear()

        run_job(source["id"])

        stored = record(source["id"], "r-001")
        assert stored.missing_since is not None and stored.withdrawn_at is None
        assert model.Package.get(stored.package_id).state == "active"

    def test_a_withdrawn_record_that_returns_is_restored(self, portal):
        dataset = _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan", {"grace_days": 0})
        run_job(source["id"])
        portal.datasets.clear()
        run_job(source["id"])
        portal.datasets.append(dataset)

        run_job(source["id"])

        stored = record(source["id"], "r-001")
        assert stored.withdrawn_at is None
        assert model.Package.get(stored.package_id).state == "active"

    def test_id_and_name_changes_are_warned(self, portal):
        dataset = _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan")
        run_job(source["id"])
        package_id = harvested(source["id"])["r-001"]["id"]
        dataset["id"] = "r-001-moi"

        id_change = run_job(source["id"])
        dataset["name"] = "dan-cu-dak-mil"
        name_change = run_job(source["id"])
        after = run_job(source["id"])

        assert any("identifier changed from r-001 to r-001-moi" in w for w in id_change["warnings"])
        assert any(
            "name changed from dan-cu to dan-cu-dak-mil" in w for w in name_change["warnings"]
        )
        assert after["warnings"] == []  # each change is warned once
        assert harvested(source["id"])["r-001-moi"]["id"] == package_id
        assert model.Session.query(HarvestRecord).filter_by(source_id=source["id"]).count() == 1

    def test_name_collisions_between_agencies_are_resolved_deterministically(self, portal):
        _dan_cu(portal)
        first_agency, second_agency = Agency(), Agency()
        first = make_source(first_agency, portal.url, "daknong_ckan", name="nguon-mot")
        second = make_source(
            second_agency, portal.url, "daknong_ckan", {"page_size": 50}, name="nguon-hai"
        )

        run_job(first["id"])
        run_job(second["id"])

        suffix = second_agency["agency_code"].lower().replace(".", "-")
        assert harvested(first["id"])["r-001"]["name"] == "dan-cu"
        assert harvested(second["id"])["r-001"]["name"] == f"dan-cu-{suffix}"
        assert harvested(second["id"])["r-001"]["owner_org"] == second_agency["id"]


class TestFaults:
    def test_invalid_records_are_reported_by_number_and_valid_ones_import(self, portal):
        _dan_cu(portal)
        portal.add(id="r-002", name="sai", title="Bản ghi sai", sector="khong-co-linh-vuc-nay")
        portal.add(id="r-003", name="khong-ten", title="")
        source = make_source(Agency(), portal.url, "daknong_ckan")

        result = run_job(source["id"])

        assert set(harvested(source["id"])) == {"r-001"}
        errors = result["object_errors"]
        # stored as "Vietnamese / English": officials read the first half (QĐ 43 Art. 20.3)
        assert any(e.startswith("bản ghi 2: sector") and " / record 2: sector" in e for e in errors)
        assert "bản ghi 3: tên: còn thiếu / record 3: title: missing" in errors
        assert result["status"] == "Finished"

    @pytest.mark.parametrize(
        ("fault", "message"),
        [
            (Reply(503, b"bao tri"), "HTTP error 503"),
            (Reply(200, b"<html>not json</html>"), "malformed JSON"),
            (Reply(200, b'{"success": false}'), "did not answer with success"),
        ],
    )
    def test_a_failing_source_loses_nothing(self, portal, fault, message):
        _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan", {"grace_days": 0})
        run_job(source["id"])
        portal.fault = fault

        result = run_job(source["id"])

        assert any(message in e for e in result["gather_errors"])
        assert result["status"] == "Finished"
        stored = record(source["id"], "r-001")
        assert stored.missing_since is None and stored.withdrawn_at is None
        assert model.Package.get(stored.package_id).state == "active"

    def test_source_down(self):
        source = make_source(Agency(), "http://127.0.0.1:9/", "daknong_ckan")

        result = run_job(source["id"])

        [error] = result["gather_errors"]
        vietnamese, english = error.split(" / ")
        assert vietnamese.startswith("http://127.0.0.1:9/api/3/action/package_search?")
        assert vietnamese.endswith(": không kết nối được") and english.endswith(": cannot connect")

    def test_timeouts(self, portal, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.timeout_seconds", 1)
        portal.fault = Reply(200, b"{}", delay=3)
        source = make_source(Agency(), portal.url, "daknong_ckan")

        result = run_job(source["id"])

        assert any("cannot connect" in e for e in result["gather_errors"])

    def test_a_server_dripping_bytes_is_cut_off_at_the_document_deadline(
        self, portal, ckan_config, monkeypatch
    ):
        """QĐ 43 Art. 20.3: a slow agency server must not hold the quarterly harvest until the
        stuck-job limit. Each byte comes well inside the per-request timeout, so only the
        document's total deadline stops it; what was imported before stays."""
        _dan_cu(portal)
        source = make_source(Agency(), portal.url, "daknong_ckan", {"grace_days": 0})
        run_job(source["id"])
        monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.timeout_seconds", 5)
        monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.document_deadline_seconds", 2)
        portal.fault = Reply(200, b'{"success": true, "result": {"count": 0}}' * 4, drip=0.1)

        started = time.monotonic()
        result = run_job(source["id"])
        elapsed = time.monotonic() - started

        assert any("not fully received within 2 s" in e for e in result["gather_errors"])
        assert 2 <= elapsed < 2 + 5, elapsed  # the deadline, plus at most one read's wait
        assert result["status"] == "Finished"
        stored = record(source["id"], "r-001")
        assert stored.withdrawn_at is None
        assert model.Package.get(stored.package_id).state == "active"

    def test_redirect_loops(self, portal):
        portal.server.route(
            "/loop/api/3/action/package_search",
            lambda *_: Reply(302, b"", {"Location": "/loop/api/3/action/package_search"}),
        )
        source = make_source(Agency(), portal.url + "/loop", "daknong_ckan")

        result = run_job(source["id"])

        assert any("too many redirects" in e for e in result["gather_errors"])

    def test_answers_over_the_size_cap(self, portal, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.daknong.harvest.max_bytes", 2000)
        for number in range(30):
            portal.add(id=f"r-{number:03}", name=f"du-lieu-{number}", title="Dữ liệu " * 20)
        source = make_source(Agency(), portal.url, "daknong_ckan")

        result = run_job(source["id"])

        assert any("larger than the 2000 byte limit" in e for e in result["gather_errors"])
        assert harvested(source["id"]) == {}

    def test_paging_reads_every_dataset(self, portal):
        for number in range(7):
            portal.add(id=f"r-{number:03}", name=f"du-lieu-{number}", title=f"Dữ liệu số {number}")
        source = make_source(Agency(), portal.url, "daknong_ckan", {"page_size": 3})

        run_job(source["id"])

        assert len(harvested(source["id"])) == 7
        assert len([r for r in portal.server.requests if r[0].endswith("package_search")]) == 3
