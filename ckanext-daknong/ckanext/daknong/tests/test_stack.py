"""Smoke tests of the real stack: PostgreSQL, Solr 9 and Redis behind CKAN 2.11."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.factories import Agency

VIETNAMESE_TITLE = "Dữ liệu dân cư huyện Đắk Glong — thống kê năm 2024"
VIETNAMESE_NOTES = "Số hộ, nhân khẩu và tỷ lệ hộ nghèo của 7 xã; cập nhật ngày 01/7/2024."


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestPostgresAndSolr:
    def test_created_dataset_is_found_through_solr(self):
        org = Agency()
        created = call_action(
            "package_create",
            context={"user": factories.Sysadmin()["name"]},
            name="so-lieu-kiem-tra-solr",
            title="Số liệu kiểm tra Solr",
            notes="Số liệu kiểm tra.",
            owner_org=org["id"],
            access_level="open",
            license_id="cc-by",
        )

        result = call_action("package_search", q="name:so-lieu-kiem-tra-solr")

        assert result["count"] == 1
        assert result["results"][0]["id"] == created["id"]

    def test_vietnamese_text_round_trips_through_postgres_and_solr(self):
        org = Agency()
        created = call_action(
            "package_create",
            context={"user": factories.Sysadmin()["name"]},
            name="du-lieu-dan-cu-dak-glong",
            title=VIETNAMESE_TITLE,
            notes=VIETNAMESE_NOTES,
            owner_org=org["id"],
            access_level="open",
            license_id="cc-by",
        )

        shown = call_action("package_show", id=created["id"])
        found = call_action("package_search", q="nhân khẩu")

        assert shown["title"] == VIETNAMESE_TITLE
        assert shown["notes"] == VIETNAMESE_NOTES
        assert [r["title"] for r in found["results"]] == [VIETNAMESE_TITLE]

    def test_solr_search_does_not_match_unrelated_text(self):
        org = Agency()
        call_action(
            "package_create",
            context={"user": factories.Sysadmin()["name"]},
            name="ban-do-dat-dai",
            title="Bản đồ đất đai",
            notes="Bản đồ.",
            owner_org=org["id"],
            access_level="open",
            license_id="cc-by",
        )

        assert call_action("package_search", q="tiêm chủng")["count"] == 0


@pytest.mark.usefixtures("with_plugins", "clean_redis")
def test_harvest_queue_on_redis_is_reachable():
    from ckanext.harvest import queue

    connection = queue.get_connection()
    key = queue.get_gather_queue_name()
    connection.rpush(key, "kiểm-tra")

    assert connection.lpop(key) == "kiểm-tra"
    assert tk.config["ckan.harvest.mq.type"] == "redis"
