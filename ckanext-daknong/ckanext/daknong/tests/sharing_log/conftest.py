"""Fixtures of the sharing-log tests: a provider with data at every level, readers, the log."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from sqlalchemy import func, select

from ckanext.daknong.model.access import AccessGrant
from ckanext.daknong.sharing_log import model as log_model
from ckanext.daknong.tests.factories import Agency, agency_member

RESTRICTED_TITLE = "Sổ mục kê đất đai chưa công bố"


def _max_id() -> int:
    with model.meta.engine.connect() as connection:
        return (
            connection.execute(
                select(log_model.entry.c.id).order_by(log_model.entry.c.id.desc()).limit(1)
            ).scalar()
            or 0
        )


def open_reads(dataset_id: str) -> int:
    """Today's counted reads of an open dataset, every channel."""
    with model.meta.engine.connect() as connection:
        return connection.execute(
            select(func.coalesce(func.sum(log_model.open_read.c.reads), 0)).where(
                log_model.open_read.c.dataset_id == dataset_id
            )
        ).scalar()


@pytest.fixture
def new_entries() -> Callable[[], list[dict[str, Any]]]:
    """Entries written since the test started, oldest first."""
    start = _max_id()

    def read() -> list[dict[str, Any]]:
        with model.meta.engine.connect() as connection:
            rows = connection.execute(
                log_model.entry.select()
                .where(log_model.entry.c.id > start)
                .order_by(log_model.entry.c.id)
            )
            return [dict(row._mapping) for row in rows]

    return read


@pytest.fixture
def pg_admin() -> Iterator[Any]:
    """A superuser connection to the test database: an attacker who owns the server.

    `make test` exports DAKNONG_PG_ADMIN_URL (the cluster's private socket); without it these
    tests cannot play that attacker, and fail rather than pass silently.
    """
    url = os.environ.get("DAKNONG_PG_ADMIN_URL")
    assert url, "DAKNONG_PG_ADMIN_URL is not set: run the suite through `make test`"
    connection = psycopg2.connect(url)
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture
def tamper(pg_admin) -> Iterator[Any]:
    """A superuser cursor with triggers off; the log is restored exactly afterwards."""
    cursor = pg_admin.cursor()
    tables = ("entry", "checkpoint", "tombstone")
    for table in tables:
        cursor.execute(
            f"CREATE TEMP TABLE snapshot_{table} AS SELECT * FROM {log_model.SCHEMA}.{table}"
        )
    cursor.execute("SET session_replication_role = replica")
    yield cursor
    for table in tables:
        cursor.execute(f"DELETE FROM {log_model.SCHEMA}.{table}")
        cursor.execute(f"INSERT INTO {log_model.SCHEMA}.{table} SELECT * FROM snapshot_{table}")
        cursor.execute(f"DROP TABLE snapshot_{table}")
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.close()


@dataclasses.dataclass
class World:
    provider: dict[str, Any]
    consumer: dict[str, Any]
    datasets: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]

    def headers(self, role: str) -> dict[str, str]:
        user = self.users.get(role)
        return {"Authorization": user["token"]} if user else {}


def grant(
    dataset_id: str, org_id: str, user_id: str, purpose: str = "Đối soát hồ sơ đất đai"
) -> AccessGrant:
    """An active grant, as the request workflow leaves it once approved."""
    from ckanext.daknong.model.access import AccessRequest

    now = dt.datetime.now(dt.timezone.utc)
    request = AccessRequest(
        dataset_id=dataset_id,
        provider_org_id=model.Package.get(dataset_id).owner_org,
        requester_user_id=user_id,
        requester_org_id=org_id,
        requester_agency_code="H16.77",
        requester_agency_name="Sở sử dụng",
        application="Hệ thống một cửa",
        purpose=purpose,
        intended_use="Tra cứu",
        requested_data="Toàn bộ",
        access_frequency="Hằng ngày",
        period_start=now.date(),
        period_end=(now + dt.timedelta(days=30)).date(),
        status="granted",
        provider_due_at=now,
        history=[],
    )
    model.Session.add(request)
    model.Session.flush()
    row = AccessGrant(
        request_id=request.id,
        dataset_id=dataset_id,
        org_id=org_id,
        valid_from=now - dt.timedelta(minutes=1),
        valid_until=now + dt.timedelta(days=30),
    )
    model.Session.add(row)
    model.Session.commit()
    return row


@pytest.fixture
def world() -> World:
    """A provider agency with open, shared and restricted data (each with a link resource),
    a consumer agency holding a grant on the restricted dataset, and an outsider."""
    provider = Agency(name="so-cung-cap-nhat-ky", title="Sở cung cấp", agency_code="H16.21")
    consumer = Agency(name="so-su-dung-nhat-ky", title="Sở sử dụng", agency_code="H16.77")
    sysadmin = factories.Sysadmin()
    datasets = {
        level: call_action(
            "package_create",
            context={"user": sysadmin["name"]},
            name=f"nhat-ky-{level}",
            title=RESTRICTED_TITLE if level == "restricted" else f"Dữ liệu {level}",
            notes=f"Mô tả {level}",
            owner_org=provider["id"],
            access_level=level,
            license_id="cc-by" if level == "open" else "other-closed",
            resources=[{"url": f"http://example.invalid/{level}.csv", "name": f"{level}.csv"}],
        )
        for level in ("open", "shared", "restricted")
    }
    users = {
        "provider_admin": agency_member(provider, "admin"),
        "provider_member": agency_member(provider, "member"),
        "consumer_member": agency_member(consumer, "member"),
        "consumer_admin": agency_member(consumer, "admin"),
        "outsider": factories.UserWithToken(),
        "sysadmin": {**sysadmin, "token": factories.APIToken(user=sysadmin["name"])["token"]},
    }
    grant(datasets["restricted"]["id"], consumer["id"], users["consumer_member"]["id"])
    return World(provider, consumer, datasets, users)
