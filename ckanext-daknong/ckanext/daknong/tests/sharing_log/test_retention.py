"""Retention and pruning of the sharing log (NĐ 47 Art. 45; QĐ 43 Art. 7.4).

The period comes from the database's data-use regulation (``log_retention_months``) or the
provincial default. Pruning archives expired entries to compressed JSON Lines that verify on
their own, and removes them so that the rest of the chain still verifies.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import ckan.cli.cli
import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from dateutil.relativedelta import relativedelta

from ckanext.daknong.sharing_log import entries, integrity, retention
from ckanext.daknong.sharing_log import model as log_model
from ckanext.daknong.tests.factories import Agency

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def _draft(**fields) -> entries.Draft:
    return entries.Draft(
        event="read", channel="api", status="served", action="package_show", **fields
    )


def _create(action: str, **data) -> dict:
    return call_action(action, context={"user": factories.Sysadmin()["name"]}, **data)


def _raw_lines(path: Path) -> list[str]:
    return gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()


def _ids_in_db(ids: list[int]) -> set[int]:
    with entries.ckan_model.meta.engine.connect() as connection:
        return {
            row.id
            for row in connection.execute(
                log_model.entry.select().where(log_model.entry.c.id.in_(ids))
            )
        }


class TestPeriod:
    def test_the_database_regulation_sets_the_period(self):
        agency = Agency()
        _create(
            "package_create",
            type="database",
            name="csdl-dat-dai-nhat-ky",
            owner_org=agency["id"],
            database_type="shared",
            log_retention_months=18,
        )
        dataset = _create(
            "package_create",
            name="du-lieu-thua-dat",
            owner_org=agency["id"],
            access_level="shared",
            license_id="other-closed",
            database="csdl-dat-dai-nhat-ky",
        )
        assert retention.retention_months([dataset["id"]]) == 18
        row = entries.append([_draft(retention_months=18)])[0]
        assert row["retain_until"] == row["occurred_at"] + relativedelta(months=18)

    def test_without_a_regulation_the_provincial_default_applies(self, ckan_config):
        agency = Agency()
        dataset = _create(
            "package_create",
            name="du-lieu-khong-csdl",
            owner_org=agency["id"],
            access_level="shared",
            license_id="other-closed",
        )
        assert retention.retention_months([dataset["id"]]) is None
        row = entries.append([_draft()])[0]
        default = ckan_config["ckanext.daknong.sharing_log.retention_months"]
        assert default == 60
        assert row["retain_until"] == row["occurred_at"] + relativedelta(months=60)

    def test_the_period_is_read_from_the_real_capture_path(self, app, world, new_entries):
        _create(
            "package_create",
            type="database",
            name="csdl-nhat-ky-36",
            owner_org=world.provider["id"],
            database_type="shared",
            log_retention_months=36,
        )
        _create("package_patch", id=world.datasets["shared"]["id"], database="csdl-nhat-ky-36")
        app.get(
            "/api/3/action/package_show",
            query_string={"id": world.datasets["shared"]["id"]},
            headers=world.headers("consumer_member"),
            status=200,
        )
        (entry,) = new_entries()
        assert entry["retain_until"] == entry["occurred_at"] + relativedelta(months=36)


class TestPrune:
    def _expired_and_current(self) -> tuple[list[dict], list[dict]]:
        long_ago = dt.datetime.now(dt.timezone.utc) - relativedelta(months=25)
        expired = entries.append(
            [_draft(occurred_at=long_ago, retention_months=24, user_name=f"u{n}") for n in range(3)]
        )
        current = entries.append([_draft(user_name="con-han")])
        return expired, current

    def test_prune_archives_removes_and_leaves_a_verifiable_chain(self, cli, tmp_path: Path):
        expired, current = self._expired_and_current()
        result = cli.invoke(
            ckan.cli.cli.ckan,
            ["daknong", "sharing-log", "prune", "--archive-dir", str(tmp_path)],
        )
        assert result.exit_code == 0, result.output
        assert "archived and removed" in result.output
        expired_ids = [r["id"] for r in expired]
        assert _ids_in_db(expired_ids) == set()
        assert _ids_in_db([current[0]["id"]]) == {current[0]["id"]}
        report = integrity.verify_database()
        assert report.ok, report.summary()
        assert report.tombstones >= 3

        (archive,) = tmp_path.glob("sharing-log-*.jsonl.gz")
        lines = retention.read_archive(archive)
        archived = [line for line in lines if line["type"] == "entry"]
        assert expired_ids == [line["id"] for line in archived if line["id"] in expired_ids]
        assert lines[0]["type"] == "header" and lines[-1]["type"] == "seal"
        checked = cli.invoke(
            ckan.cli.cli.ckan, ["daknong", "sharing-log", "verify", "--archive", str(archive)]
        )
        assert checked.exit_code == 0, checked.output
        assert "OK:" in checked.output

    def test_an_edited_archive_names_the_entry(self, tmp_path: Path):
        expired, _ = self._expired_and_current()
        result = retention.prune(tmp_path)
        lines = _raw_lines(result.archive)
        record = json.loads(lines[1])
        record["user_name"] = "nguoi-khac"
        lines[1] = entries.canonical_json(record)
        forged = tmp_path / "forged.jsonl.gz"
        with gzip.open(forged, "wt", encoding="utf-8") as stream:
            stream.write("\n".join(lines) + "\n")
        report = integrity.verify_archive(forged)
        assert (report.ok, report.broken_id) == (False, record["id"])

    def test_an_archive_with_a_removed_entry_fails_its_seal(self, tmp_path: Path):
        self._expired_and_current()
        result = retention.prune(tmp_path)
        lines = _raw_lines(result.archive)
        del lines[2]
        forged = tmp_path / "shortened.jsonl.gz"
        with gzip.open(forged, "wt", encoding="utf-8") as stream:
            stream.write("\n".join(lines) + "\n")
        report = integrity.verify_archive(forged)
        assert not report.ok
        assert "seal" in report.problem or "follow" in report.problem

    def test_nothing_expired_means_nothing_pruned(self, cli, tmp_path: Path):
        entries.append([_draft()])
        retention.prune(tmp_path / "first")  # whatever earlier tests left expired
        result = cli.invoke(
            ckan.cli.cli.ckan,
            ["daknong", "sharing-log", "prune", "--archive-dir", str(tmp_path / "second")],
        )
        assert result.exit_code == 0, result.output
        assert "no entries past their retention period" in result.output
        assert not list((tmp_path / "second").glob("*.jsonl.gz"))
