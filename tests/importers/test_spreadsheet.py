"""Vendor exports: an xlsx written by openpyxl with merged header cells, and the CSV Excel makes of a report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from importers.errors import ImportFileError
from importers.mapping import load_mapping
from importers.spreadsheet import read_export
from tests.importers.samples import (
    DOCUMENT_MAPPING,
    DOCUMENT_ROWS,
    STATS_MAPPING,
    write_document_xlsx,
    write_stats_csv,
)

STATS_ROW = ["000.02.27.H27", "03/2026", "1.210", 600, 500, 110, 900, 200, 650, 50, 310, 300, 10]


def test_xlsx_with_merged_two_row_header_gives_typed_rows(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("eoffice.toml", DOCUMENT_MAPPING))
    rows = read_export(write_document_xlsx(tmp_path / "vb.xlsx"), mapping)

    assert [r.where for r in rows] == ["row 5", "row 6", "row 7"]  # title, header and "Tổng cộng" rows left out
    first, second, third = (r.record for r in rows)
    assert first["doc_id"] == "VB-001" and first["direction"] == "out" and first["unit_code"] == "000.02.27.H27"
    assert first["ngay_van_ban"] == date(2026, 3, 2)
    assert first["ky_so"] is True and third["ky_so"] is False
    assert second["ky_so"] is None  # blank cell: no data, never "not signed"
    assert second["han_xu_ly"] == date(2026, 3, 17)  # from under the merged "Thời hạn" group
    assert second["ngay_hoan_thanh"] == datetime(2026, 3, 16, 8, 30, tzinfo=UTC)  # 15:30 in Vietnam
    assert second["ngay_van_ban"] == date(2026, 3, 3)  # a real date cell, not text
    assert [r.record["do_khan"] for r in rows] == [0, 1, 3]
    assert second["loai_van_ban"] == "Quyết định"


def test_csv_report_with_spread_group_headers(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("stats.toml", STATS_MAPPING))
    (row,) = read_export(write_stats_csv(tmp_path / "bao-cao.csv", [STATS_ROW]), mapping)
    assert row.record["month"] == date(2026, 3, 1)
    assert row.record["tong_tiep_nhan"] == 1210  # "1.210": Vietnamese thousands separator
    assert row.record["qua_han"] == 50 and row.record["dang_qua_han"] == 10


def refusal(excinfo: pytest.ExceptionInfo[ImportFileError]) -> str:
    return str(excinfo.value)


def test_bad_date_names_row_and_column(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("eoffice.toml", DOCUMENT_MAPPING))
    rows = [list(r) for r in DOCUMENT_ROWS]
    rows[1][5] = "31/02/2026"
    with pytest.raises(ImportFileError) as excinfo:
        read_export(write_document_xlsx(tmp_path / "vb.xlsx", rows), mapping)
    assert refusal(excinfo) == (
        "vb.xlsx: refused whole, nothing was imported.\n"
        "  row 6, column 'Ngày văn bản' (F): '31/02/2026' is not a date in the form dd/mm/yyyy"
    )


def test_unknown_coded_value_is_named(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("eoffice.toml", DOCUMENT_MAPPING))
    rows = [list(r) for r in DOCUMENT_ROWS]
    rows[2][4] = "Văn bản nội bộ"
    with pytest.raises(ImportFileError) as excinfo:
        read_export(write_document_xlsx(tmp_path / "vb.xlsx", rows), mapping)
    assert refusal(excinfo) == (
        "vb.xlsx: refused whole, nothing was imported.\n"
        "  row 7, column 'Sổ' (E): 'Văn bản nội bộ' is not one of the coded values 'Văn bản đến', 'Văn bản đi'"
    )


def test_empty_required_cell_is_named(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("eoffice.toml", DOCUMENT_MAPPING))
    rows = [list(r) for r in DOCUMENT_ROWS]
    rows[0][1] = None
    with pytest.raises(ImportFileError) as excinfo:
        read_export(write_document_xlsx(tmp_path / "vb.xlsx", rows), mapping)
    assert refusal(excinfo) == (
        "vb.xlsx: refused whole, nothing was imported.\n"
        "  row 5, column 'Mã văn bản': empty, but documents.doc_id is required"
    )


def test_missing_column_lists_the_header_found(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("stats.toml", STATS_MAPPING.replace('"Kỳ báo cáo"', '"Tháng báo cáo"')))
    with pytest.raises(ImportFileError) as excinfo:
        read_export(write_stats_csv(tmp_path / "bao-cao.csv", [STATS_ROW]), mapping)
    message = refusal(excinfo)
    assert message.startswith(
        "bao-cao.csv: refused whole, nothing was imported.\n"
        "  column 'tháng báo cáo' of stats.toml not found in the header; the header has: 'Mã đơn vị'; 'Kỳ báo cáo'; "
        "'Tiếp nhận / Tổng số';"
    )


def test_not_an_xlsx_workbook(write) -> None:
    mapping = load_mapping(write("eoffice.toml", DOCUMENT_MAPPING))
    with pytest.raises(ImportFileError) as excinfo:
        read_export(write("vb.xlsx", "STT,Số ký hiệu\n1,12/SNV\n"), mapping)
    assert refusal(excinfo) == (
        "vb.xlsx: refused whole, nothing was imported.\n"
        "  not an .xlsx workbook that can be read (File is not a zip file)"
    )


def test_csv_not_utf8_names_the_line(tmp_path: Path, write) -> None:
    mapping = load_mapping(write("stats.toml", STATS_MAPPING))
    path = write_stats_csv(tmp_path / "bao-cao.csv", [STATS_ROW])
    text = path.read_text(encoding="utf-8-sig")
    path.write_bytes(text.encode("utf-8").replace("Đang".encode(), "Đang".encode("cp1258")))
    with pytest.raises(ImportFileError) as excinfo:
        read_export(path, mapping)
    assert refusal(excinfo) == (
        "bao-cao.csv: refused whole, nothing was imported.\n"
        "  line 1: not UTF-8 text; save the export as 'CSV UTF-8'"
    )


def test_mapping_to_a_field_the_table_lacks(write) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        load_mapping(write("eoffice.toml", DOCUMENT_MAPPING.replace('= "loai_van_ban"', '= "loai"')))
    assert refusal(excinfo) == (
        "eoffice.toml: refused whole, nothing was imported.\n"
        "  [columns] \"Loại văn bản\" = \"loai\": 'loai' is not a field of documents"
    )
