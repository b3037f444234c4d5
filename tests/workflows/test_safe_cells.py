"""Exports neutralise spreadsheet formulas in CSV and xlsx, read back with real parsers."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from workflows.safe_cells import safe_cell, to_csv_bytes, to_xlsx_bytes

DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1"]
HARMLESS = ["Sở Tư pháp", "a=b", "", "1-2"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [*HARMLESS, -5, 3.5, None])
def test_harmless_values_pass_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_round_trip_keeps_text_and_neutralises_formulas() -> None:
    data = to_csv_bytes(["tên", "giá trị"], [[text, -1] for text in DANGEROUS + HARMLESS])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["tên", "giá trị"]
    cells = [row[0] for row in rows[1:]]
    assert cells == ["'" + t for t in DANGEROUS] + HARMLESS
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row[:1])


def test_xlsx_has_no_formula_cells() -> None:
    data = to_xlsx_bytes(["=header"], [[text, -1] for text in DANGEROUS + HARMLESS])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "'=header"
    # XML stores CR as LF and an empty cell as no cell
    expected = [("'" + t).replace("\r", "\n") for t in DANGEROUS] + [t or None for t in HARMLESS]
    assert [row[0] for row in values[1:]] == expected
    assert all(row[1] == -1 for row in values[1:])
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
