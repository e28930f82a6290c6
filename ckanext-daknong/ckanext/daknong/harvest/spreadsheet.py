"""Spreadsheet catalogues (CSV or XLSX) following the template the portal serves.

Agencies without a portal keep their catalogue in a spreadsheet: one row per dataset or
database, Vietnamese column headers, the NĐ 47 Art. 11.4 columns for databases. Files come in
the encodings agencies really produce: UTF-8 with or without BOM, UTF-16 (Excel's "Unicode
text") and Windows-1258 (older Vietnamese Windows), which stores tones as combining marks
and is normalised to NFC here.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ckan.plugins as p
from ckanext.harvest.interfaces import IHarvester

from ckanext.daknong import codelists
from ckanext.daknong.harvest import fetch, mapping
from ckanext.daknong.harvest.engine import DaknongHarvester, Source, SourceError
from ckanext.daknong.harvest.messages import N_, Message

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    example: str = ""


COLUMNS = (
    Column("Mã bản ghi", "remote_id", "STNMT-001"),
    Column("Loại bản ghi", "type", "Cơ sở dữ liệu"),
    Column("Tên", "title", "Cơ sở dữ liệu đất đai tỉnh Đắk Nông"),
    Column("Đường dẫn", "name", "co-so-du-lieu-dat-dai"),
    Column("Mô tả", "notes", "Thông tin thửa đất, chủ sử dụng và biến động"),
    Column("Mức độ chia sẻ", "access_level", "Chia sẻ mặc định"),
    Column("Giấy phép", "license_id", ""),
    Column("Lĩnh vực", "sector", "Đất đai"),
    Column("Tần suất cập nhật", "update_frequency", "Hằng quý"),
    Column("Từ khóa", "tags", "đất đai; thửa đất"),
    Column("Nguồn dữ liệu", "data_sources", "Văn phòng đăng ký đất đai"),
    Column("Loại cơ sở dữ liệu", "database_type", "Cơ sở dữ liệu dùng chung"),
    Column("Mục đích", "purpose", "Quản lý đất đai"),
    Column("Phạm vi", "scope", "Toàn tỉnh"),
    Column("Cơ chế thu thập", "collection_mechanism", "Số hóa hồ sơ địa chính"),
    Column("Cơ chế cập nhật", "update_mechanism", "Cập nhật khi có biến động"),
    Column(
        "Hạng mục dữ liệu",
        "data_items",
        "Số thửa: Chia sẻ mặc định; Chủ sử dụng: Chia sẻ theo yêu cầu đặc thù",
    ),
    Column(
        "Đường dẫn tài nguyên", "resource_url", "https://stnmt.daknong.gov.vn/du-lieu/dat-dai.csv"
    ),
    Column("Định dạng tài nguyên", "resource_format", "CSV"),
)
TYPE_WORDS = {
    "dữ liệu": "dataset",
    "dataset": "dataset",
    "bộ dữ liệu": "dataset",
    "cơ sở dữ liệu": "database",
    "database": "database",
    "csdl": "database",
}
LEVEL_CHOICES = {
    "open": ("dữ liệu mở",),
    "shared": ("chia sẻ mặc định",),
    "restricted": ("chia sẻ theo yêu cầu đặc thù",),
}
DATABASE_TYPES = {
    "national": ("cơ sở dữ liệu quốc gia", "quốc gia"),
    "shared": ("cơ sở dữ liệu dùng chung", "dùng chung"),
    "internal": ("cơ sở dữ liệu khác", "khác", "nội bộ"),
}
DATABASE_ONLY = (
    "database_type",
    "purpose",
    "scope",
    "collection_mechanism",
    "update_mechanism",
    "data_items",
)


class DaknongSpreadsheetHarvester(DaknongHarvester):
    p.implements(IHarvester)
    p.implements(p.IConfigurable, inherit=True)

    source_type = "daknong_spreadsheet"
    plugin_name = "daknong_spreadsheet_harvester"
    title = "Bảng tính (Đắk Nông)"
    description = "A CSV or XLSX catalogue following the portal's template"

    def read_records(self, source: Source) -> Iterator[mapping.RemoteRecord]:
        body = fetch.get(source.url, source.token, token_origin=source.url)
        return read_spreadsheet(body, source.config)


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def decode(body: bytes, forced: str | None = None) -> str:
    """Text of a CSV file in whichever encoding the agency's software wrote."""
    candidates: tuple[str, ...]
    if forced:
        candidates = (forced,)
    elif body.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp1258")
    for encoding in candidates:
        try:
            return unicodedata.normalize("NFC", body.decode(encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    raise SourceError(N_("cannot decode the file as {encodings}", encodings=", ".join(candidates)))


def rows_of(body: bytes, config: dict[str, Any]) -> list[list[str]]:
    if body.startswith(XLSX_MAGIC):
        return _xlsx_rows(body)
    text = decode(body, config.get("encoding"))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [row for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as error:
        raise SourceError(N_("malformed CSV: {error}", error=str(error))) from None


def _xlsx_rows(body: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise SourceError(N_("malformed XLSX: {error}", error=str(error)[:200])) from None
    sheet = workbook.worksheets[0]
    rows = [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    workbook.close()
    return rows


def header_map(header: list[str]) -> dict[int, str]:
    known = {fold(c.header): c.key for c in COLUMNS} | {c.key: c.key for c in COLUMNS}
    mapped = {i: known[fold(h)] for i, h in enumerate(header) if fold(h) in known}
    missing = [c.header for c in COLUMNS[:3] if c.key not in mapped.values()]
    if missing:
        raise SourceError(
            N_("row 1: missing columns {columns} (see the template)", columns=", ".join(missing))
        )
    return mapped


def read_spreadsheet(body: bytes, config: dict[str, Any]) -> Iterator[mapping.RemoteRecord]:
    rows = rows_of(body, config)
    if not rows:
        raise SourceError(N_("the file is empty"))
    columns = header_map(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        values = {key: (row[i].strip() if i < len(row) else "") for i, key in columns.items()}
        if not any(values.values()):
            continue
        yield to_record(number, values, config)


def _choice(value: str, choices: dict[str, tuple[str, ...]]) -> str | None:
    folded = fold(value)
    for code, words in choices.items():
        if folded == code or folded in words:
            return code
    return None


def _codelist(name: str, value: str) -> str | None:
    folded = fold(value)
    for entry in codelists.entries(name):
        if folded in (entry["value"], fold(entry["label"]["vi"]), fold(entry["label"]["en"])):
            return entry["value"]
    return None


def _data_items(value: str) -> list[dict[str, str]]:
    items = []
    for part in filter(None, (piece.strip() for piece in value.split(";"))):
        name, _, category = part.partition(":")
        items.append(
            {
                "item_name": name.strip(),
                "sharing_category": _choice(category, LEVEL_CHOICES) or category.strip(),
            }
        )
    return items


def to_record(number: int, values: dict[str, str], config: dict[str, Any]) -> mapping.RemoteRecord:
    record = mapping.RemoteRecord(
        number, values.get("remote_id", ""), values.get("name") or None, unit="row"
    )
    if not record.remote_id:
        record.errors.append(N_("Mã bản ghi (record id): missing"))
    kind = TYPE_WORDS.get(fold(values.get("type", "")), None) if values.get("type") else "dataset"
    if kind is None:
        record.errors.append(_unknown("Loại bản ghi", values["type"]))
        kind = "dataset"
    package: dict[str, Any] = {"type": kind, "title": values.get("title", "")}
    _simple_fields(package, values, record)
    if kind == "database":
        _database_fields(package, values, record)
    else:
        _dataset_access(package, values, record, config)
    if not package["title"]:
        record.errors.append(N_("Tên (title): missing"))
    record.package = package
    return record


def _unknown(column: str, value: str) -> Message:
    return N_("{field}: unknown value {value}", field=column, value=repr(value))


def _simple_fields(
    package: dict[str, Any], values: dict[str, str], record: mapping.RemoteRecord
) -> None:
    for key in ("notes", "data_sources"):
        if values.get(key):
            package[key] = values[key]
    for key, codelist in (("sector", "sectors"), ("update_frequency", "update_frequencies")):
        if values.get(key):
            code = _codelist(codelist, values[key])
            if code is None:
                record.errors.append(_unknown(key, values[key]))
            else:
                package[key] = code
    words = values.get("tags", "").replace(",", ";").split(";")
    package["tags"] = mapping.tags(words)
    package["resources"] = mapping.resources(
        [{"url": values.get("resource_url"), "format": values.get("resource_format")}]
    )


def _database_fields(
    package: dict[str, Any], values: dict[str, str], record: mapping.RemoteRecord
) -> None:
    for key in ("purpose", "scope", "collection_mechanism", "update_mechanism"):
        if values.get(key):
            package[key] = values[key]
    database_type = _choice(values.get("database_type", ""), DATABASE_TYPES)
    if values.get("database_type") and database_type is None:
        record.errors.append(_unknown("database_type", values["database_type"]))
    if database_type:
        package["database_type"] = database_type
    if values.get("data_items"):
        package["data_items"] = _data_items(values["data_items"])


def _dataset_access(
    package: dict[str, Any],
    values: dict[str, str],
    record: mapping.RemoteRecord,
    config: dict[str, Any],
) -> None:
    declared = _choice(values.get("access_level", ""), LEVEL_CHOICES)
    if values.get("access_level") and declared is None:
        record.errors.append(_unknown("access_level", values["access_level"]))
    if values.get("license_id"):
        package["license_id"] = values["license_id"]
    level, warning = mapping.access_level_for(False, declared, values.get("license_id"), config)
    package["access_level"] = level
    if warning:
        record.warnings.append(warning)
    for key in DATABASE_ONLY:
        if values.get(key):
            record.warnings.append(N_("{field}: ignored for a dataset row", field=key))


def template_rows() -> list[list[str]]:
    """The header row and one example row of the downloadable template."""
    return [[c.header for c in COLUMNS], [c.example for c in COLUMNS]]


def template_csv() -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Vietnamese headers correctly."""
    out = io.StringIO()
    csv.writer(out).writerows(template_rows())
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh mục"
    for row in template_rows():
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
