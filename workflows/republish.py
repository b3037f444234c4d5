"""Re-score a frozen publication with one corrected metric, published beside it as a new, traceable version.

A published ranking is never changed (``metrics.publication`` refuses UPDATE and DELETE). An accepted
dispute instead copies the publication, re-scores the disputed metric from the corrected numerator and
denominator with the rubric's own scoring function, recomputes that unit's index, the level's ranks and the
classes, and inserts it as rubric version ``<version>+KN<dispute id>``.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from metrics import scoring
from metrics.publication import input_hash
from metrics.rubric import Metric, Rubric
from workflows.texts import WorkflowError

CORRECTABLE_FUNCTIONS = ("linear", "linear_target", "banded", "inverse_linear", "given", "checklist")


@dataclass(frozen=True)
class Correction:
    """The corrected numerator and denominator of one metric of one unit."""

    numerator: float
    denominator: float


RUN_SQL = """
SELECT publication_id, rubric_id, rubric_version, period, published_at, input_hash, rubric_hash, units,
       scores_computed_at
FROM publication_runs WHERE publication_id = ?
"""
UNIT_ROWS_SQL = """
SELECT unit_code, level, points, applicable_max, index_pct, rank, rank_prev, rank_change, class_label, provisional,
       provisional_reason
FROM publication_unit_scores WHERE publication_id = ? ORDER BY unit_code
"""
METRIC_ROWS_SQL = """
SELECT unit_code, metric_id, block, numerator, denominator, value, applicable, status, points, max_points
FROM publication_metric_scores WHERE publication_id = ? ORDER BY unit_code, metric_id
"""
INSERT_RUN_SQL = """
INSERT INTO publication_runs (rubric_id, rubric_version, period, published_at, published_by, input_hash,
                              rubric_hash, units, scores_computed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_UNIT_SQL = "INSERT INTO publication_unit_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_METRIC_SQL = "INSERT INTO publication_metric_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _half_up(value: float, decimals: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def metric_points(metric: Metric, level: str, correction: Correction) -> tuple[float | None, float | None, str]:
    """(value, points, status) of one metric from corrected counts, by the rubric's scoring function."""
    if metric.function not in CORRECTABLE_FUNCTIONS:
        raise WorkflowError("dispute.not_correctable", metric=metric.id, function=metric.function)
    num, den = correction.numerator, correction.denominator
    if den == 0:
        if metric.empty == "na":
            return None, None, "na"
        return None, {"zero": 0.0, "full": metric.max_points}[metric.empty], "ok"
    value = float(np.asarray(scoring.ratio(num, den)).reshape(-1)[0]) if metric.function != "given" else num
    if metric.function == "linear_target":
        points = scoring.linear_target(value, metric.max_points, metric.target_for(level))
    elif metric.function == "banded":
        points = scoring.banded(value, metric.max_points, metric.bands)
    elif metric.function == "inverse_linear":
        points = scoring.inverse_linear(value, metric.max_points, metric.zero_at or 1.0)
    else:
        points = scoring.linear(value, metric.max_points)
    return value, float(np.asarray(points).reshape(-1)[0]), "ok"


def _class_label(rubric: Rubric, index_pct: float | None, covered: bool) -> str | None:
    if index_pct is None or not covered:
        return None
    rounded = _half_up(index_pct, 2)
    band = next((c for c in rubric.classes if rounded >= c.min_index - 1e-9), None)
    return band.label_vi if band else None


def _rerank(units: pd.DataFrame, rubric: Rubric) -> pd.Series:
    """Competition ranking (1-2-2-4) within a level, among units that were ranked in the original."""
    key = units["index_pct"].map(
        lambda v: _half_up(v * rubric.index_scale / 100.0, rubric.index_decimals) if v is not None else None)
    rankable = units["rank"].notna() & key.notna()
    ranks = key.where(rankable).astype(float).groupby(units["level"]).rank(method="min", ascending=False)
    return ranks.astype("Int64")


def republish_with_correction(
    con: sqlite3.Connection,
    rubric: Rubric,
    publication_id: int,
    unit_code: str,
    metric_id: str,
    correction: Correction,
    *,
    dispute_id: int,
    published_at: str,
    published_by: str,
) -> int:
    """Insert the corrected copy of ``publication_id`` inside the caller's transaction; return its id."""
    run = con.execute(RUN_SQL, (publication_id,)).fetchone()
    if run is None:
        raise WorkflowError("dispute.unknown_publication", publication=publication_id)
    units = pd.DataFrame([dict(r) for r in con.execute(UNIT_ROWS_SQL, (publication_id,))])
    metrics = pd.DataFrame([dict(r) for r in con.execute(METRIC_ROWS_SQL, (publication_id,))])
    units = units.astype(object).where(units.notna(), None)
    metrics = metrics.astype(object).where(metrics.notna(), None)
    target = (metrics["unit_code"] == unit_code) & (metrics["metric_id"] == metric_id)
    if not target.any():
        raise WorkflowError("dispute.unknown_metric", metric=metric_id)
    level = units.loc[units["unit_code"] == unit_code, "level"].iloc[0]
    value, points, status = metric_points(rubric.metric(metric_id), level, correction)
    row = metrics.index[target][0]
    metrics.loc[row, ["numerator", "denominator", "value", "points", "status", "applicable"]] = [
        correction.numerator, correction.denominator, value, points, status, int(status == "ok")]

    mine = metrics[(metrics["unit_code"] == unit_code) & (metrics["status"] == "ok")]
    total = float(sum(p for p in mine["points"] if p is not None))
    applicable_max = float(mine["max_points"].sum())
    index_pct = 100.0 * total / applicable_max if applicable_max > 0 else None
    covered = applicable_max >= rubric.min_applicable_max - 1e-9
    u = units.index[units["unit_code"] == unit_code][0]
    units.loc[u, ["points", "applicable_max", "index_pct", "class_label"]] = [
        total, applicable_max, index_pct, _class_label(rubric, index_pct, covered)]
    units["rank"] = _rerank(units, rubric)
    units["rank_change"] = [
        None if prev is None or pd.isna(rank) else int(prev) - int(rank)
        for prev, rank in zip(units["rank_prev"], units["rank"], strict=True)
    ]

    version = f"{run['rubric_version']}+KN{dispute_id}"
    digest = input_hash(version, metrics)
    cursor = con.execute(INSERT_RUN_SQL, (run["rubric_id"], version, run["period"], published_at, published_by,
                                          digest, run["rubric_hash"], len(units), run["scores_computed_at"]))
    new_id = int(cursor.lastrowid or 0)
    con.executemany(INSERT_UNIT_SQL, [[new_id, *(_plain(v) for v in r)] for r in units.itertuples(index=False)])
    con.executemany(INSERT_METRIC_SQL, [[new_id, *(_plain(v) for v in r)] for r in metrics.itertuples(index=False)])
    return new_id


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def publication_hash_of(con: sqlite3.Connection, publication_id: int) -> str:
    """A digest of every frozen row of a publication (for tests and audit)."""
    digest = hashlib.sha256()
    for sql in (UNIT_ROWS_SQL, METRIC_ROWS_SQL):
        for row in con.execute(sql, (publication_id,)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
