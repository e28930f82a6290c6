"""Access levels on every path (QĐ 43 Art. 10–11; NĐ 47 Art. 17, 35).

One world per test: an owner agency with an open, a shared and a restricted dataset (each with
a tag, a link resource and unique marker words), and a user for every role. Each test takes
one path and checks every role × level pair: entitled users see the dataset's markers, all
others see none of them — no title, name, id, description, tag, resource name or URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong.model.access import AccessGrant
from ckanext.daknong.tests.factories import Agency, agency_member

LEVELS = ("open", "shared", "restricted")
ROLES = (
    "anonymous",
    "no_agency",
    "other_agency",
    "owner_member",
    "owner_editor",
    "owner_admin",
    "granted_active",
    "granted_expired",
    "province_approver",
    "sysadmin",
)

# Who may read each level (QĐ 43 Art. 10–11). A grant is read through the grant table, so an
# expired grant is the same as none.
ENTITLED = {
    "open": set(ROLES),
    "shared": set(ROLES) - {"anonymous", "no_agency"},
    "restricted": {"owner_member", "owner_editor", "owner_admin", "granted_active", "sysadmin"},
}
# Paths that list public data only, whoever asks (they read the raw ``private`` flag).
PUBLIC_ONLY = {"open": set(ROLES), "shared": set(), "restricted": set()}
SYSADMIN_AND_PUBLIC = {"open": set(ROLES), "shared": {"sysadmin"}, "restricted": {"sysadmin"}}
# Logged-in paths (dashboards): the entitled users who have an account.
LOGGED_IN = {level: roles - {"anonymous"} for level, roles in ENTITLED.items()}
# A user's own dashboard lists the datasets that user created: the sysadmin made them all.
CREATOR_ONLY = {level: {"sysadmin"} for level in LEVELS}


@dataclass
class World:
    datasets: dict[str, dict[str, Any]]
    tokens: dict[str, str | None]
    users: dict[str, dict[str, Any]]
    owner: dict[str, Any]
    markers: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens[role]
        return {"Authorization": token} if token else {}


def _grant(dataset_id: str, org_id: str, until: dt.datetime) -> None:
    model.Session.add(
        AccessGrant(
            dataset_id=dataset_id,
            org_id=org_id,
            valid_from=until - dt.timedelta(days=30),
            valid_until=until,
        )
    )
    model.Session.commit()


@pytest.fixture
def world(ckan_config, monkeypatch) -> World:
    owner = Agency(name="co-quan-chu-quan", title="Cơ quan chủ quản")
    other = Agency(name="co-quan-khac")
    granted = Agency(name="co-quan-duoc-cap-quyen")
    expired = Agency(name="co-quan-het-han")
    province = Agency(name="ubnd-tinh-thu-nghiem")
    monkeypatch.setitem(
        ckan_config, "ckanext.daknong.province_approver_organization", province["name"]
    )
    sysadmin = factories.SysadminWithToken()
    users = {
        "no_agency": factories.UserWithToken(),
        "other_agency": agency_member(other),
        "owner_member": agency_member(owner),
        "owner_editor": agency_member(owner, "editor"),
        "owner_admin": agency_member(owner, "admin"),
        "granted_active": agency_member(granted),
        "granted_expired": agency_member(expired),
        "province_approver": agency_member(province, "admin"),
        "sysadmin": sysadmin,
    }
    datasets, markers = {}, {}
    for level in LEVELS:
        word = f"dautieu{level}"
        dataset = call_action(
            "package_create",
            context={"user": sysadmin["name"]},
            name=f"du-lieu-{word}",
            title=f"Tiêu đề {word}",
            notes=f"Mô tả motachi{level}",
            owner_org=owner["id"],
            access_level=level,
            license_id="cc-by" if level == "open" else "other-closed",
            tags=[{"name": f"nhan{level}"}],
            resources=[{"name": f"tainguyen{level}", "url": f"https://example.org/tep{level}.csv"}],
        )
        datasets[level] = dataset
        markers[level] = {
            "id": dataset["id"],
            "name": f"du-lieu-{word}",
            "notes": f"motachi{level}",
            "tag": f"nhan{level}",
            "resource": f"tainguyen{level}",
            "url": f"tep{level}.csv",
        }
    now = dt.datetime.now(dt.timezone.utc)
    _grant(datasets["restricted"]["id"], granted["id"], now + dt.timedelta(days=30))
    _grant(datasets["restricted"]["id"], expired["id"], now - dt.timedelta(minutes=1))
    tokens: dict[str, str | None] = {"anonymous": None}
    tokens.update({role: user["token"] for role, user in users.items()})
    return World(datasets=datasets, tokens=tokens, users=users, owner=owner, markers=markers)


def _check(
    world: World,
    fetch: Callable[[str, str], str],
    entitled: dict[str, set[str]] = ENTITLED,
    shown: str = "name",
    supplied: str | tuple[str, ...] | None = None,
) -> None:
    """For every role and level, the dataset's markers appear exactly when the role is entitled.

    ``shown`` is the marker an entitled user must find; ``supplied`` is the identifier (or
    identifiers) the request itself carries (a URL holding a name), which a refusal may echo
    without leaking.
    """
    echoed = {supplied} if isinstance(supplied, str) else set(supplied or ())
    failures = []
    for role in ROLES:
        for level in LEVELS:
            body = fetch(role, level)
            markers = world.markers[level]
            if role in entitled[level]:
                if markers[shown] not in body:
                    failures.append(f"{role} cannot see {level} data")
                continue
            present = [v for k, v in markers.items() if k not in echoed and v in body]
            if present:
                failures.append(f"{role} sees {level} data: {present}")
    assert not failures, "\n".join(failures)


def _check_listing(
    world: World,
    fetch: Callable[[str], str],
    entitled: dict[str, set[str]] = ENTITLED,
    shown: str = "name",
) -> None:
    """A listing fetched once per role; then every level is checked in that one body."""
    bodies = {role: fetch(role) for role in ROLES}
    _check(world, lambda role, level: bodies[role], entitled, shown)


def _api(app, world: World, role: str, action: str, **params: Any) -> str:
    response = app.post(f"/api/3/action/{action}", json=params, headers=world.headers(role))
    assert response.status_code in (200, 403, 404), (action, role, response.status_code)
    return response.get_data(as_text=True)


pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


class TestDatasetPaths:
    def test_package_show(self, app, world):
        _check(
            world, lambda r, lv: _api(app, world, r, "package_show", id=world.datasets[lv]["id"])
        )

    def test_dataset_page(self, app, world):
        def fetch(role: str, level: str) -> str:
            name = world.datasets[level]["name"]
            return app.get(f"/dataset/{name}", headers=world.headers(role)).get_data(as_text=True)

        _check(world, fetch, shown="notes", supplied="name")

    def test_resource_show_and_page(self, app, world):
        def fetch(role: str, level: str) -> str:
            dataset = world.datasets[level]
            res_id = dataset["resources"][0]["id"]
            api = _api(app, world, role, "resource_show", id=res_id)
            page = app.get(
                f"/dataset/{dataset['id']}/resource/{res_id}", headers=world.headers(role)
            ).get_data(as_text=True)
            return api + page

        _check(world, fetch, shown="resource", supplied="id")

    def test_link_resource_download_redirect(self, app, world):
        def fetch(role: str, level: str) -> str:
            dataset = world.datasets[level]
            res_id = dataset["resources"][0]["id"]
            response = app.get(
                f"/dataset/{dataset['id']}/resource/{res_id}/download",
                headers=world.headers(role),
                follow_redirects=False,
            )
            return response.headers.get("Location", "") + response.get_data(as_text=True)

        _check(world, fetch, shown="url", supplied="id")

    def test_resource_view_list(self, app, world):
        def fetch(role: str, level: str) -> str:
            res_id = world.datasets[level]["resources"][0]["id"]
            body = _api(app, world, role, "resource_view_list", id=res_id)
            # view lists carry no dataset text: entitlement shows as success
            return world.markers[level]["name"] if '"success": true' in body else body

        _check(world, fetch)

    def test_activity_stream(self, app, world):
        def fetch(role: str, level: str) -> str:
            dataset_id = world.datasets[level]["id"]
            return _api(app, world, role, "package_activity_list", id=dataset_id)

        _check(world, fetch, supplied="id")


class TestListings:
    def test_package_search_with_include_private(self, app, world):
        _check_listing(
            world,
            lambda r: _api(app, world, r, "package_search", q="*:*", include_private=True),
        )

    def test_package_search_without_include_private_lists_open_data_only(self, app, world):
        _check_listing(world, lambda r: _api(app, world, r, "package_search", q="*:*"), PUBLIC_ONLY)

    def test_package_search_fq_on_access_level(self, app, world):
        def fetch(role: str) -> str:
            return "".join(
                _api(
                    app,
                    world,
                    role,
                    "package_search",
                    fq=f"access_level:{lv}",
                    include_private=True,
                )
                for lv in LEVELS
            )

        _check_listing(world, fetch)

    def test_web_search_page(self, app, world):
        _check_listing(
            world,
            lambda r: app.get("/dataset/", headers=world.headers(r)).get_data(as_text=True),
        )

    def test_package_list_and_current_package_list(self, app, world):
        def fetch(role: str) -> str:
            return _api(app, world, role, "package_list")

        _check_listing(world, fetch, PUBLIC_ONLY)

    def test_current_package_list_with_resources(self, app, world):
        def fetch(role: str) -> str:
            return _api(app, world, role, "current_package_list_with_resources")

        # Upstream lists private datasets to sysadmins only; everyone else gets open data.
        _check_listing(world, fetch, SYSADMIN_AND_PUBLIC)

    def test_package_autocomplete(self, app, world):
        def fetch(role: str) -> str:
            return _api(app, world, role, "package_autocomplete", q="du-lieu")

        # autocomplete returns name and title only: the name marker is what is checked
        _check_listing(world, fetch)

    def test_resource_search_lists_open_data_only(self, app, world):
        def fetch(role: str) -> str:
            return _api(app, world, role, "resource_search", query="name:tainguyen")

        _check_listing(world, fetch, PUBLIC_ONLY, shown="resource")

    def test_tag_list_autocomplete_and_search(self, app, world):
        def fetch(role: str) -> str:
            return (
                _api(app, world, role, "tag_list")
                + _api(app, world, role, "tag_autocomplete", q="nhan")
                + _api(app, world, role, "tag_search", q="nhan")
            )

        _check_listing(world, fetch, shown="tag")

    def test_tag_show(self, app, world):
        def fetch(role: str, level: str) -> str:
            return _api(app, world, role, "tag_show", id=f"nhan{level}", include_datasets=True)

        _check(world, fetch, shown="name", supplied="tag")

    def test_feeds_list_open_data_only(self, app, world):
        _check_listing(
            world,
            lambda r: app.get("/feeds/dataset.atom", headers=world.headers(r)).get_data(
                as_text=True
            ),
            PUBLIC_ONLY,
        )

    def test_organization_page_and_show(self, app, world):
        def fetch(role: str) -> str:
            page = app.get(
                f"/organization/{world.owner['name']}", headers=world.headers(role)
            ).get_data(as_text=True)
            return page + _api(
                app, world, role, "organization_show", id=world.owner["id"], include_datasets=True
            )

        _check_listing(world, fetch)

    def test_organization_dataset_count_matches_entitlement(self, app, world):
        for role in ROLES:
            body = app.post(
                "/api/3/action/organization_show",
                json={"id": world.owner["id"]},
                headers=world.headers(role),
            ).json
            visible = sum(role in ENTITLED[lv] for lv in LEVELS)
            assert body["result"]["package_count"] == visible, role

    def test_user_show_with_datasets_of_the_creator(self, app, world):
        creator = world.users["sysadmin"]["name"]
        _check_listing(
            world,
            lambda r: _api(app, world, r, "user_show", id=creator, include_datasets=True),
            # Upstream: other people's user pages list public datasets only.
            SYSADMIN_AND_PUBLIC,
        )

    def test_dcat_catalogue_lists_open_data_only(self, app, world):
        _check_listing(
            world,
            lambda r: app.get("/catalog.ttl", headers=world.headers(r)).get_data(as_text=True),
            PUBLIC_ONLY,
            shown="id",
        )

    def test_dcat_dataset_documents(self, app, world):
        def fetch(role: str, level: str) -> str:
            name = world.datasets[level]["name"]
            return app.get(f"/dataset/{name}.ttl", headers=world.headers(role)).get_data(
                as_text=True
            )

        _check(world, fetch, shown="id", supplied="name")


class TestWritePaths:
    def test_private_follows_access_level_whatever_the_client_sends(self, world):
        """QĐ 43 Art. 10–11: only open data is public, on create, update and patch."""
        sysadmin = world.users["sysadmin"]["name"]
        created = call_action(
            "package_create",
            context={"user": sysadmin},
            name="du-lieu-gui-private-sai",
            notes="Dữ liệu kiểm tra.",
            owner_org=world.owner["id"],
            access_level="shared",
            private=False,
        )
        patched = call_action(
            "package_patch",
            context={"user": sysadmin},
            id=created["id"],
            private=False,
        )
        opened = call_action(
            "package_patch",
            context={"user": sysadmin},
            id=created["id"],
            access_level="open",
            license_id="cc-by",
            private=True,
        )

        assert created["private"] is True
        assert patched["private"] is True
        assert opened["private"] is False

    def test_bulk_make_public_refuses_non_open_datasets(self, world):
        from ckan.logic import ValidationError

        with pytest.raises(ValidationError) as error:
            call_action(
                "bulk_update_public",
                context={"user": world.users["sysadmin"]["name"]},
                datasets=[world.datasets["restricted"]["id"]],
                org_id=world.owner["id"],
            )

        assert world.datasets["restricted"]["name"] in str(error.value.error_dict)
        assert model.Package.get(world.datasets["restricted"]["id"]).private is True

    def test_editing_stays_with_the_owner_agency(self, app, world):
        """A grant gives read access, never edit rights."""
        for role in ("granted_active", "other_agency", "province_approver", "owner_member"):
            response = app.post(
                "/api/3/action/package_patch",
                json={"id": world.datasets["restricted"]["id"], "notes": "sửa trái phép"},
                headers=world.headers(role),
            )
            assert response.status_code == 403, role


HARVEST_MARKERS = {
    "name": "nguon-thu-hoach-kin",
    "title": "tieudenguonkin",
    "url": "duongdannguonkin",
    "config": "khoacauhinhkin",
}


@pytest.fixture
def harvest_source(world) -> dict[str, str]:
    """A real CKAN harvest source of the owner agency, made by a sysadmin; returns its markers.

    Its config carries a marker: nobody but sysadmins may see any of it.
    """
    source = call_action(
        "harvest_source_create",
        context={"user": world.users["sysadmin"]["name"]},
        name=HARVEST_MARKERS["name"],
        title=f"Nguồn {HARVEST_MARKERS['title']}",
        url=f"http://127.0.0.1:1/{HARVEST_MARKERS['url']}/",
        source_type="daknong_ckan",
        frequency="MANUAL",
        owner_org=world.owner["id"],
        config=json.dumps({"default_extras": {"nguon": HARVEST_MARKERS["config"]}}),
    )
    assert HARVEST_MARKERS["config"] in source["config"]
    return {**HARVEST_MARKERS, "id": source["id"]}


def _check_harvest(
    world: World,
    markers: dict[str, str],
    fetch: Callable[[str], str],
    shown: str | None = "name",
    supplied: tuple[str, ...] = (),
) -> None:
    """Sysadmins find ``shown``; every other role finds no marker of the source."""
    failures = []
    for role in ROLES:
        body = fetch(role)
        if role == "sysadmin":
            if shown and markers[shown] not in body:
                failures.append(f"sysadmin cannot see the harvest source's {shown}")
            continue
        present = [v for k, v in markers.items() if k not in supplied and v in body]
        if present:
            failures.append(f"{role} sees the harvest source: {present}")
    assert not failures, "\n".join(failures)


class TestHarvestSources:
    def test_harvest_source_list_is_for_sysadmins_only(self, app, world):
        for role in ROLES:
            response = app.post(
                "/api/3/action/harvest_source_list", json={}, headers=world.headers(role)
            )
            expected = 200 if role == "sysadmin" else 403
            assert response.status_code == expected, role

    def test_harvest_source_list_content(self, app, world, harvest_source):
        _check_harvest(
            world,
            harvest_source,
            lambda r: _api(app, world, r, "harvest_source_list", return_last_job_status=True),
            shown="config",
        )

    def test_harvest_source_show_by_id_and_name(self, app, world, harvest_source):
        def fetch(role: str) -> str:
            return _api(app, world, role, "harvest_source_show", id=harvest_source["id"]) + _api(
                app, world, role, "harvest_source_show", id=harvest_source["name"]
            )

        _check_harvest(world, harvest_source, fetch, shown="config", supplied=("id", "name"))

    def test_harvest_source_show_by_url(self, app, world, harvest_source):
        url = f"http://127.0.0.1:1/{harvest_source['url']}/"
        _check_harvest(
            world,
            harvest_source,
            lambda r: _api(app, world, r, "harvest_source_show", url=url),
            shown="config",
            supplied=("url",),
        )

    def test_harvest_source_status_and_jobs(self, app, world, harvest_source):
        def fetch(role: str) -> str:
            return _api(
                app, world, role, "harvest_source_show_status", id=harvest_source["id"]
            ) + _api(app, world, role, "harvest_job_list", source_id=harvest_source["id"])

        # status and job lists hold no source text: only that nothing leaks is checked
        _check_harvest(world, harvest_source, fetch, shown=None, supplied=("id",))

    def test_harvest_source_through_dataset_actions(self, app, world, harvest_source):
        """Harvest sources are datasets of type ``harvest``: the dataset actions hide them too."""

        def fetch(role: str) -> str:
            return (
                _api(app, world, role, "package_show", id=harvest_source["id"])
                + _api(
                    app,
                    world,
                    role,
                    "package_search",
                    q="*:*",
                    fq="dataset_type:harvest",
                    include_private=True,
                )
                + _api(app, world, role, "package_search", q=harvest_source["title"])
                + _api(app, world, role, "package_autocomplete", q="nguon-thu-hoach")
                + _api(app, world, role, "current_package_list_with_resources")
                + _api(
                    app,
                    world,
                    role,
                    "organization_show",
                    id=world.owner["id"],
                    include_datasets=True,
                )
            )

        _check_harvest(world, harvest_source, fetch, shown="config", supplied=("id",))

    @pytest.mark.parametrize("path", ["package_list", "/catalog.ttl", "/feeds/dataset.atom"])
    def test_harvest_source_not_in_public_listings(self, app, world, harvest_source, path):
        """These read the raw ``private`` column or list public data: sysadmins need not find
        the source there, and nobody else may."""

        def fetch(role: str) -> str:
            if not path.startswith("/"):
                return _api(app, world, role, path)
            return app.get(path, headers=world.headers(role)).get_data(as_text=True)

        _check_harvest(world, harvest_source, fetch, shown=None)

    def test_harvest_pages(self, app, world, harvest_source):
        name = harvest_source["name"]

        def fetch(role: str) -> str:
            bodies = []
            for url in ("/harvest/", f"/harvest/{name}", f"/harvest/about/{name}"):
                response = app.get(url, headers=world.headers(role), follow_redirects=False)
                bodies.append(response.headers.get("Location", ""))
                bodies.append(response.get_data(as_text=True))
            return "".join(bodies)

        _check_harvest(world, harvest_source, fetch, shown="title", supplied=("name",))

    def test_owner_agency_cannot_read_the_source_through_updates(self, app, world, harvest_source):
        """The agency's editors may not use a no-op update to read the source's config."""
        failures = []
        for role in ("owner_editor", "owner_admin"):
            for action in ("package_patch", "harvest_source_patch"):
                response = app.post(
                    f"/api/3/action/{action}",
                    json={"id": harvest_source["id"]},
                    headers=world.headers(role),
                )
                body = response.get_data(as_text=True)
                leaked = [v for k, v in harvest_source.items() if k != "id" and v in body]
                if leaked:
                    failures.append(f"{action} by {role} ({response.status_code}) leaks {leaked}")
        assert not failures, "\n".join(failures)


class TestGrantTiming:
    def test_grant_takes_effect_at_once_and_ends_at_its_end(self, app, world):
        """No reindex: the user side of the labels reads the grant table at every request."""
        restricted = world.datasets["restricted"]
        other = world.users["other_agency"]
        org_id = next(
            m.group_id
            for m in model.Session.query(model.Member).filter_by(
                table_id=other["id"], state="active"
            )
        )

        def sees() -> bool:
            body = _api(app, world, "other_agency", "package_search", q="*:*", include_private=True)
            return restricted["name"] in body

        assert not sees()
        _grant(restricted["id"], org_id, dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
        assert sees()
        grant = model.Session.query(AccessGrant).filter_by(org_id=org_id).one()
        grant.valid_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        model.Session.commit()
        assert not sees()


# --- uploaded files -----------------------------------------------------------------------------


@pytest.fixture
def uploads(world, create_with_upload) -> dict[str, dict[str, Any]]:
    """An uploaded file on every dataset (``ckan.storage_path`` is a tmp dir), unique per level."""
    resources = {}
    for level in LEVELS:
        filename = f"tailen{level}.csv"
        resources[level] = create_with_upload(
            f"cot,giatri\nnoidungbimat{level},1\n",
            filename,
            context={"user": world.users["sysadmin"]["name"]},
            package_id=world.datasets[level]["id"],
            name=f"tepdinhkem{level}",
            url=filename,
        )
        world.markers[level].update(
            {
                "upload": f"tepdinhkem{level}",
                "filename": filename,
                "content": f"noidungbimat{level}",
            }
        )
    return resources


class TestUploadedFiles:
    def test_uploaded_file_download(self, app, world, uploads):
        """The bytes reach entitled users only, whichever download URL is used."""

        def fetch(role: str, level: str) -> str:
            dataset_id = world.datasets[level]["id"]
            res_id = uploads[level]["id"]
            filename = world.markers[level]["filename"]
            urls = (
                f"/dataset/{dataset_id}/resource/{res_id}/download",
                f"/dataset/{dataset_id}/resource/{res_id}/download/{filename}",
                # the resource under another (open) dataset's URL must not bypass its own check
                f"/dataset/{world.datasets['open']['id']}/resource/{res_id}/download/{filename}",
            )
            bodies = []
            for url in urls:
                response = app.get(url, headers=world.headers(role), follow_redirects=False)
                bodies.append(response.headers.get("Location", ""))
                bodies.append(response.get_data(as_text=True))
            return "".join(bodies)

        _check(world, fetch, shown="content", supplied=("id", "filename"))

    def test_uploaded_resource_show_and_page(self, app, world, uploads):
        def fetch(role: str, level: str) -> str:
            dataset_id = world.datasets[level]["id"]
            res_id = uploads[level]["id"]
            api = _api(app, world, role, "resource_show", id=res_id)
            page = app.get(
                f"/dataset/{dataset_id}/resource/{res_id}", headers=world.headers(role)
            ).get_data(as_text=True)
            return api + page

        _check(world, fetch, shown="upload", supplied="id")

    def test_uploaded_resources_in_package_show(self, app, world, uploads):
        _check(
            world,
            lambda r, lv: _api(app, world, r, "package_show", id=world.datasets[lv]["id"]),
            shown="filename",
            supplied="id",
        )


# --- dashboards, user pages and activity streams ------------------------------------------------


@pytest.fixture
def followers(world) -> World:
    """Every account follows the owner agency, the datasets' creator and the three datasets.

    Following needs no read right, so outsiders' news feeds are where a leak would show.
    """
    creator = world.users["sysadmin"]["name"]
    for role, user in world.users.items():
        context = {"user": user["name"]}
        call_action("follow_group", context=dict(context), id=world.owner["id"])
        if role != "sysadmin":
            call_action("follow_user", context=dict(context), id=creator)
        for dataset in world.datasets.values():
            # refusing to follow what one cannot read is fine too
            with contextlib.suppress(tk.NotAuthorized, tk.ValidationError):
                call_action("follow_dataset", context=dict(context), id=dataset["id"])
    return world


class TestDashboardsAndActivity:
    def test_dashboard_news_feed(self, app, followers):
        world = followers

        def fetch(role: str) -> str:
            api = _api(app, world, role, "dashboard_activity_list")
            page = app.get("/dashboard/", headers=world.headers(role), follow_redirects=False)
            return api + page.headers.get("Location", "") + page.get_data(as_text=True)

        _check_listing(world, fetch, LOGGED_IN)

    def test_followee_lists(self, app, followers):
        world = followers

        def fetch(role: str) -> str:
            if role == "anonymous":
                return ""
            user_id = world.users[role]["id"]
            return _api(app, world, role, "followee_list", id=user_id) + _api(
                app, world, role, "dataset_followee_list", id=user_id
            )

        _check_listing(world, fetch, LOGGED_IN)

    def test_dashboard_datasets(self, app, world):
        def fetch(role: str) -> str:
            page = app.get(
                "/dashboard/datasets", headers=world.headers(role), follow_redirects=False
            )
            return page.headers.get("Location", "") + page.get_data(as_text=True)

        _check_listing(world, fetch, CREATOR_ONLY)

    def test_user_page_of_the_creator(self, app, world):
        creator = world.users["sysadmin"]["name"]
        _check_listing(
            world,
            lambda r: app.get(f"/user/{creator}", headers=world.headers(r)).get_data(as_text=True),
            # as user_show: other people's pages list public datasets only
            SYSADMIN_AND_PUBLIC,
        )

    def test_user_activity_of_the_creator(self, app, world):
        creator = world.users["sysadmin"]["name"]

        def fetch(role: str) -> str:
            page = app.get(f"/user/activity/{creator}", headers=world.headers(role))
            return page.get_data(as_text=True) + _api(
                app, world, role, "user_activity_list", id=creator
            )

        _check_listing(world, fetch)

    def test_organization_activity(self, app, world):
        def fetch(role: str) -> str:
            page = app.get(
                f"/organization/activity/{world.owner['name']}", headers=world.headers(role)
            )
            return page.get_data(as_text=True) + _api(
                app, world, role, "organization_activity_list", id=world.owner["id"]
            )

        # Upstream: an organisation's activity stream shows its public datasets only.
        _check_listing(world, fetch, PUBLIC_ONLY)

    def test_recently_changed_packages_activity(self, app, world):
        _check_listing(
            world, lambda r: _api(app, world, r, "recently_changed_packages_activity_list")
        )


# --- organisation listings ----------------------------------------------------------------------


class TestOrganizationList:
    def test_organization_list_counts_only_readable_datasets(self, app, world):
        """``all_fields`` + ``include_dataset_count``: a count must not reveal unseen datasets."""
        failures = []
        for role in ROLES:
            body = app.post(
                "/api/3/action/organization_list",
                json={"all_fields": True, "include_dataset_count": True},
                headers=world.headers(role),
            ).json
            counts = {org["name"]: org.get("package_count") for org in body["result"]}
            visible = sum(role in ENTITLED[lv] for lv in LEVELS)
            if counts.get(world.owner["name"]) != visible:
                failures.append(f"{role}: {counts.get(world.owner['name'])} != {visible}")
        assert not failures, "\n".join(failures)

    def test_organization_list_for_user_counts(self, app, world):
        """Only members list the agency here, and they read all of its datasets."""
        for role in ROLES:
            if role == "anonymous":
                continue
            body = app.post(
                "/api/3/action/organization_list_for_user",
                json={"permission": "read", "include_dataset_count": True},
                headers=world.headers(role),
            ).json
            counts = {org["name"]: org.get("package_count") for org in body["result"]}
            if world.owner["name"] in counts:
                visible = sum(role in ENTITLED[lv] for lv in LEVELS)
                assert counts[world.owner["name"]] == visible, role

    def test_organization_list_names_no_datasets(self, app, world):
        def fetch(role: str) -> str:
            return _api(
                app,
                world,
                role,
                "organization_list",
                all_fields=True,
                include_dataset_count=True,
                include_extras=True,
            )

        _check_listing(world, fetch, {lv: set() for lv in LEVELS})


# --- error responses ----------------------------------------------------------------------------


class TestErrorResponses:
    def test_refusals_by_name_reveal_nothing_but_the_name(self, app, world):
        """A 403/404 to a non-entitled caller echoes only what was typed: no title, notes, id."""
        failures = []
        for level in LEVELS:
            dataset = world.datasets[level]
            name = dataset["name"]
            res_id = dataset["resources"][0]["id"]
            word = f"dautieu{level}"  # in the title and the name; the name is removed below
            forbidden = {k: v for k, v in world.markers[level].items() if k != "name"}
            for role in ROLES:
                if role in ENTITLED[level]:
                    continue
                headers = world.headers(role)
                responses = {
                    "package_show": app.post(
                        "/api/3/action/package_show", json={"id": name}, headers=headers
                    ),
                    "resource_show": app.post(
                        "/api/3/action/resource_show", json={"id": res_id}, headers=headers
                    ),
                    "dataset page": app.get(
                        f"/dataset/{name}", headers=headers, follow_redirects=False
                    ),
                    "resource page": app.get(
                        f"/dataset/{name}/resource/{res_id}",
                        headers=headers,
                        follow_redirects=False,
                    ),
                    "download": app.get(
                        f"/dataset/{name}/resource/{res_id}/download",
                        headers=headers,
                        follow_redirects=False,
                    ),
                    "dcat document": app.get(
                        f"/dataset/{name}.ttl", headers=headers, follow_redirects=False
                    ),
                }
                for path, response in responses.items():
                    location = response.headers.get("Location", "")
                    if response.status_code not in (403, 404) and not (
                        response.status_code in (302, 303) and "/user/login" in location
                    ):
                        failures.append(f"{path}, {role}, {level}: {response.status_code}")
                    body = (location + response.get_data(as_text=True)).replace(name, "")
                    leaked = [v for v in (word, *forbidden.values()) if v in body]
                    if leaked:
                        failures.append(f"{path}, {role}, {level} leaks {leaked}")
        assert not failures, "\n".join(failures)
