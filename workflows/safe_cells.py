"""Spreadsheet-safe cells: neutralise text a spreadsheet would run as a formula (CSV/formula injection).

Exports (CSV and xlsx) pass every cell through :func:`safe_cell`. Text starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe, which Excel and LibreOffice show as plain text.
Numbers, dates and None pass unchanged, so a negative number stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` unchanged unless it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Every cell of every row through :func:`safe_cell`."""
    return [[safe_cell(value) for value in row] for row in rows]


def to_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with BOM (Excel then reads Vietnamese diacritics correctly), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows(safe_rows(rows))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str = "data") -> bytes:
    """One-sheet xlsx, every text cell neutralised and typed as a string so it never becomes a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    for row in [list(header), *safe_rows(rows)]:
        sheet.append([safe_cell(value) for value in row])
    for row_cells in sheet.iter_rows():
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
