"""Listings that name datasets return only those the caller may read (M3, M5; QĐ 43 Art. 10).

member_list, format_autocomplete, package_autocomplete, the followee lists and counts, the
follower count and the activity items, over HTTP as every role, against the markers of
``leak_world`` (built once for the module).
"""

from __future__ import annotations

import json

import pytest
from ckan import model
from ckan.tests.helpers import _get_test_app

from ckanext.daknong.tests.leak_world import (
    LEVELS,
    MISSING_WORD,
    ROLES,
    build_world,
    leaked,
    markers_of,
)


@pytest.fixture(scope="module")
def world(module_clean_db):
    built = build_world()
    # Everyone follows every dataset (a follow made while a user could read it outlives access).
    for user in built.users.values():
        for dataset in built.datasets.values():
            model.Session.add(
                model.UserFollowingDataset(follower_id=user["id"], object_id=dataset["id"])
            )
    model.Session.commit()
    return built


@pytest.fixture(scope="module")
def client(world):
    return _get_test_app()


def _call(client, world, role, action, status=200, **params):
    return client.post(
        f"/api/3/action/{action}", json=params, headers=world.headers(role), status=status
    )


def _assert_filtered(world, body: str, role: str, what: str) -> None:
    for level in LEVELS:
        found = leaked(body, level) or [world.datasets[level]["id"]] * (
            world.datasets[level]["id"] in body
        )
        if role in world.readers(level):
            assert found, (what, role, level)
        else:
            assert not found, (what, role, level)


@pytest.mark.parametrize("capacity", [None, "organization", "public", "private"])
def test_member_list_lists_only_readable_datasets(client, world, capacity):
    """M3, QĐ 43 Art. 10: member_list gave every private dataset id of an agency to anyone
    (and C1's harvest objects were found by those ids); the capacity filter is no way round."""
    params = {"id": world.owner["name"], "object_type": "package"}
    if capacity:
        params["capacity"] = capacity
    for role in ROLES:
        rows = _call(client, world, role, "member_list", **params).json["result"]
        ids = {row[0] for row in rows}
        for level in LEVELS:
            if role not in world.readers(level):
                assert world.datasets[level]["id"] not in ids, (role, level, capacity)
        if capacity in (None, "organization"):
            for level in LEVELS:
                if role in world.readers(level):
                    assert world.datasets[level]["id"] in ids, (role, level)
    everything = _call(client, world, "anonymous", "member_list", id=world.owner["name"])
    assert world.datasets["restricted"]["id"] not in everything.body
    assert world.datasets["open"]["id"] in everything.body


def test_format_autocomplete_lists_only_formats_of_readable_datasets(client, world):
    """M3, QĐ 43 Art. 10: format_autocomplete listed the formats of private resources."""
    for role in ROLES:
        body = _call(client, world, role, "format_autocomplete", q="dinhdang", limit=10).body
        _assert_filtered(world, body, role, "format_autocomplete")
        assert markers_of("open")["format"] in body
        missing = _call(client, world, role, "format_autocomplete", q=MISSING_WORD).json
        assert missing["result"] == []


def test_format_autocomplete_outsider_answers_as_for_a_missing_format(client, world):
    """M3: an existing restricted format answers exactly as a format that exists nowhere."""
    secret = markers_of("restricted")["format"]
    for role in world.outsiders("restricted"):
        got = _call(client, world, role, "format_autocomplete", q=secret).json["result"]
        assert (
            got == _call(client, world, role, "format_autocomplete", q=MISSING_WORD).json["result"]
        )


def test_package_autocomplete_lists_only_readable_datasets(client, world):
    """M5, QĐ 43 Art. 10: package_autocomplete names only datasets the caller may read."""
    for role in ROLES:
        body = _call(client, world, role, "package_autocomplete", q="tenbimat", limit=20).body
        _assert_filtered(world, body, role, "package_autocomplete")


def test_followee_lists_and_counts_only_readable_datasets(client, world):
    """M5, QĐ 43 Art. 10: a user's followee lists and dataset count cover only datasets the
    caller may read now, whatever was followed before (upstream's followee_count counts no
    datasets at all)."""
    for role in ROLES[1:]:
        user_id = world.users[role]["id"]
        readable = 1 + sum(role in world.readers(level) for level in LEVELS)
        for action in ("dataset_followee_list", "followee_list"):
            body = _call(client, world, role, action, id=user_id).body
            _assert_filtered(world, body, role, action)
        count = _call(client, world, role, "dataset_followee_count", id=user_id).json
        assert count["result"] == readable, role
    # anonymous asks about another user's follows: counts only what anonymous may read
    owner_member = world.users["owner_member"]["id"]
    count = _call(client, world, "anonymous", "dataset_followee_count", id=owner_member).json
    assert count["result"] == 1


def test_follower_count_of_an_unreadable_dataset_answers_as_a_missing_one(client, world):
    """M3, QĐ 43 Art. 10 (Low: existing restricted names told from missing ones): the
    follower count and am_following answer an unreadable dataset as a missing one."""
    for level in LEVELS:
        name = world.datasets[level]["name"]
        for role in ROLES:
            got = _call(client, world, role, "dataset_follower_count", id=name, status=None)
            if role in world.readers(level):
                assert got.json["result"] == len(ROLES) - 1, (role, level)
                continue
            missing = _call(
                client, world, role, "dataset_follower_count", id=MISSING_WORD, status=None
            )
            assert (got.status_code, got.json["error"]) == (
                missing.status_code,
                missing.json["error"],
            ), (role, level)
        for role in world.outsiders(level):
            if role == "anonymous":
                continue
            got = _call(client, world, role, "am_following_dataset", id=name, status=None)
            missing = _call(
                client, world, role, "am_following_dataset", id=MISSING_WORD, status=None
            )
            assert got.status_code == missing.status_code == 409, (role, level)
            assert got.json["error"] == missing.json["error"]


def _activity_id(level: str, world) -> str:
    from ckanext.activity.model import Activity

    row = (
        model.Session.query(Activity.id)
        .filter(Activity.object_id == world.datasets[level]["id"])
        .first()
    )
    return row.id


def test_activity_show_without_include_data_does_not_fail(client, world):
    """Low finding, QĐ 43 Art. 10: activity_show without ``include_data`` was a 500; now
    readers get the activity and others a 403 that carries nothing of the dataset."""
    for level in LEVELS:
        activity_id = _activity_id(level, world)
        for role in ROLES:
            response = _call(client, world, role, "activity_show", id=activity_id, status=None)
            if role in world.readers(level):
                assert response.status_code == 200, (role, level)
            else:
                assert response.status_code == 403, (role, level, response.body)
                assert not leaked(response.body, level)


@pytest.mark.parametrize(
    "action",
    [
        "activity_show",
        "activity_data_show",
        "activity_diff",
        "package_activity_list",
        "organization_activity_list",
        "group_activity_list",
        "user_activity_list",
        "recently_changed_packages_activity_list",
        "dashboard_activity_list",
        "dashboard_new_activities_count",
    ],
)
def test_activity_actions_without_parameters_do_not_fail(client, world, action):
    """Low finding: no activity action answers a missing parameter with a server error."""
    for role in ("anonymous", "other_agency"):
        response = _call(client, world, role, action, status=None)
        assert response.status_code < 500, (action, role, response.body)
        for level in LEVELS:
            assert not leaked(json.dumps(response.json), level) or role in world.readers(level)
