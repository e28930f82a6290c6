"""DataStore queries of shared and restricted data are logged (NĐ 47 Art. 45.1).

The portal does not enable the DataStore; a province that does gets its queries logged on the
``datastore`` channel. `make test` prepares a DataStore database for this module.
"""

from __future__ import annotations

import configparser
import hashlib
import uuid
from pathlib import Path

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.sharing_log.test_capture import _only


def _plugins_with_datastore() -> str:
    """The suite's plugins (test.ini) plus the DataStore."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(Path(__file__).resolve().parents[5] / "test.ini", encoding="utf-8")
    return f"{parser['app:main']['ckan.plugins']} datastore"


pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", _plugins_with_datastore()),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


@pytest.fixture
def table(world) -> dict:
    """A DataStore table on the shared dataset's resource, with Vietnamese text."""
    resource = world.datasets["shared"]["resources"][0]
    call_action(
        "datastore_create",
        context={"user": factories.Sysadmin()["name"]},
        resource_id=resource["id"],
        force=True,
        fields=[{"id": "xa", "type": "text"}, {"id": "dan_so", "type": "int"}],
        records=[{"xa": "Quảng Khê", "dan_so": 12000}, {"xa": "Đắk Ha", "dan_so": 9000}],
    )
    return resource


def test_datastore_search_is_logged_on_its_channel(app, world, table, new_entries):
    response = app.get(
        "/api/3/action/datastore_search",
        query_string={"resource_id": table["id"]},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200
    assert response.json["result"]["total"] == 2
    entry = _only(new_entries(), event="read")
    assert entry["channel"] == "datastore"
    assert entry["resource_ids"] == [table["id"]]
    assert entry["dataset_ids"] == [world.datasets["shared"]["id"]]
    assert entry["action"] == "datastore_search"
    assert entry["content_sha256"] == hashlib.sha256(response.data).hexdigest()


def test_a_refused_datastore_query_is_logged(app, world, table, new_entries):
    response = app.get(
        "/api/3/action/datastore_search",
        query_string={"resource_id": table["id"]},
        headers=world.headers("outsider"),
    )
    assert response.status_code == 403
    assert "Quảng Khê" not in response.get_data(as_text=True)
    entry = _only(new_entries(), event="read")
    assert entry["status"] == "denied"
    assert entry["resource_ids"] == [table["id"]]


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", "true")
def test_datastore_sql_queries_are_logged_for_each_table_read(app, world, table, new_entries):
    sql = f'SELECT xa FROM "{table["id"]}" WHERE dan_so > 10000'
    response = app.get(
        "/api/3/action/datastore_search_sql",
        query_string={"sql": sql},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r["xa"] for r in response.json["result"]["records"]] == ["Quảng Khê"]
    entry = _only(new_entries(), event="read")
    assert entry["channel"] == "datastore"
    assert entry["action"] == "datastore_search_sql"
    assert entry["resource_ids"] == [table["id"]]


def test_datastore_info_is_a_read_of_the_resource(app, world, table, new_entries):
    """M5 (NĐ 47 Art. 45.1): the table's columns and their descriptions are its content."""
    response = app.get(
        "/api/3/action/datastore_info",
        query_string={"id": table["id"]},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    entry = _only(new_entries(), event="read")
    assert (entry["action"], entry["channel"]) == ("datastore_info", "datastore")
    assert entry["resource_ids"] == [table["id"]]
    assert entry["dataset_ids"] == [world.datasets["shared"]["id"]]


def test_a_query_through_an_alias_is_logged(app, world, table, new_entries):
    """An alias names the same table: the read is the resource's all the same."""
    # the DataStore database is not emptied between test runs: a name of this run only
    alias = f"bang_xa_dan_so_{uuid.uuid4().hex[:8]}"
    call_action(
        "datastore_create",
        context={"user": factories.Sysadmin()["name"]},
        resource_id=table["id"],
        force=True,
        aliases=alias,
    )
    response = app.get(
        "/api/3/action/datastore_search",
        query_string={"resource_id": alias},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    entry = _only(new_entries(), event="read")
    assert entry["resource_ids"] == [table["id"]]
