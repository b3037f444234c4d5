"""Disputes of a published score: raised by a unit within a window, decided by the IT department.

An accepted dispute records the corrected numerator and denominator and re-publishes the period as a new,
traceable version (:mod:`workflows.republish`) in the same transaction; the original stays frozen.
"""

from __future__ import annotations

import math
import sqlite3
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from metrics.rubric import Rubric, load_rubrics
from workflows import audit
from workflows.accounts import AuthError, Identity, validate_session
from workflows.republish import Correction, republish_with_correction
from workflows.store import WorkflowStore, from_text, to_text
from workflows.texts import WorkflowError

DISPUTE_WINDOW = timedelta(days=15)


class DisputeError(WorkflowError):
    """A dispute refused; the message names what was wrong."""


@dataclass(frozen=True)
class PublishedRun:
    """One frozen publication."""

    publication_id: int
    rubric_id: str
    rubric_version: str
    period: str
    published_at: datetime
    dispute_until: datetime


@dataclass(frozen=True)
class PublishedMetric:
    """One unit's frozen metric row."""

    metric_id: str
    block: str | None
    numerator: float | None
    denominator: float | None
    value: float | None
    status: str | None
    points: float | None
    max_points: float | None


@dataclass(frozen=True)
class Dispute:
    """A dispute and every step of its decision."""

    id: int
    publication_id: int
    unit_code: str
    metric_id: str
    published_value: float | None
    proposed_value: float | None
    explanation: str
    status: str
    raised_by: str
    raised_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    corrected_value: float | None
    new_publication_id: int | None


def _dispute(row: sqlite3.Row) -> Dispute:
    # the publication ids are stored in TEXT columns; publications themselves use integer ids
    values = dict(row)
    values["publication_id"] = int(values["publication_id"])
    if values["new_publication_id"] is not None:
        values["new_publication_id"] = int(values["new_publication_id"])
    return Dispute(**values)


RUNS_SQL = """
SELECT publication_id, rubric_id, rubric_version, period, published_at FROM publication_runs
WHERE (:unit_code IS NULL OR publication_id IN (
    SELECT publication_id FROM publication_unit_scores WHERE unit_code = :unit_code))
ORDER BY published_at DESC, publication_id DESC
"""


def _run(row: sqlite3.Row, window: timedelta) -> PublishedRun:
    published = from_text(row["published_at"])
    return PublishedRun(row["publication_id"], row["rubric_id"], row["rubric_version"], row["period"], published,
                        published + window)


def list_publications(
    store: WorkflowStore, identity: Identity, *, open_only: bool = False, window: timedelta = DISPUTE_WINDOW
) -> list[PublishedRun]:
    """Publications the viewer appears in (a unit) or all (others); ``open_only`` keeps those still disputable."""
    user = validate_session(store, identity)
    now = store.clock()
    with store.read() as con:
        rows = con.execute(RUNS_SQL, {"unit_code": user.unit_code if user.role == "unit" else None}).fetchall()
    runs = [_run(r, window) for r in rows]
    return [r for r in runs if r.dispute_until >= now] if open_only else runs


UNIT_METRICS_SQL = """
SELECT metric_id, block, numerator, denominator, value, status, points, max_points
FROM publication_metric_scores WHERE publication_id = ? AND unit_code = ? ORDER BY metric_id
"""


def _visible_unit(user: Identity, unit_code: str | None) -> str:
    if user.role == "unit":
        if unit_code not in (None, user.unit_code):
            raise AuthError("auth.forbidden")
        return str(user.unit_code)
    if not unit_code:
        raise AuthError("auth.forbidden")
    return unit_code


def published_metrics(
    store: WorkflowStore, identity: Identity, publication_id: int, unit_code: str | None = None
) -> list[PublishedMetric]:
    """A unit's frozen metric rows of one publication; a unit user gets only its own."""
    user = validate_session(store, identity)
    unit = _visible_unit(user, unit_code)
    with store.read() as con:
        return [PublishedMetric(**dict(r)) for r in con.execute(UNIT_METRICS_SQL, (publication_id, unit))]


HISTORY_SQL = """
SELECT r.publication_id, r.rubric_version, r.published_at, r.published_by, u.points, u.applicable_max,
       u.index_pct, u.rank, u.class_label
FROM publication_runs AS r JOIN publication_unit_scores AS u USING (publication_id)
WHERE r.rubric_id = ? AND r.period = ? AND u.unit_code = ?
ORDER BY r.publication_id
"""


def published_history(
    store: WorkflowStore, identity: Identity, rubric_id: str, period: str, unit_code: str | None = None
) -> list[dict[str, object]]:
    """Every published version of one unit's score for a period, oldest first."""
    user = validate_session(store, identity)
    unit = _visible_unit(user, unit_code)
    with store.read() as con:
        return [dict(r) for r in con.execute(HISTORY_SQL, (rubric_id, period, unit))]


RUN_SQL = "SELECT publication_id, rubric_id, rubric_version, period, published_at FROM publication_runs WHERE publication_id = ?"
PUBLISHED_METRIC_SQL = """
SELECT value FROM publication_metric_scores WHERE publication_id = ? AND unit_code = ? AND metric_id = ?
"""
INSERT_DISPUTE_SQL = """
INSERT INTO disputes (publication_id, unit_code, metric_id, published_value, proposed_value, explanation, status,
                      raised_by, raised_at)
VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)
"""


def raise_dispute(
    store: WorkflowStore,
    identity: Identity,
    publication_id: int,
    metric_id: str,
    explanation: str,
    proposed_value: float | None = None,
    *,
    window: timedelta = DISPUTE_WINDOW,
) -> int:
    """A unit disputes one metric of its own published score; returns the dispute id."""
    user = validate_session(store, identity)
    if user.role != "unit" or not user.unit_code:
        raise AuthError("auth.forbidden")
    explanation = unicodedata.normalize("NFC", explanation.strip())
    if not explanation:
        raise DisputeError("dispute.explanation_required")
    if proposed_value is not None and not math.isfinite(proposed_value):
        raise DisputeError("dispute.bad_correction", problem=str(proposed_value))
    now = store.clock()
    with store.write() as con:
        run = con.execute(RUN_SQL, (publication_id,)).fetchone()
        if run is None:
            raise DisputeError("dispute.unknown_publication", publication=publication_id)
        published = _run(run, window)
        if now > published.dispute_until:
            raise DisputeError("dispute.window_closed", days=window.days,
                               published=published.published_at.strftime("%d/%m/%Y"))
        metric = con.execute(PUBLISHED_METRIC_SQL, (publication_id, user.unit_code, metric_id)).fetchone()
        if metric is None:
            raise DisputeError("dispute.unknown_metric", metric=metric_id)
        cursor = con.execute(INSERT_DISPUTE_SQL, (publication_id, user.unit_code, metric_id, metric["value"],
                                                  proposed_value, explanation, user.username, to_text(now)))
        dispute_id = int(cursor.lastrowid or 0)
        audit.record(con, at=now, actor=user.username, action=audit.DISPUTE_RAISE, target=f"dispute:{dispute_id}",
                     unit_code=user.unit_code,
                     after={"publication_id": publication_id, "metric_id": metric_id,
                            "published_value": metric["value"], "proposed_value": proposed_value,
                            "explanation": explanation})
    return dispute_id


DISPUTE_SQL = "SELECT * FROM disputes WHERE id = ?"
DECIDE_SQL = """
UPDATE disputes SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?, corrected_value = ?,
                    new_publication_id = ?
WHERE id = ? AND status = 'open'
"""


def decide_dispute(
    store: WorkflowStore,
    admin: Identity,
    dispute_id: int,
    *,
    accept: bool,
    reason: str = "",
    correction: Correction | None = None,
    rubrics: Mapping[str, Rubric] | None = None,
) -> Dispute:
    """Accept (with the corrected counts; re-publishes) or reject (with a reason) an open dispute."""
    user = validate_session(store, admin)
    if user.role != "it_admin":
        raise AuthError("auth.forbidden")
    reason = unicodedata.normalize("NFC", reason.strip())
    if not accept and not reason:
        raise DisputeError("dispute.reason_required")
    if accept and correction is None:
        raise DisputeError("dispute.value_required")
    if correction is not None:
        _check_correction(correction)
    available = rubrics if rubrics is not None else load_rubrics()
    now = store.clock()
    with store.write() as con:
        row = con.execute(DISPUTE_SQL, (dispute_id,)).fetchone()
        if row is None:
            raise DisputeError("dispute.not_found", id=dispute_id)
        if row["status"] != "open":
            raise DisputeError("dispute.already_decided", id=dispute_id, status=row["status"])
        new_publication_id = None
        corrected_value = None
        if accept and correction is not None:
            run = con.execute(RUN_SQL, (row["publication_id"],)).fetchone()
            rubric = available.get(run["rubric_id"])
            if rubric is None:
                raise DisputeError("dispute.unknown_publication", publication=run["rubric_id"])
            published_version = run["rubric_version"].split("+KN")[0]
            if rubric.version != published_version:
                raise DisputeError("dispute.rubric_changed", rubric=rubric.id, published=published_version,
                                   current=rubric.version)
            new_publication_id = republish_with_correction(
                con, rubric, row["publication_id"], row["unit_code"], row["metric_id"], correction,
                dispute_id=dispute_id, published_at=now.isoformat(), published_by=user.username)
            corrected_value = correction.numerator / correction.denominator if correction.denominator else None
        status = "accepted" if accept else "rejected"
        con.execute(DECIDE_SQL, (status, user.username, to_text(now), reason or None, corrected_value,
                                 new_publication_id, dispute_id))
        audit.record(
            con, at=now, actor=user.username,
            action=audit.DISPUTE_ACCEPT if accept else audit.DISPUTE_REJECT, target=f"dispute:{dispute_id}",
            unit_code=row["unit_code"], before={"status": "open", "published_value": row["published_value"]},
            after={"status": status, "reason": reason or None, "corrected_value": corrected_value,
                   "correction": None if correction is None else [correction.numerator, correction.denominator],
                   "new_publication_id": new_publication_id},
        )
        if new_publication_id is not None:
            audit.record(con, at=now, actor=user.username, action=audit.PUBLICATION,
                         target=f"publication:{new_publication_id}", unit_code=row["unit_code"],
                         before={"publication_id": row["publication_id"]},
                         after={"publication_id": new_publication_id, "dispute_id": dispute_id})
        decided = con.execute(DISPUTE_SQL, (dispute_id,)).fetchone()
    return _dispute(decided)


def _check_correction(correction: Correction) -> None:
    for name, value in (("numerator", correction.numerator), ("denominator", correction.denominator)):
        if not math.isfinite(value) or value < 0:
            raise DisputeError("dispute.bad_correction", problem=f"{name} = {value}")


LIST_DISPUTES_SQL = """
SELECT * FROM disputes
WHERE (:unit_code IS NULL OR unit_code = :unit_code) AND (:status IS NULL OR status = :status)
ORDER BY id DESC
"""


def list_disputes(
    store: WorkflowStore, identity: Identity, *, unit_code: str | None = None, status: str | None = None
) -> list[Dispute]:
    """Disputes the viewer may see: a unit only its own (asking for another unit is refused)."""
    user = validate_session(store, identity)
    if user.role == "unit":
        unit_code = _visible_unit(user, unit_code)
    with store.read() as con:
        rows = con.execute(LIST_DISPUTES_SQL, {"unit_code": unit_code, "status": status}).fetchall()
    return [_dispute(r) for r in rows]
