"""The action policy (data/action_policy.yaml): complete, true, and enforced over HTTP.

Issue 10, design change 1 (deny by default; QĐ 43 Art. 10 and 12.3, NĐ 47 Art. 45): every
action and every web endpoint registered with the suite's plugins (test.ini, plus the DataStore
with SQL search) has a policy; each policy's gate holds for anonymous callers, users in no
agency, agency members and sysadmins, through the real app with API tokens.
"""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from ckan import logic
from ckan.tests import factories

from ckanext.daknong import policy
from ckanext.daknong.tests.factories import Agency, agency_member


def _plugins_with_datastore() -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(Path(__file__).resolve().parents[4] / "test.ini", encoding="utf-8")
    return f"{parser['app:main']['ckan.plugins']} datastore"


pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", _plugins_with_datastore()),
    pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", "true"),
    pytest.mark.usefixtures("with_plugins"),
]

ROLES = ("anonymous", "outsider", "member", "sysadmin")
# The roles each gate refuses.
BELOW = {
    "logged_in": {"anonymous"},
    "agency_user": {"anonymous", "outsider"},
    "sysadmin": {"anonymous", "outsider", "member"},
    "disabled": set(ROLES),
}


def _registered_actions() -> set[str]:
    logic.get_action("package_show")
    return set(logic._actions)


def test_every_registered_action_has_a_policy_from_the_vocabulary():
    """A plugin upgrade that adds an action fails here, naming it (classify it in the table)."""
    missing = sorted(_registered_actions() - set(policy.table()["actions"]))
    assert not missing, f"actions without a policy in data/action_policy.yaml: {missing}"
    wrong = {
        name: entry
        for name, entry in policy.table()["actions"].items()
        if entry.get("policy") not in policy.ACTION_POLICIES
        or entry.get("content") not in (None, "dataset")
    }
    assert not wrong


def test_every_action_entry_names_a_registered_action():
    stale = sorted(set(policy.table()["actions"]) - _registered_actions())
    assert not stale, f"table entries that name no registered action: {stale}"


def test_every_endpoint_has_a_route_policy_and_every_route_entry_is_registered(app):
    endpoints = {rule.endpoint for rule in app.flask_app.url_map.iter_rules()}
    routes = policy.table()["routes"]
    assert not sorted(endpoints - set(routes)), "endpoints without a policy"
    assert not sorted(set(routes) - endpoints), "route entries that name no endpoint"
    assert all(entry.get("policy") in policy.ROUTE_POLICIES for entry in routes.values())


def test_content_marks_cover_the_c1_paths_and_dataset_reads():
    """M5: the sharing log marks these reads (it takes the set from the table)."""
    assert {
        "package_show",
        "resource_show",
        "package_search",
        "package_autocomplete",
        "dataset_followee_list",
        "followee_list",
        "harvest_object_show",
        "harvest_object_list",
        "datastore_search",
        "datastore_search_sql",
        "activity_show",
    } <= policy.content_actions()
    assert "harvester.object_show" in policy.content_routes()


@pytest.fixture
def people(clean_db):
    org = Agency()
    sysadmin = factories.SysadminWithToken()
    return {
        "org": org,
        "anonymous": {},
        "outsider": {"Authorization": factories.UserWithToken()["token"]},
        "member": {"Authorization": agency_member(org)["token"]},
        "sysadmin": {"Authorization": sysadmin["token"]},
    }


@pytest.mark.parametrize("gate", sorted(BELOW))
def test_each_gate_refuses_the_roles_below_it_for_every_action_of_its_policy(app, people, gate):
    """Every action of the policy answers 403 (never 200, 404, 409 or 500) below the gate.

    Covers C1/C2 (harvest_* are sysadmin), Low (user_list not public; the mail helpers of
    ckanext-harvest refused to everyone, also to sysadmins).
    """
    names = sorted(n for n in _registered_actions() if policy.policy_of(n) == gate)
    assert names
    failures = []
    for name in names:
        for role in BELOW[gate]:
            response = app.post(f"/api/3/action/{name}", json={}, headers=people[role])
            if response.status_code != 403:
                failures.append((name, role, response.status_code))
    assert not failures


def test_gates_let_the_roles_at_or_above_them_pass():
    """Unit check of the gate itself: who passes which policy (sysadmins all but disabled)."""
    from ckan import model

    org = Agency()
    member = model.User.get(agency_member(org)["name"])
    outsider = model.User.get(factories.User()["name"])
    admin = model.User.get(factories.Sysadmin()["name"])
    for open_policy in policy.OPEN_POLICIES:
        assert policy.refusal(open_policy, None) is None
    assert policy.refusal("logged_in", outsider) is None
    assert policy.refusal("agency_user", outsider)
    assert policy.refusal("agency_user", member) is None
    assert policy.refusal("sysadmin", member)
    assert policy.refusal("sysadmin", admin) is None
    assert policy.refusal("disabled", admin)
    assert policy.refusal(None, admin), "an action without a policy is refused (fail closed)"
    assert policy.refusal("typo", admin)


def test_disabled_refuses_sysadmins_through_check_access_too(people):
    """Low: ckanext-harvest's mail helpers were public actions with no auth."""
    import ckan.plugins.toolkit as tk

    sysadmin = factories.Sysadmin()
    for name in ("send_mail", "get_site_user", "prepare_summary_mail"):
        with pytest.raises(tk.NotAuthorized):
            tk.check_access(name, {"user": sysadmin["name"]}, {})


def test_open_actions_reach_anonymous_callers(app, people):
    response = app.post("/api/3/action/status_show", json={})
    assert response.status_code == 200
    response = app.post("/api/3/action/package_search", json={"q": "*:*"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/harvest/object/{id}", "/dataset/harvest_object/{id}", "/harvest/{id}"]
)
def test_c1_harvest_routes_refuse_anonymous_and_agency_users(app, people, path):
    """C1 (QĐ 43 Art. 10): the harvested record of shared and restricted datasets was served
    to anonymous users at these routes; now only sysadmins reach them."""
    target = path.format(id="a" * 36)
    for role in ("outsider", "member"):
        assert app.get(target, headers=people[role]).status_code == 403
    # anonymous visitors are sent to log in, never shown the page
    anonymous = app.get(target, headers=people["anonymous"], follow_redirects=False)
    assert anonymous.status_code == 302
    assert "/user/login" in anonymous.headers["Location"]
    assert app.get(target, headers=people["sysadmin"]).status_code != 403


def test_c1_harvest_object_actions_refuse_agency_users(app, people):
    """C1: harvest_object_show / harvest_object_list answered anonymous callers."""
    for name in ("harvest_object_show", "harvest_object_list"):
        for role in ("anonymous", "outsider", "member"):
            response = app.get(
                f"/api/3/action/{name}", query_string={"id": "x"}, headers=people[role]
            )
            assert response.status_code == 403, (name, role)


def test_user_list_is_for_agency_staff(app, people):
    """Low finding: user_list was public (names of every official)."""
    assert app.get("/api/3/action/user_list", headers=people["anonymous"]).status_code == 403
    assert app.get("/api/3/action/user_list", headers=people["outsider"]).status_code == 403
    assert app.get("/api/3/action/user_list", headers=people["member"]).status_code == 200
    assert app.get("/user/", headers=people["outsider"]).status_code == 403
