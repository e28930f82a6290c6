"""Read actions the portal chains stay readable with GET, as CKAN documents them.

CKAN takes a chained action's ``side_effect_free`` flag from the outermost function only; a
chain without it turns a GET into "Please use POST".
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

READ_ACTIONS = {
    "group_autocomplete": {"q": "so"},
    "organization_autocomplete": {"q": "so"},
    "tag_list": {},
    "tag_autocomplete": {"q": "dat"},
    "tag_search": {"q": "dat"},
    "package_list": {},
    "package_search": {"q": "*:*"},
    "organization_list": {},
    "daknong_sharing_log_list": {},
}


@pytest.mark.parametrize(("action", "params"), sorted(READ_ACTIONS.items()))
def test_chained_read_actions_answer_get(app, action, params):
    response = app.get(f"/api/3/action/{action}", query_string=params)
    assert "POST" not in response.get_data(as_text=True)
    # the sharing log refuses anonymous readers, but with a 403, not "use POST"
    assert response.status_code == (403 if action == "daknong_sharing_log_list" else 200)


def test_package_show_and_organization_show_answer_get(app, agency):
    from ckanext.daknong.tests.factories import DaknongDataset

    dataset = DaknongDataset(owner_org=agency["id"])
    for action, identifier in (
        ("package_show", dataset["id"]),
        ("organization_show", agency["id"]),
    ):
        response = app.get(f"/api/3/action/{action}", query_string={"id": identifier})
        assert response.status_code == 200, response.get_data(as_text=True)


# Upstream reads these keys unchecked: a KeyError and a 500 (the policy matrix found them).
REQUIRED_KEYS = {
    "group_autocomplete": ["q"],
    "organization_autocomplete": ["q"],
    "group_member_create": ["id", "role", "username"],
    "organization_member_create": ["id", "role", "username"],
    "group_member_delete": ["id", "username"],
    "organization_member_delete": ["id", "username"],
    "user_invite": ["email", "group_id", "role"],
}


@pytest.mark.parametrize(("action", "keys"), sorted(REQUIRED_KEYS.items()))
def test_missing_required_keys_are_a_validation_error_not_a_500(app, action, keys):
    from ckan.tests import factories

    sysadmin = factories.SysadminWithToken()
    response = app.post(
        f"/api/3/action/{action}", json={}, headers={"Authorization": sysadmin["token"]}
    )

    assert response.status_code == 409, response.get_data(as_text=True)[-300:]
    error = response.json["error"]
    assert error["__type"] == "Validation Error"
    assert sorted(k for k in error if not k.startswith("__")) == keys
