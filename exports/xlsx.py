"""Formatted .xlsx exports: Vietnamese headers, numbers as numbers, no cell a spreadsheet would run."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.tables import ExportTable
from workflows.safe_cells import safe_cell

NUMBER_FORMATS = {"int": "0", "number": "#,##0.00", "pct": "0.00", "percent": "0.0%"}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")


def workbook_bytes(table: ExportTable, sheet_title: str) -> bytes:
    """One sheet: title, subtitle, a frozen bold header row, typed number cells, neutralised text cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    sheet.append([safe_cell(table.title)])
    sheet.append([safe_cell(table.subtitle)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([column.header for column in table.columns])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in table.rows:
        sheet.append([safe_cell(value) for value in row])
        for column, cell in zip(table.columns, sheet[sheet.max_row], strict=True):
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING
            elif column.kind in NUMBER_FORMATS and cell.value is not None:
                cell.number_format = NUMBER_FORMATS[column.kind]
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, column.width * 12)
    sheet.print_options.gridLines = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
