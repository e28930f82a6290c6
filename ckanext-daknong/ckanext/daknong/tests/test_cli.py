"""`ckan daknong agencies load|merge` through the real command line."""

from __future__ import annotations

from pathlib import Path

import ckan.cli.cli
import pytest
import yaml
from ckan.tests.helpers import call_action

from ckanext.daknong.tests.factories import Agency, DaknongDataset


def _run(cli, *args: str):
    return cli.invoke(ckan.cli.cli.ckan, ["daknong", *args])


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestAgenciesLoad:
    def test_seed_list_loads_then_reloads_as_updates_without_duplicates(self, cli):
        first = _run(cli, "agencies", "load")
        second = _run(cli, "agencies", "load")

        assert first.exit_code == 0, first.output
        assert "agencies: 20 created, 0 updated, 0 failed" in first.output
        assert second.exit_code == 0, second.output
        assert "agencies: 0 created, 20 updated, 0 failed" in second.output
        assert len(call_action("organization_list")) == 20

    def test_refused_records_are_named_the_rest_load_and_the_exit_code_is_non_zero(
        self, cli, tmp_path: Path
    ):
        path = tmp_path / "agencies.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "agencies": [
                        {"name": "so-dung", "title": "Sở đúng", "agency_code": "H16.01"},
                        {"name": "so-sai", "title": "Sở sai", "agency_code": "16.01"},
                    ]
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )

        result = _run(cli, "agencies", "load", str(path))

        assert result.exit_code == 1
        assert "agency so-sai: refused" in result.output
        assert "agency_code: An agency code starts with a letter A–Y" in result.output
        assert "1 created, 0 updated, 1 failed" in result.output
        assert call_action("organization_list") == ["so-dung"]

    def test_unreadable_file_is_a_clear_error(self, cli, tmp_path: Path):
        path = tmp_path / "broken.yaml"
        path.write_text("agencies: [", encoding="utf-8")

        result = _run(cli, "agencies", "load", str(path))

        assert result.exit_code != 0
        assert "cannot read" in result.output


@pytest.mark.usefixtures("with_plugins", "clean_db")
class TestAgenciesMerge:
    def test_merge_moves_datasets_and_retires_the_old_agency(self, cli):
        old = Agency(name="so-thong-tin-va-truyen-thong")
        new = Agency(name="so-khoa-hoc-va-cong-nghe")
        dataset = DaknongDataset(owner_org=old["id"])

        result = _run(cli, "agencies", "merge", old["name"], new["name"], "--until", "2025-02-28")

        assert result.exit_code == 0, result.output
        assert "1 datasets moved" in result.output
        assert "retired on 2025-02-28" in result.output
        assert call_action("package_show", id=dataset["id"])["owner_org"] == new["id"]
        assert call_action("organization_show", id=old["id"])["successor"] == new["name"]

    def test_merge_into_an_unknown_agency_fails_with_the_reason(self, cli):
        old = Agency()

        result = _run(cli, "agencies", "merge", old["name"], "khong-co")

        assert result.exit_code != 0
        assert 'new: There is no agency "khong-co".' in result.output
