"""Fixtures of the harvest tests that run the real gather and fetch consumers."""

from __future__ import annotations

import pytest

from ckanext.daknong.tests.harvest.helpers import RECORDS, PrivateRedis
from ckanext.daknong.tests.harvest.servers import FakeCkan, LocalServer


@pytest.fixture
def private_redis(tmp_path, ckan_config, monkeypatch):
    server = PrivateRedis(tmp_path)
    server.start()
    # ckanext-harvest reads these at every connection (queue.get_connection_redis)
    monkeypatch.setitem(ckan_config, "ckan.harvest.mq.type", "redis")
    monkeypatch.setitem(ckan_config, "ckan.harvest.mq.hostname", "127.0.0.1")
    monkeypatch.setitem(ckan_config, "ckan.harvest.mq.port", server.port)
    monkeypatch.setitem(ckan_config, "ckan.harvest.mq.redis_db", 0)
    yield server
    server.stop()


@pytest.fixture
def portal():
    with LocalServer() as server:
        ckan = FakeCkan(server)
        for number in range(1, RECORDS + 1):
            ckan.add(
                id=f"r-{number:03d}",
                name=f"du-lieu-{number}",
                title=f"Bộ dữ liệu số {number} của huyện Đắk Song",
                license_id="cc-by",
            )
        yield ckan
