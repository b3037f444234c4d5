"""The column mapping file: which vendor column (by its header text) feeds which raw-table field.

Example (TOML):

    table = "documents"             # the raw table the rows go to (metrics/schema.py)
    sheet = "Văn bản"               # xlsx only; default: the first sheet
    header_row = 3                  # first header row, 1-based (title rows above it are skipped)
    header_rows = 2                 # header depth; merged group cells give paths like "Thời hạn / Hạn xử lý"
    skip_rows_matching = "^Tổng"    # rows whose first non-empty cell matches are footers, not data
    delimiter = ","                 # csv only

    [constants]                     # fields the export lacks, the same for every row
    unit_code = "000.01.31.H10"

    [columns]                       # header text (or path) → field; unmapped columns are ignored
    "Số, ký hiệu" = "so_ky_hieu"

    [values.direction]              # cell text → stored value, for coded fields
    "Văn bản đến" = "in"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from importers.coerce import clean_text
from importers.errors import ImportFileError
from importers.fields import raw_columns

KNOWN_KEYS = frozenset(
    {"table", "sheet", "header_row", "header_rows", "skip_rows_matching", "delimiter", "constants", "columns", "values"}
)
HEADER_SEPARATOR = " / "


def header_key(text: str) -> str:
    """How header texts are compared: NFC, whitespace collapsed, case-folded, path separators normalised."""
    parts = [clean_text(part).casefold() for part in re.split(r"\s*/\s*", clean_text(text))]
    return HEADER_SEPARATOR.join(part for part in parts if part)


@dataclass(frozen=True)
class ColumnMapping:
    """A validated mapping file."""

    source: Path
    table: str
    columns: dict[str, str]
    sheet: str | None = None
    header_row: int = 1
    header_rows: int = 1
    skip_rows_matching: re.Pattern[str] | None = None
    delimiter: str = ","
    constants: dict[str, object] = field(default_factory=dict)
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def coded(self, target: str, text: str) -> object:
        """The stored value of a coded cell (matched ignoring case); KeyError names the allowed texts."""
        codes = self.values[target]
        for written, value in codes.items():
            if written.casefold() == text.casefold():
                return value
        raise KeyError(", ".join(f"'{k}'" for k in codes))


def load_mapping(path: Path) -> ColumnMapping:
    """Read and check a mapping file; every problem is reported with the key that has it."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImportFileError(path, ["the mapping file does not exist"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(path, [f"not a valid UTF-8 TOML file: {exc}"]) from None
    problems = [f"unknown key '{key}' (valid keys: {', '.join(sorted(KNOWN_KEYS))})" for key in raw if key not in KNOWN_KEYS]
    table = raw.get("table")
    try:
        fields = raw_columns(str(table))
    except KeyError as exc:
        raise ImportFileError(path, [f"table: {exc.args[0]}"]) from None
    columns = raw.get("columns", {})
    if not isinstance(columns, dict) or not columns:
        problems.append("[columns] is missing or empty: map at least one header to a field")
        columns = {}
    for header, target in columns.items():
        if target not in fields:
            problems.append(f"[columns] \"{header}\" = \"{target}\": '{target}' is not a field of {table}")
    constants = raw.get("constants", {})
    for name in constants:
        if name not in fields:
            problems.append(f"[constants] {name}: not a field of {table}")
    values = raw.get("values", {})
    for name in values:
        if name not in fields:
            problems.append(f"[values.{name}]: not a field of {table}")
    provided = set(columns.values()) | set(constants)
    for name, (_dtype, nullable) in fields.items():
        if not nullable and name not in provided and name != "updated_at":
            problems.append(f"required field '{name}' of {table} is neither in [columns] nor in [constants]")
    for key in ("header_row", "header_rows"):
        if not isinstance(raw.get(key, 1), int) or raw.get(key, 1) < 1:
            problems.append(f"{key} must be a whole number ≥ 1")
    pattern = None
    if "skip_rows_matching" in raw:
        try:
            pattern = re.compile(clean_text(raw["skip_rows_matching"]), re.IGNORECASE)
        except re.error as exc:
            problems.append(f"skip_rows_matching: not a valid regular expression ({exc})")
    if problems:
        raise ImportFileError(path, problems)
    return ColumnMapping(
        source=path,
        table=str(table),
        columns={header_key(header): target for header, target in columns.items()},
        sheet=raw.get("sheet"),
        header_row=raw.get("header_row", 1),
        header_rows=raw.get("header_rows", 1),
        skip_rows_matching=pattern,
        delimiter=raw.get("delimiter", ","),
        constants=dict(constants),
        values={name: {clean_text(k): v for k, v in table_.items()} for name, table_ in values.items()},
    )
