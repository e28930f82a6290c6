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

from ckanext.daknong import log_retention
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
            log_retention_months=72,
        )
        dataset = _create(
            "package_create",
            name="du-lieu-thua-dat",
            owner_org=agency["id"],
            access_level="shared",
            license_id="other-closed",
            database="csdl-dat-dai-nhat-ky",
        )
        assert retention.retention_months([dataset["id"]]) == 72
        row = entries.append([_draft(retention_months=72)])[0]
        assert row["retain_until"] == row["occurred_at"] + relativedelta(months=72)

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
            name="csdl-nhat-ky-84",
            owner_org=world.provider["id"],
            database_type="shared",
            log_retention_months=84,
        )
        _create("package_patch", id=world.datasets["shared"]["id"], database="csdl-nhat-ky-84")
        app.get(
            "/api/3/action/package_show",
            query_string={"id": world.datasets["shared"]["id"]},
            headers=world.headers("consumer_member"),
            status=200,
        )
        (entry,) = new_entries()
        assert entry["retain_until"] == entry["occurred_at"] + relativedelta(months=84)


class TestFloor:
    """Low finding of issue 10: retention had no floor and was set by the providing agency,
    whose own sharing the log is evidence about (NĐ 47 Art. 45). Now max(floor, database)."""

    def test_a_value_stored_before_the_floor_is_raised_to_it(self, app, world, new_entries):
        """A database entry saved with 12 months before the validator existed."""
        database = _create(
            "package_create",
            type="database",
            name="csdl-cu-12-thang",
            owner_org=world.provider["id"],
            database_type="shared",
        )
        entries.ckan_model.Session.add(
            entries.ckan_model.PackageExtra(
                package_id=database["id"], key="log_retention_months", value="12"
            )
        )
        entries.ckan_model.Session.commit()
        _create("package_patch", id=world.datasets["shared"]["id"], database="csdl-cu-12-thang")
        assert retention.retention_months([world.datasets["shared"]["id"]]) == 60
        app.get(
            "/api/3/action/package_show",
            query_string={"id": world.datasets["shared"]["id"]},
            headers=world.headers("consumer_member"),
            status=200,
        )
        (entry,) = new_entries()
        assert entry["retain_until"] == entry["occurred_at"] + relativedelta(months=60)

    def test_an_entry_asking_for_less_than_the_floor_gets_the_floor(self):
        row = entries.append([_draft(retention_months=12)])[0]
        assert row["retain_until"] == row["occurred_at"] + relativedelta(months=60)

    def test_a_higher_floor_raises_the_default_too(self, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, log_retention.RETENTION_FLOOR, 84)
        row = entries.append([_draft()])[0]
        assert row["retain_until"] == row["occurred_at"] + relativedelta(months=84)

    def test_the_floor_message_is_bilingual(self):
        """Users read it in Vietnamese first: the catalogue translates it."""
        from babel.messages.pofile import read_po

        from ckanext.daknong.logic import validators

        catalogue = (
            Path(validators.__file__).parents[1]
            / "i18n"
            / "vi"
            / "LC_MESSAGES"
            / "ckanext-daknong.po"
        )
        with catalogue.open("rb") as stream:
            translations = {m.id: m.string for m in read_po(stream) if isinstance(m.id, str)}
        (msgid,) = [m for m in translations if m.startswith("The sharing log is kept at least")]
        assert "%(floor)s tháng" in translations[msgid]


class TestPrune:
    def _expired_and_current(self) -> tuple[list[dict], list[dict]]:
        long_ago = dt.datetime.now(dt.timezone.utc) - relativedelta(months=61)
        expired = entries.append(
            [_draft(occurred_at=long_ago, retention_months=60, user_name=f"u{n}") for n in range(3)]
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


class TestPruneNeedsAVerifiedArchive:
    """Low finding of issue 10: ``prune()`` did not check that an archive exists. Entries are
    evidence (NĐ 47 Art. 45): none is removed unless its archive exists, is not empty and
    verifies, checked right before the removal."""

    def _archived(self, tmp_path: Path) -> tuple[Path, list[int]]:
        long_ago = dt.datetime.now(dt.timezone.utc) - relativedelta(months=61)
        entries.append([_draft(occurred_at=long_ago, user_name=f"cu{n}") for n in range(3)])
        path = tmp_path / "sharing-log-kiem-tra.jsonl.gz"
        ids = retention.write_archive(retention._expired_rows(), path)
        assert len(ids) >= 3
        return path, ids

    def _refused(self, path: Path, ids: list[int], reason: str, asked: list[int] | None = None):
        with pytest.raises(retention.ArchiveNotVerified, match=reason):
            retention.remove_archived(path, ids if asked is None else asked)
        assert _ids_in_db(ids) == set(ids)

    def test_a_missing_archive_removes_nothing(self, tmp_path: Path):
        path, ids = self._archived(tmp_path)
        path.unlink()
        self._refused(path, ids, "does not exist")

    def test_an_empty_archive_removes_nothing(self, tmp_path: Path):
        path, ids = self._archived(tmp_path)
        path.write_bytes(b"")
        self._refused(path, ids, "is empty")

    def test_a_truncated_archive_removes_nothing(self, tmp_path: Path):
        path, ids = self._archived(tmp_path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        self._refused(path, ids, "cannot be read|does not verify")

    def test_an_archive_cut_before_its_seal_removes_nothing(self, tmp_path: Path):
        path, ids = self._archived(tmp_path)
        lines = _raw_lines(path)
        with gzip.open(path, "wt", encoding="utf-8") as stream:
            stream.write("\n".join(lines[:-1]) + "\n")
        self._refused(path, ids, "does not verify")

    def test_a_tampered_archive_removes_nothing(self, tmp_path: Path):
        path, ids = self._archived(tmp_path)
        lines = _raw_lines(path)
        record = json.loads(lines[1])
        record["purpose"] = "muc-dich-sua"
        lines[1] = entries.canonical_json(record)
        with gzip.open(path, "wt", encoding="utf-8") as stream:
            stream.write("\n".join(lines) + "\n")
        self._refused(path, ids, "does not verify")

    def test_an_archive_of_other_entries_removes_nothing(self, tmp_path: Path):
        path, ids = self._archived(tmp_path)
        self._refused(path, ids, "does not hold the entries", asked=[*ids, ids[-1] + 1])

    def test_the_cli_says_nothing_was_removed(self, cli, tmp_path: Path, monkeypatch):
        """A short write (a full disk) leaves a broken archive: the command stops, loudly."""
        long_ago = dt.datetime.now(dt.timezone.utc) - relativedelta(months=61)
        rows = entries.append([_draft(occurred_at=long_ago, user_name="cu-cli")])
        write = retention.write_archive

        def short_write(expired, path):
            ids = write(expired, path)
            data = path.read_bytes()
            path.write_bytes(data[: len(data) - 20])
            return ids

        monkeypatch.setattr(retention, "write_archive", short_write)
        result = cli.invoke(
            ckan.cli.cli.ckan,
            ["daknong", "sharing-log", "prune", "--archive-dir", str(tmp_path)],
        )
        assert result.exit_code == 1, result.output
        assert "NOTHING REMOVED" in result.output and "KHÔNG XOÁ" in result.output
        assert _ids_in_db([rows[0]["id"]]) == {rows[0]["id"]}
