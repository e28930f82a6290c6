"""Read actions the portal chains stay readable with GET, as CKAN documents them.

CKAN takes a chained action's ``side_effect_free`` flag from the outermost function only; a
chain without it turns a GET into "Please use POST".
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

READ_ACTIONS = {
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
