"""Every read of shared and restricted data is logged, on every path (NĐ 47 Art. 45.1–45.2).

Requests go through the real CKAN app; entries are read back from PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from ckanext.daknong.sharing_log import entries
from ckanext.daknong.tests.sharing_log.conftest import open_reads

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _only(rows, **expected):
    found = [r for r in rows if all(r[k] == v for k, v in expected.items())]
    assert len(found) == 1, (expected, rows)
    return found[0]


class TestApiReads:
    def test_package_show_of_shared_data_is_logged_with_art_45_2_fields(
        self, app, world, new_entries
    ):
        dataset = world.datasets["shared"]
        response = app.get(
            "/api/3/action/package_show",
            query_string={"id": dataset["name"], "api_key": "secret-value"},
            headers={**world.headers("consumer_member"), "User-Agent": "ung-dung-so/1.0"},
            environ_overrides={"REMOTE_ADDR": "203.113.1.9"},
        )
        assert response.status_code == 200
        entry = _only(new_entries(), event="read", channel="api")
        assert entry["status"] == "served"
        assert entry["user_name"] == world.users["consumer_member"]["name"]
        assert entry["requester_org_id"] == world.consumer["id"]
        assert entry["requester_agency_code"] == "H16.77"
        assert entry["provider_org_ids"] == [world.provider["id"]]
        assert entry["provider_agency_codes"] == ["H16.21"]
        assert entry["dataset_ids"] == [dataset["id"]]
        assert entry["action"] == "package_show"
        assert entry["http_status"] == 200
        assert entry["content_sha256"] == hashlib.sha256(response.data).hexdigest()
        assert entry["user_agent"] == "ung-dung-so/1.0"
        assert entry["client_ip"] == "203.113.1.9"
        content = json.loads(entry["request_content"])
        assert content["params"]["id"] == dataset["name"]
        assert content["params"]["api_key"] == "[redacted]"
        assert world.users["consumer_member"]["token"] not in entry["request_content"]

    def test_restricted_read_through_a_grant_names_the_grant_and_purpose(
        self, app, world, new_entries
    ):
        dataset = world.datasets["restricted"]
        app.get(
            "/api/3/action/package_show",
            query_string={"id": dataset["id"]},
            headers=world.headers("consumer_member"),
            status=200,
        )
        entry = _only(new_entries(), event="read")
        assert entry["grant_id"]
        assert entry["access_request_id"]
        assert entry["purpose"] == "Đối soát hồ sơ đất đai"
        assert entry["requester_org_id"] == world.consumer["id"]

    def test_denied_attempts_are_logged(self, app, world, new_entries):
        dataset = world.datasets["restricted"]
        app.get(
            "/api/3/action/package_show",
            query_string={"id": dataset["id"]},
            headers=world.headers("outsider"),
            status=404,  # a refused read answers like a missing name (issue 10, Low)
        )
        app.get("/api/3/action/package_show", query_string={"id": dataset["id"]}, status=404)
        rows = new_entries()
        assert [r["status"] for r in rows] == ["denied", "denied"]
        assert rows[0]["user_name"] == world.users["outsider"]["name"]
        assert rows[1]["user_name"] is None
        assert all(r["dataset_ids"] == [dataset["id"]] for r in rows)
        assert all(r["content_sha256"] is None for r in rows)

    def test_resource_show_names_the_resource(self, app, world, new_entries):
        resource = world.datasets["shared"]["resources"][0]
        app.get(
            "/api/3/action/resource_show",
            query_string={"id": resource["id"]},
            headers=world.headers("provider_member"),
            status=200,
        )
        entry = _only(new_entries(), event="read")
        assert entry["resource_ids"] == [resource["id"]]
        assert entry["requester_org_id"] == world.provider["id"]

    def test_search_is_one_entry_listing_the_shared_and_restricted_hits(
        self, app, world, new_entries
    ):
        response = app.get(
            "/api/3/action/package_search",
            query_string={"q": "nhat-ky", "include_private": "true"},
            headers=world.headers("consumer_member"),
            status=200,
        )
        found = {r["id"] for r in response.json["result"]["results"]}
        rows = new_entries()
        entry = _only(rows, event="search")
        expected = {world.datasets["shared"]["id"], world.datasets["restricted"]["id"]}
        assert expected <= found
        assert set(entry["dataset_ids"]) == expected
        assert world.datasets["open"]["id"] not in entry["dataset_ids"]

    def test_open_data_reads_are_counted_not_logged(self, app, world, new_entries):
        dataset = world.datasets["open"]
        before = open_reads(dataset["id"])
        for _ in range(3):
            app.get("/api/3/action/package_show", query_string={"id": dataset["id"]}, status=200)
        assert new_entries() == []
        assert open_reads(dataset["id"]) == before + 3

    def test_harvesters_of_other_portals_are_their_own_channel(self, app, world, new_entries):
        app.get(
            "/api/3/action/package_show",
            query_string={"id": world.datasets["shared"]["id"]},
            headers={**world.headers("consumer_member"), "User-Agent": "ckanext-harvest/1.6"},
            status=200,
        )
        assert _only(new_entries(), event="read")["channel"] == entries.HARVEST


class TestWebReads:
    def test_dataset_page(self, app, world, new_entries):
        dataset = world.datasets["shared"]
        response = app.get(f"/dataset/{dataset['name']}", headers=world.headers("consumer_member"))
        assert response.status_code == 200
        entry = _only(new_entries(), event="read", channel="web")
        assert entry["dataset_ids"] == [dataset["id"]]
        assert entry["content_sha256"] == hashlib.sha256(response.data).hexdigest()

    def test_resource_page(self, app, world, new_entries):
        dataset = world.datasets["shared"]
        resource = dataset["resources"][0]
        app.get(
            f"/dataset/{dataset['name']}/resource/{resource['id']}",
            headers=world.headers("consumer_member"),
            status=200,
        )
        entry = _only(new_entries(), event="read", channel="web")
        assert resource["id"] in entry["resource_ids"]

    def test_refused_dataset_page(self, app, world, new_entries):
        dataset = world.datasets["restricted"]
        response = app.get(f"/dataset/{dataset['name']}", headers=world.headers("outsider"))
        assert response.status_code in (403, 404)
        entry = _only(new_entries(), event="read")
        assert entry["status"] == "denied"

    def test_linked_resource_download(self, app, world, new_entries):
        dataset = world.datasets["restricted"]
        resource = dataset["resources"][0]
        response = app.get(
            f"/dataset/{dataset['id']}/resource/{resource['id']}/download",
            headers=world.headers("consumer_member"),
            follow_redirects=False,
        )
        assert response.status_code == 302
        entry = _only(new_entries(), event="read", channel="download")
        assert entry["status"] == "served"
        assert entry["resource_ids"] == [resource["id"]]
        assert entry["content_sha256"] is None  # the bytes are served elsewhere

    def test_per_dataset_dcat_document(self, app, world, new_entries):
        dataset = world.datasets["shared"]
        response = app.get(
            f"/dataset/{dataset['name']}.ttl", headers=world.headers("consumer_member")
        )
        assert response.status_code == 200
        entry = _only(new_entries(), event="read", channel="dcat")
        assert entry["content_sha256"] == hashlib.sha256(response.data).hexdigest()


class TestUploads:
    def test_download_of_an_uploaded_file_records_the_file_bytes_hash(
        self, app, world, new_entries, create_with_upload
    ):
        from ckan.tests import factories

        content = "ma_thua,dien_tich\n12,340.5\nSố liệu đất đai\n".encode()
        dataset = world.datasets["restricted"]
        resource = create_with_upload(
            content,
            "thua-dat.csv",
            url="thua-dat.csv",
            package_id=dataset["id"],
            context={"user": factories.Sysadmin()["name"]},
        )
        start = len(new_entries())
        response = app.get(
            f"/dataset/{dataset['id']}/resource/{resource['id']}/download/thua-dat.csv",
            headers=world.headers("consumer_member"),
        )
        assert response.status_code == 200
        assert response.data == content
        entry = _only(new_entries()[start:], event="read", channel="download")
        assert entry["content_sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["resource_ids"] == [resource["id"]]
        assert entry["grant_id"]

    def test_a_refused_download_is_logged_and_serves_nothing(
        self, app, world, new_entries, create_with_upload
    ):
        from ckan.tests import factories

        dataset = world.datasets["restricted"]
        resource = create_with_upload(
            b"NOI-DUNG-KHONG-DUOC-LO-9137",
            "bi-mat.csv",
            url="bi-mat.csv",
            package_id=dataset["id"],
            context={"user": factories.Sysadmin()["name"]},
        )
        start = len(new_entries())
        response = app.get(
            f"/dataset/{dataset['id']}/resource/{resource['id']}/download/bi-mat.csv",
            headers=world.headers("outsider"),
        )
        assert response.status_code in (403, 404)
        assert b"NOI-DUNG-KHONG-DUOC-LO-9137" not in response.data
        entry = _only(new_entries()[start:], event="read")
        assert entry["status"] == "denied"
        assert entry["resource_ids"] == [resource["id"]]


class TestActivity:
    """Activities carry the dataset's content: reading them is reading the dataset."""

    def test_activity_list_and_items_are_logged(self, app, world, new_entries):
        dataset = world.datasets["shared"]
        listed = app.get(
            "/api/3/action/package_activity_list",
            query_string={"id": dataset["id"]},
            headers=world.headers("consumer_member"),
        )
        assert listed.status_code == 200
        activity_id = listed.json["result"][0]["id"]
        # upstream lets only editors see an activity's data: the provider's admin here
        for action in ("activity_show", "activity_data_show"):
            shown = app.get(
                f"/api/3/action/{action}",
                query_string={"id": activity_id, "include_data": "true"},
                headers=world.headers("provider_admin"),
            )
            assert shown.status_code == 200, shown.get_data(as_text=True)[:2000]
        rows = new_entries()
        assert [(r["action"], r["user_name"]) for r in rows] == [
            ("package_activity_list", world.users["consumer_member"]["name"]),
            ("activity_show", world.users["provider_admin"]["name"]),
            ("activity_data_show", world.users["provider_admin"]["name"]),
        ]
        assert all(r["dataset_ids"] == [dataset["id"]] and r["status"] == "served" for r in rows)

    def test_activity_page_is_logged(self, app, world, new_entries):
        dataset = world.datasets["restricted"]
        app.get(
            f"/dataset/activity/{dataset['name']}",
            headers=world.headers("consumer_member"),
            status=200,
        )
        entry = _only(new_entries(), event="read")
        assert entry["channel"] == "web"
        assert entry["dataset_ids"] == [dataset["id"]]


def test_the_dashboard_links_to_the_log_for_those_who_may_read_it(app, world):
    """NĐ 47 Art. 45.3: agencies' admins find their log; plain members are not offered it."""
    admin = app.get("/en/dashboard/datasets", headers=world.headers("provider_admin"))
    member = app.get("/en/dashboard/datasets", headers=world.headers("provider_member"))
    assert admin.status_code == member.status_code == 200
    assert "/sharing-log" in admin.get_data(as_text=True)
    assert "/sharing-log" not in member.get_data(as_text=True)
