"""The export tables: headers in the reader's language and rows of plain values (numbers stay numbers).

Both the xlsx and the PDF writer render these, so the two files always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ui import labels
from ui.i18n import text


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # text | int | number | percent (a 0..1 share) | pct (already 0..100)
    width: float  # relative width for the PDF


@dataclass(frozen=True)
class ExportTable:
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[list[Any]]


def _value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return value
    return None if pd.isna(value) else value


def block_columns(frame: pd.DataFrame) -> list[str]:
    return sorted(column for column in frame.columns if column.startswith("block_"))


def ranking_table(frame: pd.DataFrame, lang: str, title: str, subtitle: str) -> ExportTable:
    """The ranking as an export table: rank, movement, unit, index, class, points, blocks, provisional note."""
    blocks = block_columns(frame)
    columns = [
        Column(text("col.rank", lang), "int", 0.6),
        Column(text("col.movement", lang), "text", 0.7),
        Column(text("col.unit_code", lang), "text", 1.3),
        Column(text("col.unit_name", lang), "text", 3.2),
        Column(text("col.index", lang), "pct", 0.9),
        Column(text("col.class", lang), "text", 1.0),
        Column(text("col.points", lang), "number", 0.8),
        Column(text("col.applicable_max", lang), "number", 0.9),
        *[Column(text("col.block", lang, block=name.removeprefix("block_")), "number", 0.6) for name in blocks],
        Column(text("col.note", lang), "text", 2.6),
    ]
    rows = []
    for record in frame.to_dict("records"):
        rows.append([
            _value(record.get("rank")),
            labels.movement(record.get("places_gained")),
            record["unit_code"],
            record["name"],
            _value(record.get("index_pct")),
            labels.class_label(record.get("class_label"), lang, record.get("class_label_en")),
            _value(record.get("points")),
            _value(record.get("applicable_max")),
            *[_value(record.get(name)) for name in blocks],
            labels.provisional_note(record, lang),
        ])
    return ExportTable(title, subtitle, columns, rows)


def unit_card_table(metrics: pd.DataFrame, names: dict[str, str], lang: str, title: str, subtitle: str) -> ExportTable:
    """A unit's report card as an export table: one row per metric."""
    columns = [
        Column(text("col.metric", lang), "text", 0.8),
        Column(text("col.metric_name", lang), "text", 3.0),
        Column(text("col.block", lang, block=""), "text", 0.5),
        Column(text("col.numerator", lang), "number", 0.9),
        Column(text("col.denominator", lang), "number", 0.9),
        Column(text("col.value", lang), "percent", 0.8),
        Column(text("col.points", lang), "number", 0.7),
        Column(text("col.max_points", lang), "number", 0.7),
        Column(text("col.gap", lang), "text", 2.8),
    ]
    gap_column = "gap_vi" if lang == "vi" else "gap_en"
    rows = []
    for record in metrics.to_dict("records"):
        no_data = record.get("status") == "no_data"
        gap = _value(record.get(gap_column))
        rows.append([
            record["metric_id"],
            names.get(record["metric_id"], ""),
            record.get("block"),
            _value(record.get("numerator")),
            _value(record.get("denominator")),
            _value(record.get("value")),
            _value(record.get("points")),
            _value(record.get("max_points")),
            text("status.no_data", lang) if no_data else (text("status.na", lang) if record.get("status") == "na"
                                                          else (gap or "")),
        ])
    return ExportTable(title, subtitle, columns, rows)
