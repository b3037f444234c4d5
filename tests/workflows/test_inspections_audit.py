"""Inspections (checklist, findings, recommendations, follow-up due) and the audit log with its exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from tests.workflows.conftest import FakeClock, sign_in
from workflows import WorkflowStore
from workflows.accounts import AuthError, Identity, create_account
from workflows.audit import REGISTRY_CHANGE, export_csv, export_xlsx, list_events, log_event
from workflows.inspections import (
    ChecklistLine,
    InspectionError,
    due_follow_ups,
    list_inspections,
    prefilled_checklist,
    record_follow_up,
    record_inspection,
)

VISIT = date(2026, 11, 2)


def record_visit(store: WorkflowStore, admin: Identity) -> int:
    checklist = prefilled_checklist({"EO-01": 0.8, "OS-02": None, "ML-01": float("nan")})
    checklist[0] = ChecklistLine("EO-01", 0.8, observed_value=0.75, note="Sổ phát hành có 3 văn bản giấy")
    return record_inspection(
        store, admin, unit_code="SO-A", visit_date=VISIT, checklist=checklist,
        findings=["Chưa ký số văn bản mật", "Máy chủ chưa phê duyệt cấp độ"],
        recommendations=[("Ban hành quy chế ký số", date(2026, 12, 1)), ("Lập hồ sơ cấp độ", date(2027, 3, 1))],
        summary="Kiểm tra định kỳ năm 2026",
    )


def test_prefill_keeps_no_data_as_none() -> None:
    lines = prefilled_checklist({"OS-02": None, "EO-01": 0.8, "ML-01": float("nan")})
    assert [(line.metric_id, line.measured_value) for line in lines] == [("EO-01", 0.8), ("ML-01", None), ("OS-02", None)]


def test_inspection_recorded_and_follow_up_falls_due(seeded: WorkflowStore, admin: Identity,
                                                     unit_a: Identity, clock: FakeClock) -> None:
    inspection_id = record_visit(seeded, admin)
    [visit] = list_inspections(seeded, unit_a)
    assert visit.id == inspection_id and visit.inspector == "sokhcn"
    assert [(line.metric_id, line.measured_value, line.observed_value) for line in visit.checklist] == [
        ("EO-01", 0.8, 0.75), ("ML-01", None, None), ("OS-02", None, None)]
    assert visit.findings == ("Chưa ký số văn bản mật", "Máy chủ chưa phê duyệt cấp độ")
    assert due_follow_ups(seeded, admin, until=date(2026, 11, 30)) == []
    [due] = due_follow_ups(seeded, admin, until=date(2026, 12, 1))
    assert (due.text, due.deadline, due.unit_code) == ("Ban hành quy chế ký số", date(2026, 12, 1), "SO-A")
    record_follow_up(seeded, admin, due.id, "Đã có dự thảo quy chế", done=False)
    [still] = due_follow_ups(seeded, admin, until=date(2026, 12, 2))
    assert still.follow_ups[0][2:] == ("Đã có dự thảo quy chế", "open")
    record_follow_up(seeded, admin, due.id, "Quyết định 12/QĐ-STP ban hành quy chế", done=True)
    assert due_follow_ups(seeded, admin, until=date(2026, 12, 2)) == []
    assert [r.status for r in list_inspections(seeded, admin)[0].recommendations] == ["done", "open"]


def test_inspection_input_errors_are_named(seeded: WorkflowStore, admin: Identity) -> None:
    with pytest.raises(InspectionError) as early:
        record_inspection(seeded, admin, unit_code="SO-A", visit_date=VISIT, checklist=[],
                          recommendations=[("Sửa cổng", date(2026, 10, 1))])
    assert "Sửa cổng" in str(early.value) and "01/10/2026" in str(early.value)
    with pytest.raises(InspectionError):
        record_inspection(seeded, admin, unit_code="SO-A", visit_date=VISIT, checklist=[], findings=["  "])
    with pytest.raises(InspectionError):
        record_follow_up(seeded, admin, 999, "x", done=True)
    assert list_inspections(seeded, admin) == []


def test_only_it_admin_records_and_units_see_only_their_own(seeded: WorkflowStore, admin: Identity,
                                                            unit_a: Identity, unit_b: Identity,
                                                            leader: Identity) -> None:
    record_visit(seeded, admin)
    for user in (unit_a, leader):
        with pytest.raises(AuthError):
            record_inspection(seeded, user, unit_code="SO-A", visit_date=VISIT, checklist=[])
    assert list_inspections(seeded, unit_b) == []
    assert due_follow_ups(seeded, unit_b, until=date(2030, 1, 1)) == []
    with pytest.raises(AuthError):
        list_inspections(seeded, unit_b, unit_code="SO-A")
    assert len(list_inspections(seeded, leader)) == 1


def test_audit_has_who_when_what_before_after_for_outside_changes(seeded: WorkflowStore, admin: Identity) -> None:
    log_event(seeded, actor="sokhcn", action=REGISTRY_CHANGE, target="unit:SO-A",
              before={"name": "Sở Tư pháp"}, after={"name": "Sở Tư pháp tỉnh"})
    [event] = list_events(seeded, admin, action=REGISTRY_CHANGE)
    assert (event.actor, event.target, event.before, event.after) == (
        "sokhcn", "unit:SO-A", {"name": "Sở Tư pháp"}, {"name": "Sở Tư pháp tỉnh"})
    assert event.at.startswith("2026-11-02T08:00")
    with pytest.raises(ValueError, match="password"):
        log_event(seeded, actor="x", action="x", after={"password": "lộ"})


def test_audit_exports_neutralise_formulas(seeded: WorkflowStore, admin: Identity) -> None:
    create_account(seeded, "hacker", "mot-mat-khau-dai", "unit", "=cmd|' /C calc'!A0",
                   display_name="@SUM(1+1)*cmd|' /C calc'!A0", actor="sokhcn")
    rows = list(csv.reader(io.StringIO(export_csv(seeded, admin).decode("utf-8-sig"))))
    created = next(r for r in rows if r[3] == "account_create" and r[4] == "hacker")
    assert created[5] == "'=cmd|' /C calc'!A0"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(seeded, admin))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    assert "'=cmd|' /C calc'!A0" in [c.value for c in cells]


def test_audit_access(seeded: WorkflowStore, leader: Identity, unit_a: Identity) -> None:
    assert list_events(seeded, leader)
    with pytest.raises(AuthError):
        export_csv(seeded, leader)
    with pytest.raises(AuthError):
        list_events(seeded, unit_a)
    with pytest.raises(AuthError):
        list_events(seeded, sign_in(seeded, "donvi.b").__class__("sokhcn", "it_admin", None, "forged"))
