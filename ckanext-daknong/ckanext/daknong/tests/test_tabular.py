"""CSV and XLSX exports (the catalogue, the sharing log) as Vietnamese offices open them."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from ckanext.daknong import tabular

ROWS = [['=HYPERLINK("http://x")', "Sở Tài nguyên và Môi trường", 12], ["-1+2", "@SUM(A1)", None]]


def test_csv_has_a_bom_keeps_vietnamese_and_disarms_formulas():
    body = tabular.to_csv(["Tên", "Cơ quan", "Số"], ROWS)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Tên", "Cơ quan", "Số"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "Sở Tài nguyên và Môi trường", "12"]
    assert rows[2] == ["'-1+2", "'@SUM(A1)", ""]


def test_xlsx_cells_are_text_not_formulas():
    body = tabular.to_xlsx(
        "Tiêu đề", "Trang tính có tên rất dài vượt quá 31 ký tự", ["A", "B", "C"], ROWS
    )
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "Trang tính có tên rất dài vượt q"[:31]
    assert sheet["A2"].value == '\'=HYPERLINK("http://x")'
    assert sheet["A2"].data_type == "s"
    assert sheet["C2"].value == 12
    assert sheet["B3"].value == "'@SUM(A1)"
