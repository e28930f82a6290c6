"""`ckan daknong demo load`: databases, datasets of every access level, linked together."""

from __future__ import annotations

import json
from pathlib import Path

import ckan.cli.cli
import pytest
from ckan.tests.helpers import call_action

from ckanext.daknong import resources


def _run(cli, *args: str):
    return cli.invoke(ckan.cli.cli.ckan, ["daknong", *args])


@pytest.fixture
def demo_loaded(cli, tmp_path: Path) -> Path:
    accounts = tmp_path / "accounts.json"
    assert _run(cli, "agencies", "load").exit_code == 0
    result = _run(cli, "demo", "load", "--no-corpus", "--accounts-file", str(accounts))
    assert result.exit_code == 0, result.output
    return accounts


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestDemoLoad:
    def test_databases_are_loaded_as_public_catalogue_entries(self, demo_loaded):
        spec = resources.load_yaml("seed/demo.yaml")

        for record in spec["databases"]:
            database = call_action("package_show", id=record["name"])
            assert database["type"] == "database"
            assert database["private"] is False
            assert database["data_items"] and database["sharing_services"]

    def test_datasets_cover_all_three_access_levels_and_link_their_database(self, demo_loaded):
        spec = resources.load_yaml("seed/demo.yaml")

        datasets = [call_action("package_show", id=r["name"]) for r in spec["datasets"]]

        assert {d["access_level"] for d in datasets} == {"open", "shared", "restricted"}
        assert all(d["private"] == (d["access_level"] != "open") for d in datasets)
        for dataset in datasets:
            database = call_action("package_show", id=dataset["database"])
            assert database["owner_org"] == dataset["owner_org"]

    def test_datasets_get_the_agencys_focal_point_as_contact(self, demo_loaded):
        dataset = call_action("package_show", id="danh-sach-co-so-kham-chua-benh")
        agency = call_action("organization_show", id="so-y-te")

        assert dataset["contact_email"] == agency["provider_focal_email"]

    def test_loading_twice_updates_in_place(self, cli, demo_loaded):
        before = call_action("package_search", q="*:*", include_private=True, rows=0)["count"]

        result = _run(cli, "demo", "load", "--no-corpus", "--accounts-file", str(demo_loaded))

        assert result.exit_code == 0, result.output
        assert "3 databases and 6 datasets loaded" in result.output
        after = call_action("package_search", q="*:*", include_private=True, rows=0)["count"]
        assert after == before

    def test_accounts_file_is_written_for_the_owner_only(self, demo_loaded):
        accounts = json.loads(demo_loaded.read_text(encoding="utf-8"))

        assert accounts["sysadmin"]["name"] == "daknong-admin"
        assert demo_loaded.stat().st_mode & 0o077 == 0


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_demo_agencies_name_their_focal_accounts(demo_loaded):
    """H1 (QĐ 43 Art. 20.1, 21.1): demo agencies name focal points by account, and the
    account is a member of the agency, so the demo shows the role as production grants it."""
    from ckan import model

    from ckanext.daknong import membership

    accounts = json.loads(demo_loaded.read_text(encoding="utf-8"))
    for entry in accounts["agencies"]:
        org = model.Group.get(entry["organization"])
        focal = model.User.get(entry["focal_point"]["name"])
        assert membership.focal_user(org.id, "provider").id == focal.id
        assert membership.focal_user(org.id, "consumer").id == focal.id
        assert membership.is_provider(focal, org.id)
