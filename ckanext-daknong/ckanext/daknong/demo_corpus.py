"""The demo corpus of `make up`: databases, data sets and their files, from data/seed.

Everything is generated deterministically from ``data/seed/demo_corpus.yaml`` (one seeded
random generator, no clock), so two loads give the same records and byte-identical files, and a
test can rebuild what `make up` showed. The files are what Vietnamese offices really send
(issue 12 §7, issue 13): UTF-8 CSV with and without a byte-order mark, a few in Windows-1258
and in UTF-16, XLSX with a title row above the header, dates as dd/mm/yyyy and, in some CSV
files, numbers written the Vietnamese way (``1.204`` thousands, ``12,5`` decimals).

Nothing here writes to CKAN: ``demo.py`` loads the records through the actions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ckanext.daknong import resources, search, tabular

SEED = 43  # QĐ 43/2022/QĐ-UBND
PROVINCE_UNIT = "67"
OPEN_LICENCES = ("nd47-open-data-terms", "cc-by", "cc-by", "cc-zero")
# How each data set's file is written, in turn over the data sets that get one: mostly UTF-8
# CSV, and the encodings and layouts that a loader must survive.
FILE_STYLES = (
    "csv-utf8-bom",
    "csv-utf8",
    "csv-utf8-vn-numbers",
    "xlsx-title-row",
    "csv-utf8-bom",
    "csv-windows-1258",
    "csv-utf8-vn-numbers",
    "csv-utf8",
    "xlsx-title-row",
    "csv-utf16",
)
# Who a database's data items are for, by sharing category (codelists/user_categories.yaml).
USER_CATEGORIES = {
    "open": ["state_agencies", "businesses", "citizens"],
    "shared": ["state_agencies", "public_service_units"],
    "restricted": ["state_agencies"],
}
MONTHS = range(1, 13)
FILE_TIME = dt.datetime(2025, 6, 30, 8, 0, 0)  # the date of the files' contents, not the load
_W3CDTF = "%Y-%m-%dT%H:%M:%SZ"
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
# Tone marks stay combining in Windows-1258; the vowel marks (â ê ô ă ơ ư) have code points.
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


@dataclass(frozen=True)
class DemoFile:
    """One file to upload: its file name, bytes, CKAN format and style (FILE_STYLES)."""

    filename: str
    content: bytes
    format: str
    style: str

    @property
    def resource_name(self) -> str:
        """The resource's name on the dataset page (also how a second load finds it)."""
        return _RESOURCE_NAMES[self.format]

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self.style]


_RESOURCE_NAMES = {"CSV": "Bảng số liệu (CSV)", "XLSX": "Bảng tính Excel (XLSX)"}
_DESCRIPTIONS = {
    "csv-utf8": "Tệp CSV, mã UTF-8.",
    "csv-utf8-bom": "Tệp CSV, mã UTF-8 (có BOM, mở được trực tiếp bằng Excel).",
    "csv-utf8-vn-numbers": "Tệp CSV, mã UTF-8; số viết theo kiểu Việt Nam (1.234,5).",
    "csv-windows-1258": "Tệp CSV xuất từ phần mềm cũ, bảng mã Windows-1258.",
    "csv-utf16": "Tệp CSV lưu bằng Excel dạng Unicode (UTF-16).",
    "xlsx-title-row": "Bảng tính Excel; dòng đầu là tiêu đề, tiêu đề cột ở dòng 3.",
}


def spec() -> dict[str, Any]:
    return resources.load_yaml("seed/demo_corpus.yaml")


def _slug(text: str) -> str:
    plain = search.fold(text).lower()
    words = "".join(char if char.isalnum() else " " for char in plain).split()
    return "-".join(words)[:90].strip("-")


def province_communes() -> list[str]:
    """Two communes of each district: the rows of a province-wide table by commune."""
    communes = []
    for district in spec()["districts"].values():
        communes += district["communes"][:2]
    return communes


def _agency_units(corpus: dict[str, Any], agency: str) -> tuple[str, list[str]]:
    """The agency's admin unit and the communes its tables are about."""
    unit = corpus["district_agencies"].get(agency)
    if unit:
        return unit, list(corpus["districts"][unit]["communes"])
    return PROVINCE_UNIT, province_communes()


def _themes(corpus: dict[str, Any], agency: str) -> list[dict[str, Any]]:
    if agency in corpus["district_agencies"]:
        return corpus["district_themes"]
    return corpus["agencies"].get(agency, {}).get("themes", [])


def _variants(theme: dict[str, Any]) -> Iterator[int | None]:
    yield from theme.get("years") or [None]


def datasets(agencies: list[dict[str, Any]], databases: dict[str, str]) -> list[dict[str, Any]]:
    """Data set records (``package_create`` input) for the agencies in force.

    ``agencies`` are the seed agencies (name, title); ``databases`` maps an agency's name to
    the name of its database entry. Each record carries a ``_table`` entry (the theme's table
    and its fill-ins) that ``table_file`` turns into bytes; ``demo.py`` pops it.
    """
    corpus = spec()
    rng = random.Random(SEED)
    records = []
    for agency in agencies:
        unit, communes = _agency_units(corpus, agency["name"])
        district = _in_text(corpus["districts"][unit]["name"]) if unit != PROVINCE_UNIT else ""
        for theme in _themes(corpus, agency["name"]):
            for year in _variants(theme):
                title = theme["title"].format(year=year or "", district=district).strip()
                first_year = year or 2024
                record = {
                    "name": _slug(title),
                    "title": title,
                    "owner_org": agency["name"],
                    "access_level": theme["access"],
                    "sector": theme["sector"],
                    "update_frequency": theme["frequency"],
                    "spatial_units": [unit],
                    "temporal_start": f"{first_year}-01-01",
                    "temporal_end": f"{year}-12-31" if year else "",
                    "notes": theme["notes"],
                    "tags": list(theme.get("tags", [])),
                    "data_sources": f"{agency['title']}; số liệu tổng hợp của các đơn vị.",
                    "license_id": (
                        rng.choice(OPEN_LICENCES) if theme["access"] == "open" else "other-closed"
                    ),
                    "_table": (
                        {
                            **theme["table"],
                            "year": first_year,
                            "communes": communes,
                            "unit": unit,
                            "format": theme.get("format", ""),
                            "title": title,
                        }
                        if theme.get("table")
                        else None
                    ),
                }
                if not record["temporal_end"]:
                    del record["temporal_end"]
                if agency["name"] in databases:
                    record["database"] = databases[agency["name"]]
                records.append(record)
    return records


def _in_text(place: str) -> str:
    """ "Huyện Đắk Mil" inside a sentence: "huyện Đắk Mil"."""
    return place[:1].lower() + place[1:]


def _generic_title(theme: dict[str, Any], district: str) -> str:
    """A theme's title without its year: "Số ca mắc sốt xuất huyết theo tháng"."""
    title = theme["title"].format(year="{YEAR}", district=district)
    return re.sub(r"\s*\(?(điều chỉnh )?năm( học)? \{YEAR\}\)?", "", title).strip()


def database_entries(agencies: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]]:
    """One database catalogue entry (QĐ 43 Art. 9) for each agency in force that has none in
    ``taken`` (agency names that the hand-written demo already gives a database)."""
    corpus = spec()
    entries = []
    for agency in agencies:
        if agency["name"] in taken:
            continue
        unit, _ = _agency_units(corpus, agency["name"])
        configured = corpus["agencies"].get(agency["name"], {}).get("database")
        district = corpus["districts"].get(unit, {}).get("name", "")
        title = (
            configured["title"]
            if configured
            else f"Cơ sở dữ liệu kinh tế - xã hội {_in_text(district)}"
        )
        themes = _themes(corpus, agency["name"])
        entries.append(
            {
                "name": _slug(f"csdl {agency['name']}"),
                "title": title,
                "owner_org": agency["name"],
                "database_type": configured["type"] if configured else "shared",
                "purpose": f"Quản lý, khai thác và chia sẻ dữ liệu của {agency['title']}.",
                "scope": district or "Toàn tỉnh Đắk Nông.",
                "notes": "; ".join(_generic_title(theme, _in_text(district)) for theme in themes)
                + ".",
                "collection_mechanism": "Cập nhật từ phần mềm nghiệp vụ và báo cáo của các đơn vị.",
                "update_mechanism": "Cập nhật định kỳ theo tần suất của từng bộ dữ liệu.",
                "update_frequency": "quarterly",
                "data_sources": f"{agency['title']} và các đơn vị trực thuộc.",
                "data_items": [
                    {
                        "item_name": _generic_title(theme, _in_text(district)),
                        "sharing_category": theme["access"],
                        "user_categories": USER_CATEGORIES[theme["access"]],
                    }
                    for theme in themes
                ],
                "legal_basis": "Nghị định 47/2020/NĐ-CP; Quyết định 43/2022/QĐ-UBND.",
                "last_reviewed": "2025-06-30",
            }
        )
    return entries


# --- tables ------------------------------------------------------------------------------------


def _number(rng: random.Random, low: float, high: float) -> float | int:
    if isinstance(low, float) or isinstance(high, float):
        return round(rng.uniform(low, high), 1)
    return rng.randint(int(low), int(high))


def _date(rng: random.Random, year: int) -> str:
    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return day.strftime("%d/%m/%Y")


def table(spec_table: dict[str, Any], rng: random.Random) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of a theme's table (numbers as numbers, dates as dd/mm/yyyy)."""
    year, columns = spec_table["year"], spec_table.get("columns", [])
    corpus = spec()
    names = [header for header, *_ in columns]
    if spec_table["kind"] == "district":
        header = ["Mã đơn vị", "Huyện/thành phố", *names, "Ngày cập nhật"]
        rows = [
            [code, district["name"], *(_number(rng, *c[1:]) for c in columns), _date(rng, year)]
            for code, district in corpus["districts"].items()
        ]
    elif spec_table["kind"] == "commune":
        header = ["STT", "Xã/phường/thị trấn", *names, "Ngày cập nhật"]
        rows = [
            [number, commune, *(_number(rng, *c[1:]) for c in columns), _date(rng, year)]
            for number, commune in enumerate(spec_table["communes"], start=1)
        ]
    elif spec_table["kind"] == "monthly":
        header = ["Tháng", *names]
        rows = [
            [f"{month:02d}/{year}", *(_number(rng, *c[1:]) for c in columns)] for month in MONTHS
        ]
    else:  # list
        header = ["STT", "Tên", "Địa chỉ", *names, "Ngày cấp/thành lập", "Điện thoại"]
        rows = []
        for number in range(1, spec_table["rows"] + 1):
            commune = rng.choice(spec_table["communes"])
            name = rng.choice(spec_table["names"]).format(commune=commune, n=number, district="")
            rows.append(
                [
                    number,
                    name,
                    f"Xã {commune}",
                    *(_number(rng, *c[1:]) for c in columns),
                    _date(rng, min(year, 2024) - rng.randrange(8)),
                    f"0261 3{rng.randrange(10**5, 10**6)}",
                ]
            )
    return header, rows


def _vietnamese_number(value: Any) -> Any:
    """1204 → ``1.204``, 12.5 → ``12,5``: as Vietnamese spreadsheets export them."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float):
        whole, _, fraction = f"{value:.1f}".partition(".")
        return f"{int(whole):,}".replace(",", ".") + "," + fraction
    return f"{value:,}".replace(",", ".")


def to_windows_1258(text: str) -> bytes:
    """Vietnamese in Windows-1258: the vowel letters precomposed, tone marks combining after
    them (how the code page writes Vietnamese; NFC text does not encode as it is)."""
    out = []
    for cluster in _clusters(unicodedata.normalize("NFD", text)):
        base = "".join(char for char in cluster if char not in _TONE_MARKS)
        tones = "".join(char for char in cluster if char in _TONE_MARKS)
        out.append(unicodedata.normalize("NFC", base) + tones)
    return "".join(out).encode("cp1258")


def _clusters(text: str) -> Iterator[str]:
    cluster = ""
    for char in text:
        if cluster and not unicodedata.combining(char):
            yield cluster
            cluster = ""
        cluster += char
    if cluster:
        yield cluster


def _csv_text(header: list[str], rows: list[list[Any]], vietnamese_numbers: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_vietnamese_number(v) if vietnamese_numbers else v for v in row])
    return out.getvalue()


def _xlsx_with_title(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """A sheet as offices make it: the title merged across the columns, a blank row, then the
    header and the data (a loader must find the header below the title)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Số liệu"
    sheet.append([title.upper()])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([])
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([tabular.safe_cell(value) for value in row])
    workbook.properties.created = workbook.properties.modified = FILE_TIME
    out = io.BytesIO()
    workbook.save(out)
    return _zip_at_fixed_time(out.getvalue())


def _zip_at_fixed_time(content: bytes) -> bytes:
    """The same XLSX with every member dated ``FILE_TIME``: openpyxl stamps the zip members
    and the document's ``dcterms:modified`` with the clock when it saves, and the corpus must
    be byte-identical at every load."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            fixed = zipfile.ZipInfo(member.filename, date_time=FILE_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                data = _MODIFIED.sub(
                    rb"\g<1>" + FILE_TIME.strftime(_W3CDTF).encode() + rb"\g<2>", data
                )
            target.writestr(fixed, data)
    return out.getvalue()


def hand_written_file(record: dict[str, Any]) -> DemoFile:
    """The file of a data set of data/seed/demo.yaml that has a ``table`` (same keys as a
    theme's table; the province's communes unless it names its own)."""
    table = {"communes": province_communes(), **record["table"]}
    return table_file({**record, "_table": {**table, "year": 2024, "title": record["title"]}}, 0)


def table_file(record: dict[str, Any], number: int) -> DemoFile:
    """The file of a data set: the ``number``-th file of the corpus picks its style."""
    spec_table = record["_table"]
    rng = random.Random(f"{SEED}:{record['name']}")
    header, rows = table(spec_table, rng)
    style = "xlsx-title-row" if spec_table.get("format") == "xlsx" else FILE_STYLES[number % 10]
    stem = record["name"][:60]
    if style == "xlsx-title-row":
        return DemoFile(
            f"{stem}.xlsx", _xlsx_with_title(record["title"], header, rows), "XLSX", style
        )
    text = _csv_text(header, rows, vietnamese_numbers=style == "csv-utf8-vn-numbers")
    if style == "csv-windows-1258":
        content = to_windows_1258(text)
    elif style == "csv-utf16":
        content = text.encode("utf-16")  # with its byte-order mark, as Excel saves "Unicode"
    elif style == "csv-utf8-bom":
        content = text.encode("utf-8-sig")
    else:
        content = text.encode("utf-8")
    return DemoFile(f"{stem}.csv", content, "CSV", style)
