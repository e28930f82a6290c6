"""Spreadsheet catalogues (CSV, XLSX) in the encodings agencies produce, and the template."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook

from ckanext.daknong.harvest import spreadsheet
from ckanext.daknong.tests.factories import Agency
from ckanext.daknong.tests.harvest.helpers import harvested, make_source, run_job
from ckanext.daknong.tests.harvest.servers import LocalServer

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

HEADER = [c.header for c in spreadsheet.COLUMNS]
TONES = "\u0300\u0301\u0303\u0309\u0323"


def _row(**values: str) -> list[str]:
    return [values.get(c.key, "") for c in spreadsheet.COLUMNS]


ROWS = [
    HEADER,
    _row(
        remote_id="TN-01",
        type="Dữ liệu",
        title="Danh sách điểm khai thác khoáng sản Đắk Glong",
        notes="Vị trí và giấy phép của các điểm khai thác khoáng sản",
        access_level="Dữ liệu mở",
        license_id="cc-by",
        sector="Tài nguyên nước và khoáng sản",
        update_frequency="Hằng quý",
        tags="khoáng sản; Đắk Glong",
        resource_url="https://stnmt.daknong.gov.vn/ks.csv",
        resource_format="CSV",
    ),
    _row(
        remote_id="TN-02",
        type="Cơ sở dữ liệu",
        title="Cơ sở dữ liệu đất đai",
        database_type="Cơ sở dữ liệu dùng chung",
        purpose="Quản lý đất đai",
        scope="Toàn tỉnh",
        collection_mechanism="Số hóa hồ sơ",
        update_mechanism="Khi có biến động",
        data_items="Số thửa: Chia sẻ mặc định; Chủ sử dụng: Chia sẻ theo yêu cầu đặc thù",
    ),
]


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tones combining."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode("cp1258")
            out.append(char)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            marks = [m for m in parts[1:] if m not in TONES]
            tones = [m for m in parts[1:] if m in TONES]
            out.append(unicodedata.normalize("NFC", parts[0] + "".join(marks)) + "".join(tones))
    return "".join(out).encode("cp1258")


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


def _harvest(server: LocalServer, body: bytes, path: str = "/danh-muc.csv", config=None):
    server.static(path, body, "text/csv")
    source = make_source(Agency(), server.url + path, "daknong_spreadsheet", config)
    return source, run_job(source["id"])


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: text.encode("utf-8-sig"),
        lambda text: text.encode("utf-16"),
        to_cp1258,
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "windows-1258"],
)
def test_every_encoding_agencies_produce(server, encode):
    """QĐ 43 Art. 21.3: agencies without a portal send their catalogue as a spreadsheet."""
    source, result = _harvest(server, encode(_csv(ROWS)))

    datasets = harvested(source["id"])
    assert result["gather_errors"] == [] and result["object_errors"] == []
    assert datasets["TN-01"]["title"] == "Danh sách điểm khai thác khoáng sản Đắk Glong"
    assert datasets["TN-01"]["access_level"] == "open"
    assert datasets["TN-01"]["sector"] == "natural_resources"
    assert {t["name"] for t in datasets["TN-01"]["tags"]} == {"khoáng sản", "Đắk Glong"}
    database = datasets["TN-02"]
    assert database["type"] == "database" and database["database_type"] == "shared"
    assert [i["sharing_category"] for i in database["data_items"]] == ["shared", "restricted"]


def test_xlsx_and_semicolon_csv(server):
    source, _ = _harvest(server, _xlsx(ROWS), "/danh-muc.xlsx")
    assert set(harvested(source["id"])) == {"TN-01", "TN-02"}

    other, _ = _harvest(server, _csv(ROWS, ";").encode("utf-8"), "/danh-muc-2.csv")
    assert set(harvested(other["id"])) == {"TN-01", "TN-02"}


def test_invalid_rows_are_reported_by_row_number_and_valid_rows_import(server):
    rows = [
        *ROWS,
        _row(remote_id="TN-03", title="", type="Dữ liệu"),
        _row(remote_id="TN-04", title="Sai lĩnh vực", sector="Không có"),
        _row(remote_id="TN-05", title="Sai loại", type="Bảng"),
        _row(remote_id="TN-01", title="Trùng mã"),
    ]
    source, result = _harvest(server, _csv(rows).encode("utf-8"))

    assert set(harvested(source["id"])) == {"TN-01", "TN-02"}
    errors = result["object_errors"]
    # QĐ 43 Art. 21.3: the agency's officials read why a row was refused, in Vietnamese first
    assert "dòng 4: Tên: còn thiếu / row 4: Tên (title): missing" in errors
    assert (
        "dòng 5: sector: giá trị không hợp lệ 'Không có' / "
        "row 5: sector: unknown value 'Không có'" in errors
    )
    assert (
        "dòng 6: Loại bản ghi: giá trị không hợp lệ 'Bảng' / "
        "row 6: Loại bản ghi: unknown value 'Bảng'" in errors
    )
    assert "dòng 7: mã định danh TN-01 bị trùng / row 7: duplicate identifier TN-01" in errors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x81\x8d\x8f\x90\x9d", "cannot decode"),
        (b"Ten,Mo ta\nx,y\n", "missing columns"),
        (b"PK\x03\x04broken-zip", "malformed XLSX"),
        (b"", "the file is empty"),
    ],
)
def test_unusable_files_fail_the_source_with_a_reason(server, body, message):
    _, result = _harvest(server, body)

    assert any(message in e for e in result["gather_errors"]), result["gather_errors"]


def test_the_template_downloads_with_vietnamese_headers_and_imports(app, server):
    csv_response = app.get("/harvest/template.csv")
    xlsx_response = app.get("/harvest/template.xlsx")

    assert csv_response.status_code == 200
    assert csv_response.data.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
    assert header[:3] == ["Mã bản ghi", "Loại bản ghi", "Tên"]
    sheet = load_workbook(io.BytesIO(xlsx_response.data)).active
    assert [c.value for c in sheet[1]][:3] == header[:3]

    source, result = _harvest(server, csv_response.data)
    assert result["object_errors"] == []
    assert harvested(source["id"])["STNMT-001"]["type"] == "database"
