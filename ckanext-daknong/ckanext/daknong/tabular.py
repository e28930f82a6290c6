"""CSV and XLSX files as Vietnamese offices open them (the catalogue and the sharing log)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

# Cells that spreadsheet programs would run as formulas (CSV/formula injection): texts typed by
# agencies and requesters (titles, purposes, user agents) go out as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"


def safe_cell(value: Any) -> Any:
    """A value as a cell: text that would start a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe(rows: Iterable[Sequence[Any]]) -> Iterable[list[Any]]:
    return ([safe_cell(value) for value in row] for row in rows)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that Excel shows Vietnamese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(_safe(rows))
    return buffer.getvalue().encode("utf-8-sig")


def write_sheet(
    sheet: Any, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A sheet with a bold, frozen header row (sheet titles: 31 characters at most)."""
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in _safe(rows):
        sheet.append(row)


def workbook_bytes(workbook: Workbook, title: str) -> bytes:
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_xlsx(
    title: str, sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bytes:
    workbook = Workbook()
    write_sheet(workbook.active, sheet_title, header, rows)
    return workbook_bytes(workbook, title)
