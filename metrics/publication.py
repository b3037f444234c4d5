"""Publication: freeze a period's ranking with its rubric version, time and a hash of its inputs.

Published rows live in the workflow store `<data_dir>/workflow.sqlite` (SQLite, WAL mode), in tables prefixed
`publication_`. Triggers refuse any UPDATE or DELETE, so later data never changes a published ranking. One
publication per (rubric, rubric version, period): re-scoring under a new rubric version is published beside
the old one, and `compare_versions` lines the two up.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics.rubric import Rubric

WORKFLOW_DB_NAME = "workflow.sqlite"

PUBLICATION_DDL = """
CREATE TABLE IF NOT EXISTS publication_runs (
    publication_id INTEGER PRIMARY KEY AUTOINCREMENT,
    rubric_id TEXT NOT NULL, rubric_version TEXT NOT NULL, period TEXT NOT NULL,
    published_at TEXT NOT NULL, published_by TEXT, input_hash TEXT NOT NULL, rubric_hash TEXT NOT NULL,
    units INTEGER NOT NULL, scores_computed_at TEXT,
    UNIQUE (rubric_id, rubric_version, period)
);
CREATE TABLE IF NOT EXISTS publication_unit_scores (
    publication_id INTEGER NOT NULL REFERENCES publication_runs(publication_id), unit_code TEXT NOT NULL,
    level TEXT, points REAL, applicable_max REAL, index_pct REAL, rank INTEGER, rank_prev INTEGER,
    rank_change INTEGER, class_label TEXT, provisional INTEGER, provisional_reason TEXT,
    PRIMARY KEY (publication_id, unit_code)
);
CREATE TABLE IF NOT EXISTS publication_metric_scores (
    publication_id INTEGER NOT NULL REFERENCES publication_runs(publication_id), unit_code TEXT NOT NULL,
    metric_id TEXT NOT NULL, block TEXT, numerator REAL, denominator REAL, value REAL, applicable INTEGER,
    status TEXT, points REAL, max_points REAL,
    PRIMARY KEY (publication_id, unit_code, metric_id)
);
CREATE TRIGGER IF NOT EXISTS publication_runs_frozen_update BEFORE UPDATE ON publication_runs
BEGIN SELECT RAISE(ABORT, 'published rankings are frozen; publish a new rubric version instead'); END;
CREATE TRIGGER IF NOT EXISTS publication_runs_frozen_delete BEFORE DELETE ON publication_runs
BEGIN SELECT RAISE(ABORT, 'published rankings are frozen; publish a new rubric version instead'); END;
CREATE TRIGGER IF NOT EXISTS publication_units_frozen_update BEFORE UPDATE ON publication_unit_scores
BEGIN SELECT RAISE(ABORT, 'published rankings are frozen'); END;
CREATE TRIGGER IF NOT EXISTS publication_units_frozen_delete BEFORE DELETE ON publication_unit_scores
BEGIN SELECT RAISE(ABORT, 'published rankings are frozen'); END;
CREATE TRIGGER IF NOT EXISTS publication_metrics_frozen_update BEFORE UPDATE ON publication_metric_scores
BEGIN SELECT RAISE(ABORT, 'published rankings are frozen'); END;
CREATE TRIGGER IF NOT EXISTS publication_metrics_frozen_delete BEFORE DELETE ON publication_metric_scores
BEGIN SELECT RAISE(ABORT, 'published rankings are frozen'); END;
"""

SELECT_UNIT_ROWS = """
SELECT unit_code, level, points, applicable_max, index_pct, rank, rank_prev, rank_change, class_label,
       provisional, provisional_reason, computed_at
FROM unit_scores WHERE rubric_id = ? AND rubric_version = ? AND period = ? ORDER BY unit_code
"""
SELECT_METRIC_ROWS = """
SELECT unit_code, metric_id, block, numerator, denominator, value, applicable, status, points, max_points
FROM metric_scores WHERE rubric_id = ? AND rubric_version = ? AND period = ? ORDER BY unit_code, metric_id
"""
SELECT_EXISTING = "SELECT published_at FROM publication_runs WHERE rubric_id = ? AND rubric_version = ? AND period = ?"
INSERT_RUN = """
INSERT INTO publication_runs (rubric_id, rubric_version, period, published_at, published_by, input_hash,
                              rubric_hash, units, scores_computed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_UNIT = "INSERT INTO publication_unit_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_METRIC = "INSERT INTO publication_metric_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
SELECT_PUBLISHED = """
SELECT r.rubric_version, r.published_at, r.input_hash, u.*
FROM publication_unit_scores u JOIN publication_runs r USING (publication_id)
WHERE r.rubric_id = ? AND r.period = ? AND (? IS NULL OR r.rubric_version = ?)
ORDER BY r.rubric_version, u.level, u.rank IS NULL, u.rank, u.unit_code
"""


class PublicationError(RuntimeError):
    """A publication was refused; the message says why and what to do."""


@dataclass(frozen=True)
class Publication:
    publication_id: int
    rubric_id: str
    rubric_version: str
    period: str
    published_at: str
    input_hash: str
    units: int


def open_workflow_db(path: Path | str) -> sqlite3.Connection:
    """Open (creating) the workflow SQLite file in WAL mode with the publication tables."""
    conn = sqlite3.connect(str(path), timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(PUBLICATION_DDL)
    return conn


def _clean(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):  # numpy scalars: sqlite3 would store them as blobs
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    return value


def input_hash(rubric_version: str, metric_rows: pd.DataFrame) -> str:
    """SHA-256 of the rubric version and every metric row's counts and status, in a canonical order."""
    payload = [rubric_version] + [
        [_clean(v) for v in row] for row in metric_rows[
            ["unit_code", "metric_id", "numerator", "denominator", "status"]].itertuples(index=False)
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def publish(
    con: duckdb.DuckDBPyConnection,
    workflow_path: Path | str,
    rubric: Rubric,
    period: str,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    published_by: str | None = None,
) -> Publication:
    """Freeze the stored scores of (rubric, period) from `con` into the workflow store."""
    units = con.execute(SELECT_UNIT_ROWS, [rubric.id, rubric.version, period]).df()
    if units.empty:
        raise PublicationError(f"no scores for rubric {rubric.id} {rubric.version} in {period}; "
                               "run the scoring (refresh_scores) for that period first")
    metrics = con.execute(SELECT_METRIC_ROWS, [rubric.id, rubric.version, period]).df()
    digest = input_hash(rubric.version, metrics)
    rubric_hash = hashlib.sha256(Path(rubric.source_path).read_bytes()).hexdigest() if Path(
        rubric.source_path).is_file() else hashlib.sha256(rubric.version.encode()).hexdigest()
    published_at = clock().isoformat()
    conn = open_workflow_db(workflow_path)
    try:
        existing = conn.execute(SELECT_EXISTING, [rubric.id, rubric.version, period]).fetchone()
        if existing:
            raise PublicationError(f"{rubric.id} {rubric.version} {period} was already published at {existing[0]}; "
                                   "a published ranking is frozen — publish under a new rubric version to re-score")
        with conn:
            cursor = conn.execute(INSERT_RUN, [rubric.id, rubric.version, period, published_at, published_by, digest,
                                               rubric_hash, len(units), str(units["computed_at"].max())])
            pid = int(cursor.lastrowid or 0)
            conn.executemany(INSERT_UNIT, [
                [pid, *(_clean(v) for v in row)] for row in units.drop(columns="computed_at").itertuples(index=False)])
            conn.executemany(INSERT_METRIC, [[pid, *(_clean(v) for v in row)] for row in metrics.itertuples(index=False)])
    finally:
        conn.close()
    return Publication(pid, rubric.id, rubric.version, period, published_at, digest, len(units))


def published_ranking(workflow_path: Path | str, rubric_id: str, period: str,
                      rubric_version: str | None = None) -> pd.DataFrame:
    """The frozen unit rows of a publication (all published versions unless one is named)."""
    conn = open_workflow_db(workflow_path)
    try:
        return pd.read_sql_query(SELECT_PUBLISHED, conn, params=[rubric_id, period, rubric_version, rubric_version])
    finally:
        conn.close()


def compare_versions(workflow_path: Path | str, rubric_id: str, period: str, version_a: str,
                     version_b: str) -> pd.DataFrame:
    """Side by side: each unit's index, rank and class under two published rubric versions."""
    rows = published_ranking(workflow_path, rubric_id, period)
    cols = ["unit_code", "level", "index_pct", "rank", "class_label"]
    a = rows[rows["rubric_version"] == version_a][cols]
    b = rows[rows["rubric_version"] == version_b][cols]
    merged = a.merge(b, on=["unit_code", "level"], how="outer", suffixes=(f"_{version_a}", f"_{version_b}"))
    merged["index_change"] = merged[f"index_pct_{version_b}"] - merged[f"index_pct_{version_a}"]
    return merged
