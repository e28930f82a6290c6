"""Fail closed: a shared or restricted read whose entry cannot be written is not served.

NĐ 47 Art. 45 makes the log the evidence of sharing; data served without its entry would be
sharing without evidence. The failures are real: the INSERT privilege is taken away from the
application's role, or a superuser holds a lock on the log longer than the write timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg2
import pytest
from ckan import model

from ckanext.daknong.model.access import AccessRequest
from ckanext.daknong.sharing_log import model as log_model
from ckanext.daknong.tests.sharing_log.conftest import RESTRICTED_TITLE

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ENTRY = f"{log_model.SCHEMA}.entry"


@contextlib.contextmanager
def log_unwritable(pg_admin) -> Iterator[None]:
    role = model.meta.engine.url.username
    with pg_admin.cursor() as cursor:
        cursor.execute(f"REVOKE INSERT ON {ENTRY} FROM {role}")
    try:
        yield
    finally:
        with pg_admin.cursor() as cursor:
            cursor.execute(f"GRANT INSERT ON {ENTRY} TO {role}")


@contextlib.contextmanager
def log_locked(pg_admin_url: str) -> Iterator[None]:
    holder = psycopg2.connect(pg_admin_url)
    with holder.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {ENTRY} IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_api_read_is_refused_with_a_503_when_the_log_cannot_be_written(
    app, world, pg_admin, new_entries
):
    dataset = world.datasets["restricted"]
    with log_unwritable(pg_admin):
        response = app.get(
            "/api/3/action/package_show",
            query_string={"id": dataset["id"]},
            headers=world.headers("consumer_member"),
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["success"] is False
    assert "sharing log" in response.json["error"]["message"] or "nhật ký" in (
        response.json["error"]["message"].lower()
    )
    assert RESTRICTED_TITLE not in response.get_data(as_text=True)
    assert dataset["id"] not in response.get_data(as_text=True)
    assert new_entries() == []


def test_dataset_page_and_download_are_refused_too(app, world, pg_admin):
    dataset = world.datasets["shared"]
    resource = dataset["resources"][0]
    with log_unwritable(pg_admin):
        page = app.get(f"/en/dataset/{dataset['name']}", headers=world.headers("consumer_member"))
        download = app.get(
            f"/dataset/{dataset['id']}/resource/{resource['id']}/download",
            headers=world.headers("consumer_member"),
            follow_redirects=False,
        )
    assert page.status_code == 503
    assert "sharing log cannot be written" in page.get_data(as_text=True)
    assert dataset["title"] not in page.get_data(as_text=True)
    assert download.status_code == 503
    assert "Location" not in download.headers


def test_a_lock_held_past_the_write_timeout_refuses_the_read(app, world, ckan_config, monkeypatch):
    import os

    monkeypatch.setitem(ckan_config, "ckanext.daknong.sharing_log.write_timeout_ms", 300)
    with log_locked(os.environ["DAKNONG_PG_ADMIN_URL"]):
        response = app.get(
            "/api/3/action/package_show",
            query_string={"id": world.datasets["shared"]["id"]},
            headers=world.headers("consumer_member"),
        )
    assert response.status_code == 503


def test_open_data_is_still_served(app, world, pg_admin):
    with log_unwritable(pg_admin):
        response = app.get(
            "/api/3/action/package_show", query_string={"id": world.datasets["open"]["id"]}
        )
    assert response.status_code == 200


def test_the_log_works_again_once_it_can_be_written(app, world, pg_admin, new_entries):
    with log_unwritable(pg_admin):
        pass
    app.get(
        "/api/3/action/package_show",
        query_string={"id": world.datasets["shared"]["id"]},
        headers=world.headers("consumer_member"),
        status=200,
    )
    assert [e["status"] for e in new_entries()] == ["served"]


def test_an_access_request_step_is_not_taken_without_its_entry(app, world, pg_admin):
    payload = {
        "dataset_id": world.datasets["restricted"]["name"],
        "requester_org_id": world.consumer["id"],
        "application": "Hệ thống một cửa",
        "purpose": "Giải quyết thủ tục",
        "intended_use": "Tra cứu",
        "requested_data": "Toàn bộ",
        "access_frequency": "Hằng tuần",
        "period_start": "2030-01-01",
        "period_end": "2030-02-01",
    }
    before = model.Session.query(AccessRequest).count()
    with log_unwritable(pg_admin):
        response = app.post(
            "/api/3/action/daknong_access_request_create",
            json=payload,
            headers=world.headers("consumer_admin"),
        )
    assert response.status_code == 503, response.get_data(as_text=True)[:3000]
    model.Session.remove()
    assert model.Session.query(AccessRequest).count() == before
