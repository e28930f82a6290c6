"""The demo corpus of `make up` (issue 12 §7): a province's portal, not two example datasets.

The contract checked from outside: after `make up`, at least 20 agencies, 60 open datasets and
20 open CSV/XLSX files; and the issue's corpus: 150 datasets over every sector and all three
access levels, 40 real files uploaded to the filestore (some in Windows-1258 and UTF-16, some
XLSX with a title row, dates as dd/mm/yyyy), a database entry for every agency in force. The
corpus is loaded once, with the same command as `make up`, and read back through the API and
the files' download URLs.
"""

from __future__ import annotations

import codecs
import io
import time
import unicodedata
from pathlib import Path

import ckan.cli.cli
import ckan.plugins.toolkit as tk
import pytest
from ckan.tests.helpers import CKANCliRunner, call_action
from openpyxl import load_workbook

from ckanext.daknong import codelists, demo, demo_corpus


def _load(tmp: Path) -> str:
    runner = CKANCliRunner(env={"CKAN_INI": tk.config["__file__"]})
    for args in (
        ["daknong", "agencies", "load"],
        ["daknong", "demo", "load", "--accounts-file", str(tmp / "accounts.json")],
    ):
        result = runner.invoke(ckan.cli.cli.ckan, args)
        assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def corpus(module_clean_db, tmp_path_factory) -> dict:
    """`ckan daknong demo load` once, as `make up` runs it; then everything read back."""
    output = _load(tmp_path_factory.mktemp("demo"))
    datasets = call_action(
        "package_search", q="*:*", fq="type:dataset", include_private=True, rows=1000
    )["results"]
    return {
        "output": output,
        "datasets": datasets,
        "databases": call_action(
            "package_search", q="*:*", fq="type:database", include_private=True, rows=1000
        )["results"],
        "agencies": call_action("organization_list", all_fields=True),
    }


def test_the_portal_looks_like_a_province_after_make_up(corpus):
    """Issue 12 §7 contract: ≥ 20 agencies, ≥ 60 open datasets, ≥ 20 open CSV/XLSX files."""
    open_datasets = [d for d in corpus["datasets"] if d["access_level"] == "open"]
    open_files = [
        r
        for d in open_datasets
        for r in d["resources"]
        if r["format"] in ("CSV", "XLSX") and r["url_type"] == "upload"
    ]
    assert len(corpus["agencies"]) >= 20
    assert len(open_datasets) >= 60
    assert len(open_files) >= 20
    assert all(not d["private"] for d in open_datasets)


def test_every_sector_and_access_level_and_every_agency_has_a_database(corpus):
    """QĐ 43 Art. 9 (every agency's databases in the catalogue), Art. 10–11 (three levels)."""
    datasets = corpus["datasets"]
    assert len(datasets) >= 150
    assert {d["access_level"] for d in datasets} == {"open", "shared", "restricted"}
    assert {d["sector"] for d in datasets} == set(codelists.values("sectors"))
    owners = {d["owner_org"] for d in corpus["databases"]}
    in_force = {a["name"] for a in demo.agencies_in_force()}
    by_name = {a["name"]: a["id"] for a in corpus["agencies"]}
    assert {by_name[name] for name in in_force} <= owners
    database_names = {d["name"] for d in corpus["databases"]}
    linked = [d for d in datasets if d.get("database")]
    assert len(linked) == len(datasets)
    assert {d["database"] for d in linked} <= database_names


def test_forty_real_files_are_in_the_filestore_and_served_back(corpus, app):
    """Issue 12 §7: files uploaded, not links elsewhere; each download is the generated file."""
    uploaded = [
        (d, r) for d in corpus["datasets"] for r in d["resources"] if r["url_type"] == "upload"
    ]
    assert len(uploaded) >= 40
    assert not [
        r["url"] for d in corpus["datasets"] for r in d["resources"] if "example.org" in r["url"]
    ]
    resource = next(r for d, r in uploaded if d["access_level"] == "open")
    answer = app.get(resource["url"].replace("http://test.ckan.net", ""))
    assert answer.status_code == 200
    assert len(answer.data) > 200


def test_a_second_load_changes_nothing_and_uploads_nothing(corpus, tmp_path):
    """Loading is idempotent: `make up` twice gives the same portal, not doubled files."""
    output = _load(tmp_path)
    assert "0 files uploaded" in output.splitlines()[-1]
    count = call_action("package_search", q="*:*", include_private=True, rows=0)["count"]
    assert count == len(corpus["datasets"]) + len(corpus["databases"])


# --- the files, as generated -----------------------------------------------------------------


def _records() -> list[dict]:
    agencies = demo.agencies_in_force()
    return demo_corpus.datasets(agencies, {})


def _files() -> list[demo_corpus.DemoFile]:
    return [
        demo_corpus.table_file(record, number)
        for number, record in enumerate(_records())
        if record["_table"]
    ]


def test_the_corpus_is_the_same_at_every_load():
    """Deterministic: the same records and byte-identical files (no clock, one seed), also
    when the clock has moved on between two loads (openpyxl stamps the time it saves)."""
    first = [f.content for f in _files()]
    time.sleep(1.1)
    assert [f.content for f in _files()] == first
    names = [r["name"] for r in _records()]
    assert len(names) == len(set(names))


def _text(file: demo_corpus.DemoFile) -> str:
    if file.style == "csv-windows-1258":
        return unicodedata.normalize("NFC", file.content.decode("cp1258"))
    if file.style == "csv-utf16":
        assert file.content.startswith(codecs.BOM_UTF16_LE)
        return file.content.decode("utf-16")
    return file.content.decode("utf-8-sig")


def test_files_come_in_the_encodings_and_layouts_offices_send():
    """Issue 12 §7 / issue 13 §2: Windows-1258 and UTF-16 files decode to the same Vietnamese
    as UTF-8 would; XLSX files have a title row above the header; dates are dd/mm/yyyy."""
    files = _files()
    styles = {f.style for f in files}
    assert styles == set(demo_corpus.FILE_STYLES)
    for file in files:
        if file.format == "CSV":
            text = _text(file)
            assert "Ngày" in text or "Tháng" in text, file.filename
            if file.style == "csv-windows-1258":
                with pytest.raises(UnicodeDecodeError):
                    file.content.decode("utf-8")
        else:
            sheet = load_workbook(io.BytesIO(file.content)).active
            assert sheet["A1"].value and sheet["A1"].value.isupper()
            assert sheet.merged_cells.ranges
            assert sheet["A3"].value in ("Mã đơn vị", "STT", "Tháng")
    dated = [f for f in files if f.format == "CSV" and "Ngày cập nhật" in _text(f)]
    assert dated
    last_cell = _text(dated[0]).splitlines()[1].split(",")[-1]
    day, month, year = last_cell.split("/")
    assert len(day) == 2 and len(month) == 2 and len(year) == 4


def test_vietnamese_numbers_and_windows_1258_are_written_as_the_offices_write_them():
    assert demo_corpus._vietnamese_number(1204) == "1.204"
    assert demo_corpus._vietnamese_number(1234567.5) == "1.234.567,5"
    encoded = demo_corpus.to_windows_1258("Đắk R'Lấp, Krông Nô")
    # ấ is â (0xE2) and the combining acute (0xEC) in Windows-1258
    assert b"\xe2\xec" in encoded
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == "Đắk R'Lấp, Krông Nô"
