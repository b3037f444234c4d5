"""On-site inspections by the IT department: checklist prefilled with measured values, findings,
recommendations with deadlines, and their follow-up."""

from __future__ import annotations

import math
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from workflows import audit
from workflows.accounts import AuthError, Identity, validate_session
from workflows.store import WorkflowStore, to_text
from workflows.texts import WorkflowError


class InspectionError(WorkflowError):
    """An inspection record refused; the message names the field."""


@dataclass(frozen=True)
class ChecklistLine:
    """One metric checked on site: what the system measured and what the inspector observed."""

    metric_id: str
    measured_value: float | None
    observed_value: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Recommendation:
    """A recommendation with its deadline and follow-up status."""

    id: int
    inspection_id: int
    unit_code: str
    text: str
    deadline: date
    status: str
    follow_ups: tuple[tuple[str, str, str, str], ...] = ()


@dataclass(frozen=True)
class Inspection:
    """A recorded visit."""

    id: int
    unit_code: str
    visit_date: date
    inspector: str
    summary: str
    checklist: tuple[ChecklistLine, ...]
    findings: tuple[str, ...]
    recommendations: tuple[Recommendation, ...] = field(default=())


def prefilled_checklist(measured: Mapping[str, float | None]) -> list[ChecklistLine]:
    """One line per metric with the unit's current measured value (None stays None: no data is not 0)."""
    return [
        ChecklistLine(metric_id, None if value is None or (isinstance(value, float) and math.isnan(value)) else value)
        for metric_id, value in sorted(measured.items())
    ]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _admin(store: WorkflowStore, identity: Identity) -> Identity:
    user = validate_session(store, identity)
    if user.role != "it_admin":
        raise AuthError("auth.forbidden")
    return user


INSERT_INSPECTION_SQL = """
INSERT INTO inspections (unit_code, visit_date, inspector, summary, created_at) VALUES (?, ?, ?, ?, ?)
"""
INSERT_LINE_SQL = """
INSERT INTO inspection_checklist (inspection_id, metric_id, measured_value, observed_value, note)
VALUES (?, ?, ?, ?, ?)
"""
INSERT_FINDING_SQL = "INSERT INTO inspection_findings (inspection_id, text) VALUES (?, ?)"
INSERT_RECOMMENDATION_SQL = "INSERT INTO recommendations (inspection_id, text, deadline) VALUES (?, ?, ?)"


def record_inspection(
    store: WorkflowStore,
    identity: Identity,
    *,
    unit_code: str,
    visit_date: date,
    checklist: Iterable[ChecklistLine],
    findings: Iterable[str] = (),
    recommendations: Iterable[tuple[str, date | None]] = (),
    summary: str = "",
) -> int:
    """Record a visit with its checklist, findings and recommendations in one transaction."""
    user = _admin(store, identity)
    lines = list(checklist)
    finding_texts = [_clean(f) for f in findings]
    if any(not f for f in finding_texts):
        raise InspectionError("inspection.text_required", what="phát hiện / finding")
    recs = [(_clean(text), deadline) for text, deadline in recommendations]
    for text, deadline in recs:
        if not text:
            raise InspectionError("inspection.text_required", what="kiến nghị / recommendation")
        if not isinstance(deadline, date):
            raise InspectionError("inspection.deadline_required", text=text)
        if deadline < visit_date:
            raise InspectionError("inspection.deadline_before_visit", text=text, deadline=deadline.strftime("%d/%m/%Y"),
                                  visit=visit_date.strftime("%d/%m/%Y"))
    now = store.clock()
    with store.write() as con:
        cursor = con.execute(INSERT_INSPECTION_SQL, (unit_code, visit_date.isoformat(), user.username,
                                                     _clean(summary), to_text(now)))
        inspection_id = int(cursor.lastrowid or 0)
        con.executemany(INSERT_LINE_SQL, [(inspection_id, line.metric_id, line.measured_value, line.observed_value,
                                           _clean(line.note)) for line in lines])
        con.executemany(INSERT_FINDING_SQL, [(inspection_id, text) for text in finding_texts])
        con.executemany(INSERT_RECOMMENDATION_SQL, [(inspection_id, text, d.isoformat()) for text, d in recs])
        audit.record(con, at=now, actor=user.username, action=audit.INSPECTION_RECORD,
                     target=f"inspection:{inspection_id}", unit_code=unit_code,
                     after={"visit_date": visit_date.isoformat(), "checklist": len(lines),
                            "findings": finding_texts, "recommendations": [[t, d.isoformat()] for t, d in recs]})
    return inspection_id


RECOMMENDATION_SQL = """
SELECT r.id, r.inspection_id, i.unit_code, r.text, r.deadline, r.status
FROM recommendations AS r JOIN inspections AS i ON i.id = r.inspection_id WHERE r.id = ?
"""
INSERT_FOLLOW_UP_SQL = "INSERT INTO follow_ups (recommendation_id, at, by_user, note, status) VALUES (?, ?, ?, ?, ?)"
SET_RECOMMENDATION_STATUS_SQL = "UPDATE recommendations SET status = ? WHERE id = ?"


def record_follow_up(store: WorkflowStore, identity: Identity, recommendation_id: int, note: str,
                     *, done: bool) -> None:
    """Note progress on a recommendation; ``done`` closes it."""
    user = _admin(store, identity)
    note = _clean(note)
    if not note:
        raise InspectionError("inspection.text_required", what="ghi chú theo dõi / follow-up note")
    now = store.clock()
    status = "done" if done else "open"
    with store.write() as con:
        row = con.execute(RECOMMENDATION_SQL, (recommendation_id,)).fetchone()
        if row is None:
            raise InspectionError("inspection.not_found", id=recommendation_id)
        con.execute(INSERT_FOLLOW_UP_SQL, (recommendation_id, to_text(now), user.username, note, status))
        con.execute(SET_RECOMMENDATION_STATUS_SQL, (status, recommendation_id))
        audit.record(con, at=now, actor=user.username, action=audit.FOLLOW_UP,
                     target=f"recommendation:{recommendation_id}", unit_code=row["unit_code"],
                     before={"status": row["status"]}, after={"status": status, "note": note})


LIST_INSPECTIONS_SQL = """
SELECT id, unit_code, visit_date, inspector, summary FROM inspections
WHERE (:unit_code IS NULL OR unit_code = :unit_code) ORDER BY visit_date DESC, id DESC
"""
LINES_SQL = """
SELECT metric_id, measured_value, observed_value, note FROM inspection_checklist
WHERE inspection_id = ? ORDER BY metric_id
"""
FINDINGS_SQL = "SELECT text FROM inspection_findings WHERE inspection_id = ? ORDER BY id"
RECOMMENDATIONS_SQL = """
SELECT r.id, r.inspection_id, i.unit_code, r.text, r.deadline, r.status
FROM recommendations AS r JOIN inspections AS i ON i.id = r.inspection_id
WHERE r.inspection_id = ? ORDER BY r.deadline, r.id
"""
FOLLOW_UPS_SQL = "SELECT at, by_user, note, status FROM follow_ups WHERE recommendation_id = ? ORDER BY id"


def _recommendation(con: sqlite3.Connection, row: sqlite3.Row) -> Recommendation:
    follow = tuple(tuple(f) for f in con.execute(FOLLOW_UPS_SQL, (row["id"],)))
    return Recommendation(int(row["id"]), int(row["inspection_id"]), str(row["unit_code"]), str(row["text"]),
                          date.fromisoformat(str(row["deadline"])), str(row["status"]), follow)


def _visible_unit(user: Identity, unit_code: str | None) -> str | None:
    if user.role == "unit":
        if unit_code not in (None, user.unit_code):
            raise AuthError("auth.forbidden")
        return user.unit_code
    return unit_code


def list_inspections(store: WorkflowStore, identity: Identity, unit_code: str | None = None) -> list[Inspection]:
    """Inspections the viewer may see (a unit only its own), newest first, with everything recorded."""
    user = validate_session(store, identity)
    unit_code = _visible_unit(user, unit_code)
    with store.read() as con:
        out = []
        for row in con.execute(LIST_INSPECTIONS_SQL, {"unit_code": unit_code}).fetchall():
            lines = tuple(ChecklistLine(**dict(r)) for r in con.execute(LINES_SQL, (row["id"],)))
            findings = tuple(r["text"] for r in con.execute(FINDINGS_SQL, (row["id"],)))
            recs = tuple(_recommendation(con, r) for r in con.execute(RECOMMENDATIONS_SQL, (row["id"],)).fetchall())
            out.append(Inspection(row["id"], row["unit_code"], date.fromisoformat(row["visit_date"]),
                                  row["inspector"], row["summary"], lines, findings, recs))
    return out


DUE_SQL = """
SELECT r.id, r.inspection_id, i.unit_code, r.text, r.deadline, r.status
FROM recommendations AS r JOIN inspections AS i ON i.id = r.inspection_id
WHERE r.status = 'open' AND r.deadline <= :until AND (:unit_code IS NULL OR i.unit_code = :unit_code)
ORDER BY r.deadline, r.id
"""


def due_follow_ups(store: WorkflowStore, identity: Identity, *, until: date,
                   unit_code: str | None = None) -> list[Recommendation]:
    """Open recommendations whose deadline is on or before ``until`` (overdue or due)."""
    user = validate_session(store, identity)
    unit_code = _visible_unit(user, unit_code)
    with store.read() as con:
        rows = con.execute(DUE_SQL, {"until": until.isoformat(), "unit_code": unit_code}).fetchall()
        return [_recommendation(con, r) for r in rows]
