"""Score counts with the real engine, store them in a real DuckDB file and publish them into the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from metrics.engine import INSERT_ROWS, ensure_score_tables, score_counts
from metrics.publication import Publication, publish
from metrics.rubric import Rubric, load_rubrics
from workflows import WorkflowStore

PERIOD = "2026-10"
UNITS = (("SO-A", "department"), ("SO-C", "department"), ("XA-B", "commune"))

# SO-A signed 80 of 100 outgoing documents, SO-C 90 of 100; XA-B 50 of 60.
BASE_COUNTS = [
    ("SO-A", PERIOD, "eo_out_signed", 80.0), ("SO-A", PERIOD, "eo_out_total", 100.0),
    ("SO-C", PERIOD, "eo_out_signed", 90.0), ("SO-C", PERIOD, "eo_out_total", 100.0),
    ("XA-B", PERIOD, "eo_out_signed", 50.0), ("XA-B", PERIOD, "eo_out_total", 60.0),
]


def province_rubric() -> Rubric:
    """The shipped province rubric, with the coverage floor lowered so a handful of counts can rank."""
    return dataclasses.replace(load_rubrics()["province-it"], min_applicable_max=0)


def score_into(duck_path: Path, rubric: Rubric, counts: Iterable[tuple[str, str, str, float]],
               period: str = PERIOD) -> duckdb.DuckDBPyConnection:
    units = pd.DataFrame([(code, period, level, True, code) for code, level in UNITS],
                         columns=["unit_code", "period", "level", "is_ranked", "name"])
    frame_counts = pd.DataFrame(list(counts), columns=["unit_code", "period", "name", "value"])
    scores = score_counts(rubric, frame_counts, units, [period])
    con = duckdb.connect(str(duck_path))
    ensure_score_tables(con)
    for table, frame in (("metric_scores", scores.metrics), ("unit_scores", scores.units),
                         ("block_scores", scores.blocks)):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
        con.register("frame", frame)
        con.execute(INSERT_ROWS[table])
        con.unregister("frame")
    return con


def unit_index(con: duckdb.DuckDBPyConnection, unit_code: str) -> float:
    return con.execute("SELECT index_pct FROM unit_scores WHERE unit_code = ?", [unit_code]).fetchone()[0]


def publish_period(store: WorkflowStore, tmp_path: Path, rubric: Rubric,
                   counts: Iterable[tuple[str, str, str, float]] = BASE_COUNTS) -> Publication:
    con = score_into(tmp_path / "scores.duckdb", rubric, counts)
    try:
        return publish(con, store.path, rubric, PERIOD, clock=store.clock, published_by="sokhcn")
    finally:
        con.close()
