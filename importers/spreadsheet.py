"""Vendor exports as .xlsx or .csv → raw-table rows, through a column mapping file.

Vendors export reports with title rows, multi-row headers whose group cells are merged ("Văn bản đến" over
"Tổng số | Điện tử | Giấy"), dd/mm/yyyy dates and a "Tổng cộng" footer. A header is addressed by its path,
the texts from the top header row down joined with " / ".
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from importers.coerce import clean_text, coerce, is_blank
from importers.errors import ImportFileError
from importers.fields import raw_columns
from importers.mapping import HEADER_SEPARATOR, ColumnMapping, header_key
from importers.rows import SourceRow


@dataclass(frozen=True)
class Grid:
    """The cells of one sheet, header rows already spread over their merged ranges."""

    rows: list[tuple[int, list[object]]]
    header_paths: list[str]


def _header_paths(header: list[list[object]]) -> list[str]:
    width = max((len(row) for row in header), default=0)
    paths = []
    for col in range(width):
        parts: list[str] = []
        for row in header:
            text = clean_text(row[col]) if col < len(row) and not is_blank(row[col]) else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        paths.append(HEADER_SEPARATOR.join(parts))
    return paths


def read_xlsx(path: Path, mapping: ColumnMapping) -> Grid:
    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(path, [f"not an .xlsx workbook that can be read ({exc})"]) from None
    if mapping.sheet is not None and mapping.sheet not in book.sheetnames:
        raise ImportFileError(path, [f"sheet '{mapping.sheet}' not found; sheets: {', '.join(book.sheetnames)}"])
    sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    first = mapping.header_row - 1
    last = first + mapping.header_rows - 1
    for merged in sheet.merged_cells.ranges:
        top_left = sheet.cell(merged.min_row, merged.min_col).value
        for r in range(max(merged.min_row - 1, first), min(merged.max_row - 1, last) + 1):
            for c in range(merged.min_col - 1, merged.max_col):
                cells[r][c] = top_left
    return Grid(
        rows=[(index + 1, row) for index, row in enumerate(cells) if index > last],
        header_paths=_header_paths(cells[first : last + 1]),
    )


def read_csv(path: Path, mapping: ColumnMapping) -> Grid:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(path, [f"line {line}: not UTF-8 text; save the export as 'CSV UTF-8'"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    rows: list[tuple[int, list[object]]] = []
    try:
        for record in reader:
            rows.append((reader.line_num, list(record)))
    except csv.Error as exc:
        raise ImportFileError(path, [f"line {reader.line_num}: not valid CSV ({exc})"]) from None
    first = mapping.header_row - 1
    header = [list(cells) for _n, cells in rows[first : first + mapping.header_rows]]
    # A CSV keeps a merged group's text in its first cell only: spread it right, except on the last header row.
    for row in header[:-1]:
        for col in range(1, len(row)):
            if is_blank(row[col]):
                row[col] = row[col - 1]
    return Grid(rows=rows[first + mapping.header_rows :], header_paths=_header_paths(header))


READERS = {".xlsx": read_xlsx, ".csv": read_csv}


def _column_positions(path: Path, grid: Grid, mapping: ColumnMapping) -> dict[str, tuple[int, str]]:
    """field → (column index, header as written), for every mapped header."""
    found: dict[str, list[int]] = {}
    for index, text in enumerate(grid.header_paths):
        if text:
            found.setdefault(header_key(text), []).append(index)
    positions: dict[str, tuple[int, str]] = {}
    problems = []
    for key, target in mapping.columns.items():
        indexes = found.get(key, [])
        if not indexes:
            shown = "; ".join(f"'{h}'" for h in grid.header_paths if h)
            problems.append(f"column '{key}' of {mapping.source.name} not found in the header; the header has: {shown}")
        elif len(indexes) > 1:
            letters = ", ".join(get_column_letter(i + 1) for i in indexes)
            problems.append(f"column '{key}' appears more than once in the header (columns {letters})")
        else:
            positions[target] = (indexes[0], grid.header_paths[indexes[0]])
    if problems:
        raise ImportFileError(path, problems)
    return positions


def _data_rows(grid: Grid, mapping: ColumnMapping) -> Iterator[tuple[int, list[object]]]:
    for number, cells in grid.rows:
        filled = [cell for cell in cells if not is_blank(cell)]
        if not filled:
            continue
        if mapping.skip_rows_matching and mapping.skip_rows_matching.search(clean_text(filled[0])):
            continue
        yield number, cells


def _value(mapping: ColumnMapping, target: str, dtype: str, cell: object) -> object:
    if target in mapping.values and not is_blank(cell):
        try:
            cell = mapping.coded(target, clean_text(cell))
        except KeyError as exc:
            raise ValueError(f"'{clean_text(cell)}' is not one of the coded values {exc.args[0]}") from None
    return coerce(target, dtype, cell)


def read_export(path: Path, mapping: ColumnMapping) -> list[SourceRow]:
    """Every data row of an export as a typed record; any bad cell refuses the whole file."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ImportFileError(path, [f"unsupported file type '{path.suffix}'; use .xlsx or .csv"])
    grid = reader(path, mapping)
    positions = _column_positions(path, grid, mapping)
    fields = raw_columns(mapping.table)
    constants = {name: coerce(name, fields[name][0], value) for name, value in mapping.constants.items()}
    exported_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    problems: list[str] = []
    rows: list[SourceRow] = []
    for number, cells in _data_rows(grid, mapping):
        record: dict[str, object] = dict(constants)
        where = f"row {number}"
        failed: set[str] = set()
        for target, (index, header) in positions.items():
            cell = cells[index] if index < len(cells) else None
            try:
                record[target] = _value(mapping, target, fields[target][0], cell)
            except ValueError as exc:
                failed.add(target)
                problems.append(f"{where}, column '{header}' ({get_column_letter(index + 1)}): {exc}")
        for name, (_dtype, nullable) in fields.items():
            if not nullable and record.get(name) is None and name not in failed and name != "updated_at":
                header = positions[name][1] if name in positions else name
                problems.append(f"{where}, column '{header}': empty, but {mapping.table}.{name} is required")
        if "updated_at" in fields and record.get("updated_at") is None:
            # No change time in the export: the export's own file time stands for it.
            record["updated_at"] = exported_at
        rows.append(SourceRow(mapping.table, record, where))
    if problems:
        raise ImportFileError(path, problems)
    if not rows:
        raise ImportFileError(path, [f"no data rows below the header (header row {mapping.header_row})"])
    return rows
