"""Self-assessment (block E of the rubric, scoring-spec §8.3): drafts, submission, verification, history.

A unit enters the counts of one item for one period with evidence (a file or a document number and date),
keeps it as a draft, then submits. The IT department verifies or rejects with a reason. Only verified values
score (:func:`verified_counts`), the latest verified report per unit, period and item; every row is kept.
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from workflows import audit
from workflows.accounts import AuthError, Identity, validate_session
from workflows.evidence import evidence_info
from workflows.store import WorkflowStore, to_text
from workflows.texts import WorkflowError


@dataclass(frozen=True)
class Item:
    """One self-assessment item: the counts it asks for, and pairs (part, whole) where part <= whole."""

    item_id: str
    counts: tuple[str, ...]
    part_of: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()


ITEMS: dict[str, Item] = {
    item.item_id: item
    for item in (
        Item("SR-01", ("sr_dx_plan_issued", "sr_dx_plan_tasks_done", "sr_dx_plan_tasks_total"),
             part_of=(("sr_dx_plan_tasks_done", "sr_dx_plan_tasks_total"),), flags=("sr_dx_plan_issued",)),
        Item("SR-02", ("sr_signers_active",)),
        Item("SR-03", ("sr_systems_approved", "sr_systems_total"), part_of=(("sr_systems_approved", "sr_systems_total"),)),
        Item("SR-04", ("sr_reports_on_time", "sr_reports_required"),
             part_of=(("sr_reports_on_time", "sr_reports_required"),)),
        Item("PT-04", ("sr_pub_timely", "sr_pub_issued"), part_of=(("sr_pub_timely", "sr_pub_issued"),)),
        Item("PT-05", ("sr_portal_ipv6",), flags=("sr_portal_ipv6",)),
    )
}

PERIOD_PATTERN = re.compile(r"\d{4}(-Q[1-4]|-(0[1-9]|1[0-2])|-YTD-([1-9]|1[0-2]))?")
STATUSES = ("draft", "submitted", "verified", "rejected")


class SelfReportError(WorkflowError):
    """A self-assessment refused, with the field or state that was wrong."""


@dataclass(frozen=True)
class SelfReport:
    """One self-assessment row with its values."""

    id: int
    unit_code: str
    period: str
    item_id: str
    status: str
    values: dict[str, float]
    doc_number: str | None
    doc_date: str | None
    evidence_id: str | None
    note: str
    created_by: str
    created_at: str
    submitted_at: str | None
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None


def _check_values(item: Item, values: Mapping[str, object]) -> dict[str, float]:
    unknown = set(values) - set(item.counts)
    if unknown:
        raise SelfReportError("selfreport.bad_value", item=item.item_id, field=", ".join(sorted(unknown)),
                              problem="không thuộc chỉ tiêu / not part of this item")
    checked: dict[str, float] = {}
    for name in item.counts:
        raw = values.get(name)
        if raw is None or raw == "":
            raise SelfReportError("selfreport.bad_value", item=item.item_id, field=name,
                                  problem="chưa nhập / missing")
        try:
            number = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise SelfReportError("selfreport.bad_value", item=item.item_id, field=name,
                                  problem=f"“{raw}” không phải số / not a number") from None
        if not math.isfinite(number) or number < 0 or number != int(number):
            raise SelfReportError("selfreport.bad_value", item=item.item_id, field=name,
                                  problem=f"{raw} phải là số nguyên không âm / must be a whole number ≥ 0")
        if name in item.flags and number not in (0, 1):
            raise SelfReportError("selfreport.bad_value", item=item.item_id, field=name,
                                  problem=f"{raw} phải là 0 hoặc 1 / must be 0 or 1")
        checked[name] = number
    for part, whole in item.part_of:
        if checked[part] > checked[whole]:
            raise SelfReportError("selfreport.bad_value", item=item.item_id, field=part,
                                  problem=f"{checked[part]:g} > {whole} = {checked[whole]:g}")
    return checked


def _unit_user(store: WorkflowStore, identity: Identity) -> Identity:
    user = validate_session(store, identity)
    if user.role != "unit" or not user.unit_code:
        raise AuthError("auth.forbidden")
    return user


REPORT_SQL = """
SELECT id, unit_code, period, item_id, status, doc_number, doc_date, evidence_id, note, created_by, created_at,
       submitted_at, decided_by, decided_at, decision_reason
FROM self_reports WHERE id = ?
"""
VALUES_SQL = "SELECT count_name, value FROM self_report_values WHERE report_id = ?"


def _load(con: sqlite3.Connection, report_id: int) -> SelfReport | None:
    row = con.execute(REPORT_SQL, (report_id,)).fetchone()
    if row is None:
        return None
    values = {r["count_name"]: r["value"] for r in con.execute(VALUES_SQL, (report_id,))}
    return SelfReport(values=values, **dict(row))


INSERT_REPORT_SQL = """
INSERT INTO self_reports (unit_code, period, item_id, status, doc_number, doc_date, evidence_id, note,
                          created_by, created_at)
VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)
"""
UPDATE_DRAFT_SQL = """
UPDATE self_reports SET period = ?, item_id = ?, doc_number = ?, doc_date = ?, evidence_id = ?, note = ?
WHERE id = ? AND status = 'draft'
"""
DELETE_VALUES_SQL = "DELETE FROM self_report_values WHERE report_id = ?"
INSERT_VALUE_SQL = "INSERT INTO self_report_values (report_id, count_name, value) VALUES (?, ?, ?)"


def save_draft(
    store: WorkflowStore,
    identity: Identity,
    *,
    period: str,
    item_id: str,
    values: Mapping[str, object],
    doc_number: str | None = None,
    doc_date: date | None = None,
    evidence_id: str | None = None,
    note: str = "",
    report_id: int | None = None,
) -> int:
    """Create a draft for the user's own unit, or update one of its drafts; returns the report id."""
    user = _unit_user(store, identity)
    period = period.strip()
    if not PERIOD_PATTERN.fullmatch(period):
        raise SelfReportError("selfreport.bad_period", period=period)
    item = ITEMS.get(item_id)
    if item is None:
        raise SelfReportError("selfreport.unknown_item", item=item_id, items=", ".join(ITEMS))
    checked = _check_values(item, values)
    if evidence_id is not None:
        evidence_info(store, user, evidence_id)
    doc_number = unicodedata.normalize("NFC", doc_number.strip()) if doc_number and doc_number.strip() else None
    note = unicodedata.normalize("NFC", note.strip())
    doc_date_text = doc_date.isoformat() if doc_date else None
    now = store.clock()
    with store.write() as con:
        if report_id is None:
            cursor = con.execute(INSERT_REPORT_SQL, (user.unit_code, period, item.item_id, doc_number, doc_date_text,
                                                     evidence_id, note, user.username, to_text(now)))
            report_id = int(cursor.lastrowid or 0)
            before = None
        else:
            existing = _load(con, report_id)
            if existing is None or existing.unit_code != user.unit_code:
                raise SelfReportError("selfreport.not_found", id=report_id)
            if existing.status != "draft":
                raise SelfReportError("selfreport.bad_state", id=report_id, status=existing.status,
                                      action="sửa / edited")
            before = {"period": existing.period, "item_id": existing.item_id, "values": existing.values}
            con.execute(UPDATE_DRAFT_SQL, (period, item.item_id, doc_number, doc_date_text, evidence_id, note,
                                           report_id))
            con.execute(DELETE_VALUES_SQL, (report_id,))
        con.executemany(INSERT_VALUE_SQL, [(report_id, name, value) for name, value in checked.items()])
        audit.record(con, at=now, actor=user.username, action=audit.SELFREPORT_DRAFT, target=f"selfreport:{report_id}",
                     unit_code=user.unit_code, before=before,
                     after={"period": period, "item_id": item.item_id, "values": checked,
                            "doc_number": doc_number, "doc_date": doc_date_text, "evidence_id": evidence_id})
    return report_id


SET_STATUS_SQL = """
UPDATE self_reports SET status = ?, submitted_by = COALESCE(?, submitted_by), submitted_at = COALESCE(?, submitted_at),
       decided_by = ?, decided_at = ?, decision_reason = ?
WHERE id = ? AND status = ?
"""


def submit(store: WorkflowStore, identity: Identity, report_id: int) -> None:
    """Send a draft of the user's own unit for verification; evidence is required."""
    user = _unit_user(store, identity)
    now = store.clock()
    with store.write() as con:
        report = _load(con, report_id)
        if report is None or report.unit_code != user.unit_code:
            raise SelfReportError("selfreport.not_found", id=report_id)
        if report.status != "draft":
            raise SelfReportError("selfreport.bad_state", id=report_id, status=report.status, action="nộp / submitted")
        if not report.evidence_id and not (report.doc_number and report.doc_date):
            raise SelfReportError("selfreport.missing_evidence", item=report.item_id)
        con.execute(SET_STATUS_SQL, ("submitted", user.username, to_text(now), None, None, None, report_id, "draft"))
        audit.record(con, at=now, actor=user.username, action=audit.SELFREPORT_SUBMIT, target=f"selfreport:{report_id}",
                     unit_code=user.unit_code, before={"status": "draft"},
                     after={"status": "submitted", "values": report.values})


def _decide(store: WorkflowStore, admin: Identity, report_id: int, status: str, reason: str | None) -> None:
    user = validate_session(store, admin)
    if user.role != "it_admin":
        raise AuthError("auth.forbidden")
    now = store.clock()
    action = audit.SELFREPORT_VERIFY if status == "verified" else audit.SELFREPORT_REJECT
    with store.write() as con:
        report = _load(con, report_id)
        if report is None:
            raise SelfReportError("selfreport.not_found", id=report_id)
        if report.status != "submitted":
            raise SelfReportError("selfreport.bad_state", id=report_id, status=report.status,
                                  action="xác minh / verified")
        con.execute(SET_STATUS_SQL, (status, None, None, user.username, to_text(now), reason, report_id, "submitted"))
        audit.record(con, at=now, actor=user.username, action=action, target=f"selfreport:{report_id}",
                     unit_code=report.unit_code, before={"status": "submitted", "values": report.values},
                     after={"status": status, "reason": reason})


def verify(store: WorkflowStore, admin: Identity, report_id: int) -> None:
    """The IT department accepts a submitted report; its values score from now on."""
    _decide(store, admin, report_id, "verified", None)


def reject(store: WorkflowStore, admin: Identity, report_id: int, reason: str) -> None:
    """The IT department returns a submitted report with a reason."""
    reason = unicodedata.normalize("NFC", reason.strip())
    if not reason:
        raise SelfReportError("selfreport.reason_required")
    _decide(store, admin, report_id, "rejected", reason)


LIST_REPORT_IDS_SQL = """
SELECT id FROM self_reports
WHERE (:unit_code IS NULL OR unit_code = :unit_code)
  AND (:status IS NULL OR status = :status)
  AND (:period IS NULL OR period = :period)
ORDER BY id DESC
"""


def list_reports(
    store: WorkflowStore, identity: Identity, *, unit_code: str | None = None, status: str | None = None,
    period: str | None = None,
) -> list[SelfReport]:
    """Reports the viewer may see: a unit only its own (any other ``unit_code`` is refused), others all."""
    user = validate_session(store, identity)
    if user.role == "unit":
        if unit_code not in (None, user.unit_code):
            raise AuthError("auth.forbidden")
        unit_code = user.unit_code
    with store.read() as con:
        ids = [r["id"] for r in con.execute(LIST_REPORT_IDS_SQL,
                                            {"unit_code": unit_code, "status": status, "period": period})]
        return [report for report_id in ids if (report := _load(con, report_id)) is not None]


def get_report(store: WorkflowStore, identity: Identity, report_id: int) -> SelfReport:
    """One report, if the viewer may see its unit; 'not found' otherwise."""
    user = validate_session(store, identity)
    with store.read() as con:
        report = _load(con, report_id)
    if report is None or not user.can_see_unit(report.unit_code):
        raise SelfReportError("selfreport.not_found", id=report_id)
    return report


VERIFIED_COUNTS_SQL = """
WITH latest AS (
    SELECT unit_code, period, item_id, MAX(decided_at) AS decided_at
    FROM self_reports
    WHERE status = 'verified' AND (:period IS NULL OR period = :period)
    GROUP BY unit_code, period, item_id
)
SELECT r.unit_code, r.period, v.count_name, v.value
FROM self_reports AS r
JOIN latest AS l USING (unit_code, period, item_id, decided_at)
JOIN self_report_values AS v ON v.report_id = r.id
WHERE r.status = 'verified'
ORDER BY r.unit_code, r.period, v.count_name
"""


def verified_counts(store: WorkflowStore, period: str | None = None) -> list[tuple[str, str, str, float]]:
    """``(unit_code, period, count_name, value)`` of the latest verified report per unit, period and item."""
    with store.read() as con:
        rows = con.execute(VERIFIED_COUNTS_SQL, {"period": period}).fetchall()
    return [(r["unit_code"], r["period"], r["count_name"], r["value"]) for r in rows]
