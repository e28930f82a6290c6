"""Agencies: QĐ 20 code rules, phone numbers, loading the agency list, merging agencies."""

from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.daknong import agencies
from ckanext.daknong.tests.factories import Agency, DaknongDataset, Database


def _site_context() -> dict[str, Any]:
    site_user = call_action("get_site_user", context={"ignore_auth": True})
    return {"user": site_user["name"], "ignore_auth": True}


class TestCheckCodeQd20:
    @pytest.mark.parametrize("code", ["H16", "H16.01.02", "A01.XYZ", "Y99", "Z05.HTX01"])
    def test_codes_that_follow_qd20(self, code):
        assert agencies.check_code(code) is None

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("H16." + "A" * 32, agencies.CODE_TOO_LONG),
            ("H16 01", agencies.CODE_CHARACTERS),
            ("h16", agencies.CODE_CHARACTERS),
            (".H16", agencies.CODE_EMPTY_GROUP),
            ("H16.01.", agencies.CODE_EMPTY_GROUP),
            ("H160", agencies.CODE_LEVEL1),
            ("16", agencies.CODE_LEVEL1),
            ("Z16", agencies.CODE_OTHER_WITHOUT_GROUP),
        ],
    )
    def test_codes_that_do_not(self, code, reason):
        assert agencies.check_code(code) == reason

    def test_exactly_35_characters_is_allowed(self):
        code = "H16." + "1" * 31

        assert len(code) == 35
        assert agencies.check_code(code) is None

    def test_normalise_code_trims_and_upper_cases(self):
        assert agencies.normalise_code(" h16.0a ") == "H16.0A"


class TestNormalisePhone:
    @pytest.mark.parametrize(
        ("raw", "national"),
        [
            ("0386 123 456", "0386123456"),
            ("+84386123456", "0386123456"),
            ("0084 70 123 4567", "0701234567"),
            ("0261-3999-001", "02613999001"),
            ("024 3825 1234", "02438251234"),
        ],
    )
    def test_vietnamese_numbers_in_national_form(self, raw, national):
        assert agencies.normalise_phone(raw) == national

    @pytest.mark.parametrize("raw", ["0412345678", "02613999", "+33 1 23 45 67 89", "", "0x"])
    def test_not_vietnamese_numbers(self, raw):
        assert agencies.normalise_phone(raw) is None


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestLoadAgencies:
    RECORDS = [
        {
            "name": "so-cu",
            "title": "Sở cũ",
            "agency_code": "H16.02",
            "parent": "ubnd",
            "effective_until": datetime.date(2025, 2, 28),
            "successor": "so-moi",
        },
        {"name": "ubnd", "title": "UBND tỉnh", "agency_code": "H16"},
        {"name": "so-moi", "title": "Sở mới", "agency_code": "H16.03", "parent": "ubnd"},
    ]

    def test_first_load_creates_and_resolves_names_of_agencies_listed_later(self):
        report = agencies.load_agencies(self.RECORDS, _site_context())

        assert sorted(report.created) == ["so-cu", "so-moi", "ubnd"]
        assert report.failed == {}
        old = call_action("organization_show", id="so-cu")
        assert (old["parent"], old["successor"], old["effective_until"]) == (
            "ubnd",
            "so-moi",
            "2025-02-28",
        )

    def test_second_load_updates_in_place_without_duplicates(self):
        agencies.load_agencies(self.RECORDS, _site_context())
        changed = [dict(self.RECORDS[1], title="Ủy ban nhân dân tỉnh"), *self.RECORDS[::2]]

        report = agencies.load_agencies(changed, _site_context())

        assert report.created == []
        assert sorted(report.updated) == ["so-cu", "so-moi", "ubnd"]
        assert sorted(call_action("organization_list")) == ["so-cu", "so-moi", "ubnd"]
        assert call_action("organization_show", id="ubnd")["title"] == "Ủy ban nhân dân tỉnh"

    def test_reload_keeps_the_agencys_datasets_and_id(self):
        agencies.load_agencies(self.RECORDS, _site_context())
        before = call_action("organization_show", id="so-moi")
        dataset = DaknongDataset(owner_org="so-moi")

        agencies.load_agencies(self.RECORDS, _site_context())

        assert call_action("organization_show", id="so-moi")["id"] == before["id"]
        assert call_action("package_show", id=dataset["id"])["owner_org"] == before["id"]

    def test_a_refused_record_is_reported_by_name_and_the_others_still_load(self):
        records = [
            {"name": "ubnd", "title": "UBND tỉnh", "agency_code": "H16"},
            {"name": "sai-ma", "title": "Mã sai", "agency_code": "H16..9"},
            {"name": "trung-ma", "title": "Trùng mã", "agency_code": "H16"},
            {"name": "so-a", "title": "Sở A", "agency_code": "H16.04", "parent": "khong-co"},
            {"title": "Không tên", "agency_code": "H16.05"},
            {"name": "so-b", "title": "Sở B", "agency_code": "H16.06"},
        ]

        report = agencies.load_agencies(records, _site_context())

        assert sorted(report.created) == ["so-a", "so-b", "ubnd"]
        assert sorted(report.failed) == ["#5", "sai-ma", "so-a", "trung-ma"]
        assert report.failed["sai-ma"].startswith("agency_code: An agency code must not")
        assert 'already used by "UBND tỉnh"' in report.failed["trung-ma"]
        assert report.failed["so-a"] == 'parent: There is no agency "khong-co".'
        assert report.failed["#5"] == "name: missing"

    def test_the_provinces_seed_list_loads_without_errors(self):
        from ckanext.daknong import resources

        records = resources.load_yaml("seed/agencies.yaml")["agencies"]

        report = agencies.load_agencies(records, _site_context())

        assert report.failed == {}
        assert len(report.created) == len(records) == 20
        province = call_action("organization_show", id="ubnd-tinh-dak-nong")
        assert province["agency_code"] == "H16"
        assert province["code_illustrative"] is False
        department = call_action("organization_show", id="so-y-te")
        assert department["code_illustrative"] is True
        assert department["provider_focal_phone"].isdigit()


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestMergeAgencies:
    """Agencies merged in 2025 keep their datasets and history (BRIEF §4)."""

    def _setup(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        old = Agency(name="so-ke-hoach-va-dau-tu", agency_code="H16.05")
        new = Agency(name="so-tai-chinh", agency_code="H16.04")
        database = Database(owner_org=old["id"])
        dataset = DaknongDataset(owner_org=old["id"], database=database["name"])
        return old, new, database, dataset

    def test_merge_moves_every_dataset_and_database_and_retires_the_old_agency(self):
        old, new, database, dataset = self._setup()
        sysadmin = factories.Sysadmin()

        report = call_action(
            "daknong_agency_merge",
            context={"user": sysadmin["name"]},
            old=old["name"],
            new=new["name"],
            effective_until="2025-02-28",
        )

        assert sorted(report["moved"]) == sorted([database["name"], dataset["name"]])
        assert report["failed"] == {}
        assert report["retired_on"] == "2025-02-28"
        for moved in (database, dataset):
            assert call_action("package_show", id=moved["id"])["owner_org"] == new["id"]
        retired = call_action("organization_show", id=old["id"])
        assert retired["state"] == "active"  # retired, not deleted
        assert (retired["successor"], retired["effective_until"]) == (new["name"], "2025-02-28")

    def test_a_moved_dataset_keeps_its_id_and_activity_history(self):
        old, new, _, dataset = self._setup()
        before = call_action("package_activity_list", id=dataset["id"])

        call_action(
            "daknong_agency_merge",
            context={"user": factories.Sysadmin()["name"]},
            old=old["name"],
            new=new["name"],
        )

        after = call_action("package_activity_list", id=dataset["id"])
        assert [a["id"] for a in after[1:]] == [a["id"] for a in before]
        assert after[0]["activity_type"] == "changed package"
        assert after[0]["data"]["package"]["owner_org"] == new["id"]

    def test_retirement_date_defaults_to_today_in_the_portals_time_zone(self):
        old, new, _, _ = self._setup()

        report = call_action(
            "daknong_agency_merge",
            context={"user": factories.Sysadmin()["name"]},
            old=old["name"],
            new=new["name"],
        )

        assert report["retired_on"] == agencies.today().isoformat()

    def test_only_sysadmins_may_merge(self):
        old, new, _, _ = self._setup()
        admin = factories.User()
        call_action(
            "organization_member_create",
            id=old["id"],
            username=admin["name"],
            role="admin",
        )

        with pytest.raises(tk.NotAuthorized):
            call_action(
                "daknong_agency_merge",
                context={"user": admin["name"], "ignore_auth": False},
                old=old["name"],
                new=new["name"],
            )

    @pytest.mark.parametrize(
        ("old", "new", "field"),
        [("khong-co", "so-tai-chinh", "old"), ("so-tai-chinh", "so-tai-chinh", "new")],
    )
    def test_unknown_or_identical_agencies_are_refused(self, old, new, field):
        self._setup()

        with pytest.raises(tk.ValidationError) as error:
            call_action(
                "daknong_agency_merge",
                context={"user": factories.Sysadmin()["name"]},
                old=old,
                new=new,
            )

        assert field in error.value.error_dict

    def test_a_dataset_that_cannot_move_is_reported_and_the_old_agency_stays_current(self):
        old, new, _, dataset = self._setup()
        # An open dataset whose closed licence predates the open-licence rule cannot be
        # re-validated: simulate it by editing the stored row directly.
        from ckan import model

        package = model.Package.get(dataset["id"])
        package.license_id = "other-closed"
        model.Session.commit()

        report = call_action(
            "daknong_agency_merge",
            context={"user": factories.Sysadmin()["name"]},
            old=old["name"],
            new=new["name"],
        )

        assert list(report["failed"]) == [dataset["name"]]
        assert report["failed"][dataset["name"]].startswith("license_id: Open data must")
        assert report["retired_on"] is None
        assert not call_action("organization_show", id=old["id"]).get("successor")
