"""M5: every action that returns dataset content logs its reads and fails closed.

Finding M5 of issue 10: ``package_autocomplete``, ``dataset_followee_list``, ``followee_list``,
``harvest_object_show`` and ``harvest_object_list`` (and the harvest object web routes) served
shared and restricted data without a sharing-log entry, and kept answering when the log could
not be written. NĐ 47 Art. 45.1–45.2 requires an entry for every sharing; QĐ 43 Art. 10–11
makes shared and restricted data readable only by the agencies entitled. Each path here is
called through the real CKAN app, as an agency user reading shared data and as the holder of
a grant reading restricted data (the harvest paths as a sysadmin: they are sysadmin-only once
C1 is closed, and a sysadmin's read of shared data is still a read).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ckan import model
from ckan.tests.helpers import call_action
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource

from ckanext.daknong.sharing_log import capture
from ckanext.daknong.tests.sharing_log.conftest import RESTRICTED_TITLE
from ckanext.daknong.tests.sharing_log.test_fail_closed import log_unwritable

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

M5_ACTIONS = (
    "package_autocomplete",
    "dataset_followee_list",
    "followee_list",
    "harvest_object_show",
    "harvest_object_list",
)
HARVESTED_MARKER = "BAN-GHI-THU-HOACH-7731"


def _sensitive(world) -> list[dict[str, Any]]:
    return [world.datasets["shared"], world.datasets["restricted"]]


def _follow_all(world, role: str) -> None:
    user = world.users[role]
    for dataset in world.datasets.values():
        call_action("follow_dataset", context={"user": user["name"]}, id=dataset["id"])


def _harvested(world) -> dict[str, Any]:
    """A harvest source whose current objects are the records of the provider's datasets."""
    source = HarvestSource(
        url="http://nguon-thu-hoach.invalid/", type="daknong_ckan", title="Nguồn thử"
    )
    job = HarvestJob(source=source, status="Finished")
    objects = {
        level: HarvestObject(
            guid=dataset["name"],
            job=job,
            source=source,
            package_id=dataset["id"],
            current=True,
            state="COMPLETE",
            content=json.dumps({"title": dataset["title"], "notes": HARVESTED_MARKER}),
        )
        for level, dataset in world.datasets.items()
    }
    model.Session.add_all([source, job, *objects.values()])
    model.Session.commit()
    return {"source_id": source.id, "objects": {k: o.id for k, o in objects.items()}}


def _assert_no_data(response, world) -> None:
    text = response.get_data(as_text=True)
    if response.is_json:  # JSON escapes non-ASCII text: compare the decoded answer
        text = json.dumps(response.json, ensure_ascii=False)
    for dataset in _sensitive(world):
        assert dataset["id"] not in text
        assert dataset["name"] not in text
    assert RESTRICTED_TITLE not in text
    assert HARVESTED_MARKER not in text


def test_the_m5_paths_are_content_actions_and_chained_in_this_ckan():
    """M5 (NĐ 47 Art. 45.1): the five paths are declared as returning dataset content."""
    assert set(M5_ACTIONS) <= capture.content_actions()
    assert set(M5_ACTIONS) <= set(capture.chainable_actions())


def test_every_content_action_has_its_own_extractor():
    """M5 (NĐ 47 Art. 45.1): a content action without an extractor is logged by a generic
    walk of its result; it must get its own, so its entries name the right datasets."""
    assert capture.content_actions() <= set(capture.EXTRACTORS)


def test_the_policy_table_is_the_one_list_of_content_actions():
    """M5: every action the policy table marks as returning dataset content is either logged
    here or named with the inner call that logs it; nothing is logged that the table does
    not mark, so a plugin upgrade that adds a content action is caught in one place."""
    from ckanext.daknong import policy

    marked = policy.content_actions()
    assert set(capture.EXTRACTORS) <= marked
    assert set(capture.LOGGED_THROUGH_INNER_CALLS) <= marked
    assert not set(capture.EXTRACTORS) & set(capture.LOGGED_THROUGH_INNER_CALLS)
    assert capture.content_actions() | set(capture.LOGGED_THROUGH_INNER_CALLS) == marked


def test_writes_stay_post_only():
    """A chained action's attributes replace the original's: only reads become GET-able."""
    assert all(capture.is_read(name) for name in capture.EXTRACTORS)
    assert not capture.is_read("package_update")
    assert capture.is_read("group_package_show")


# --- each path makes an entry ---------------------------------------------------------------


def test_package_autocomplete_is_a_logged_search(app, world, new_entries):
    """M5 (NĐ 47 Art. 45.1): autocomplete returns names and titles of shared and restricted
    data; one search entry names them, with the grant holder's agency."""
    response = app.get(
        "/api/3/action/package_autocomplete",
        query_string={"q": "nhat-ky"},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200
    names = {r["name"] for r in response.json["result"]}
    assert {d["name"] for d in _sensitive(world)} <= names
    (entry,) = new_entries()
    assert (entry["event"], entry["status"], entry["action"]) == (
        "search",
        "served",
        "package_autocomplete",
    )
    assert set(entry["dataset_ids"]) == {d["id"] for d in _sensitive(world)}
    assert entry["user_name"] == world.users["consumer_member"]["name"]
    assert entry["requester_org_id"] == world.consumer["id"]


def test_the_autocomplete_web_route_is_logged_too(app, world, new_entries):
    """M5: the web form's autocomplete calls the same action."""
    response = app.get(
        "/api/2/util/dataset/autocomplete",
        query_string={"incomplete": "nhat-ky"},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200
    assert world.datasets["shared"]["name"] in response.get_data(as_text=True)
    (entry,) = new_entries()
    assert entry["event"] == "search"
    assert world.datasets["shared"]["id"] in entry["dataset_ids"]


@pytest.mark.parametrize("action", ["dataset_followee_list", "followee_list"])
def test_followee_lists_log_a_read_per_followed_dataset(app, world, new_entries, action):
    """M5 (NĐ 47 Art. 45.1–45.2): followee lists return the followed datasets' full content;
    each shared or restricted one is a read, the restricted one through its grant."""
    _follow_all(world, "consumer_member")
    start = len(new_entries())
    response = app.get(
        f"/api/3/action/{action}",
        query_string={"id": world.users["consumer_member"]["name"]},
        headers=world.headers("consumer_member"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert RESTRICTED_TITLE in json.dumps(response.json, ensure_ascii=False)
    rows = new_entries()[start:]
    by_dataset = {r["dataset_ids"][0]: r for r in rows}
    assert set(by_dataset) == {d["id"] for d in _sensitive(world)}
    assert all(r["event"] == "read" and r["status"] == "served" for r in rows)
    assert all(r["action"] == action for r in rows)
    restricted = by_dataset[world.datasets["restricted"]["id"]]
    assert restricted["grant_id"] and restricted["purpose"] == "Đối soát hồ sơ đất đai"
    assert restricted["requester_org_id"] == world.consumer["id"]


@pytest.mark.parametrize("level", ["shared", "restricted"])
@pytest.mark.parametrize("by", ["id", "dataset_id"])
def test_harvest_object_show_is_a_read_of_the_dataset(app, world, new_entries, level, by):
    """M5/C1 (NĐ 47 Art. 45.1): the stored harvest object is the dataset's full record; reading
    it is reading that dataset, also for a sysadmin."""
    harvested = _harvested(world)
    dataset = world.datasets[level]
    key = harvested["objects"][level] if by == "id" else dataset["id"]
    response = app.get(
        "/api/3/action/harvest_object_show",
        query_string={by: key},
        headers=world.headers("sysadmin"),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert HARVESTED_MARKER in response.json["result"]["content"]
    (entry,) = new_entries()
    assert (entry["event"], entry["status"], entry["action"]) == (
        "read",
        "served",
        "harvest_object_show",
    )
    assert entry["dataset_ids"] == [dataset["id"]]
    assert entry["provider_org_ids"] == [world.provider["id"]]
    assert entry["user_name"] == world.users["sysadmin"]["name"]


@pytest.mark.parametrize(
    "path",
    ["/harvest/object/{object_id}", "/dataset/harvest_object/{dataset_id}"],
)
def test_harvest_object_web_routes_are_reads(app, world, new_entries, path):
    """M5/C1: the harvest plugin's web routes serve the stored object through the action."""
    harvested = _harvested(world)
    dataset = world.datasets["restricted"]
    url = path.format(object_id=harvested["objects"]["restricted"], dataset_id=dataset["id"])
    response = app.get(url, headers=world.headers("sysadmin"))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert HARVESTED_MARKER in response.get_data(as_text=True)
    (entry,) = new_entries()
    assert (entry["event"], entry["channel"], entry["dataset_ids"]) == (
        "read",
        "web",
        [dataset["id"]],
    )


def test_harvest_object_list_names_the_datasets_of_the_objects(app, world, new_entries):
    """M5 (NĐ 47 Art. 45.1): object ids lead to the datasets' records; one listing entry."""
    harvested = _harvested(world)
    response = app.get(
        "/api/3/action/harvest_object_list",
        query_string={"source_id": harvested["source_id"]},
        headers=world.headers("sysadmin"),
    )
    assert response.status_code == 200
    assert set(response.json["result"]) == set(harvested["objects"].values())
    (entry,) = new_entries()
    assert entry["event"] == "search" and entry["action"] == "harvest_object_list"
    assert set(entry["dataset_ids"]) == {d["id"] for d in _sensitive(world)}


def test_current_package_list_with_resources_is_logged(app, world, new_entries):
    """NĐ 47 Art. 45.1: the list calls package_search directly, past its chain: its own entry."""
    response = app.get(
        "/api/3/action/current_package_list_with_resources",
        headers=world.headers("sysadmin"),
    )
    assert response.status_code == 200
    assert RESTRICTED_TITLE in json.dumps(response.json, ensure_ascii=False)
    (entry,) = new_entries()
    assert entry["event"] == "search"
    assert set(entry["dataset_ids"]) == {d["id"] for d in _sensitive(world)}


def test_reads_of_open_data_only_make_no_entry(app, world, new_entries):
    """Open data needs no identity (NĐ 47 Art. 17): an autocomplete of open names only."""
    response = app.get(
        "/api/3/action/package_autocomplete",
        query_string={"q": "nhat-ky-open"},
        headers=world.headers("outsider"),
    )
    assert response.status_code == 200
    assert new_entries() == []


# --- and each one fails closed ----------------------------------------------------------------


def _request(app, world, path: str) -> Any:
    """One M5 path, as the reader it serves; the world is prepared first."""
    if path in ("dataset_followee_list", "followee_list"):
        _follow_all(world, "consumer_member")
        return lambda: app.get(
            f"/api/3/action/{path}",
            query_string={"id": world.users["consumer_member"]["name"]},
            headers=world.headers("consumer_member"),
        )
    if path == "package_autocomplete":
        return lambda: app.get(
            "/api/3/action/package_autocomplete",
            query_string={"q": "nhat-ky"},
            headers=world.headers("consumer_member"),
        )
    harvested = _harvested(world)
    if path == "harvest_object_show":
        return lambda: app.get(
            "/api/3/action/harvest_object_show",
            query_string={"id": harvested["objects"]["restricted"]},
            headers=world.headers("sysadmin"),
        )
    if path == "harvest_object_list":
        return lambda: app.get(
            "/api/3/action/harvest_object_list",
            query_string={"source_id": harvested["source_id"]},
            headers=world.headers("sysadmin"),
        )
    return lambda: app.get(
        f"/harvest/object/{harvested['objects']['shared']}", headers=world.headers("sysadmin")
    )


@pytest.mark.parametrize("path", [*M5_ACTIONS, "/harvest/object/<id>"])
def test_each_m5_path_answers_503_without_data_when_the_log_cannot_be_written(
    app, world, pg_admin, new_entries, path
):
    """M5 (NĐ 47 Art. 45): with the log unwritable, nothing is served unlogged."""
    send = _request(app, world, path)
    start = len(new_entries())
    with log_unwritable(pg_admin):
        response = send()
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    assert response.headers["Retry-After"] == "60"
    _assert_no_data(response, world)
    assert new_entries()[start:] == []
