"""Self-assessment: drafts, submission with evidence, verification, history, and what scores."""

from __future__ import annotations

from datetime import date

import pytest

from metrics.rubric import load_rubrics
from tests.workflows import files
from tests.workflows.conftest import FakeClock, sign_in
from workflows import WorkflowStore
from workflows.accounts import AuthError, Identity
from workflows.audit import list_events
from workflows.evidence import EvidenceError, store_evidence
from workflows.selfreport import (
    ITEMS,
    SelfReportError,
    get_report,
    list_reports,
    reject,
    save_draft,
    submit,
    verified_counts,
    verify,
)

SR03 = {"sr_systems_approved": 3, "sr_systems_total": 4}


def draft_sr03(store: WorkflowStore, user: Identity, approved: int = 3, **extra: object) -> int:
    extra.setdefault("doc_number", "123/QĐ-STP")
    extra.setdefault("doc_date", date(2026, 3, 1))
    return save_draft(store, user, period="2026", item_id="SR-03",
                      values={"sr_systems_approved": approved, "sr_systems_total": 4}, **extra)


def test_journey_draft_submit_verify_then_it_scores(seeded: WorkflowStore, unit_a: Identity, admin: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a)
    assert verified_counts(seeded) == []
    submit(seeded, unit_a, report_id)
    [pending] = list_reports(seeded, unit_a)
    assert (pending.status, pending.values) == ("submitted", {"sr_systems_approved": 3.0, "sr_systems_total": 4.0})
    assert verified_counts(seeded) == []
    verify(seeded, admin, report_id)
    assert verified_counts(seeded) == [
        ("SO-A", "2026", "sr_systems_approved", 3.0),
        ("SO-A", "2026", "sr_systems_total", 4.0),
    ]
    assert verified_counts(seeded, "2025") == []


def test_newer_verified_report_replaces_the_old_one_and_history_stays(
    seeded: WorkflowStore, unit_a: Identity, admin: Identity, clock: FakeClock
) -> None:
    first = draft_sr03(seeded, unit_a, approved=1)
    submit(seeded, unit_a, first)
    verify(seeded, admin, first)
    clock.advance(days=30)
    unit_a, admin = sign_in(seeded, "donvi.a"), sign_in(seeded, "sokhcn")
    second = draft_sr03(seeded, unit_a, approved=4)
    submit(seeded, unit_a, second)
    assert ("SO-A", "2026", "sr_systems_approved", 1.0) in verified_counts(seeded)
    clock.advance(hours=1)
    verify(seeded, admin, second)
    assert ("SO-A", "2026", "sr_systems_approved", 4.0) in verified_counts(seeded)
    assert [r.status for r in list_reports(seeded, unit_a)] == ["verified", "verified"]


def test_rejected_report_never_scores_and_keeps_the_reason(seeded: WorkflowStore, unit_a: Identity,
                                                           admin: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a)
    submit(seeded, unit_a, report_id)
    with pytest.raises(SelfReportError) as no_reason:
        reject(seeded, admin, report_id, "   ")
    assert no_reason.value.key == "selfreport.reason_required"
    reject(seeded, admin, report_id, "Quyết định phê duyệt không kèm danh mục hệ thống")
    report = get_report(seeded, unit_a, report_id)
    assert (report.status, report.decided_by) == ("rejected", "sokhcn")
    assert report.decision_reason == "Quyết định phê duyệt không kèm danh mục hệ thống"
    assert verified_counts(seeded) == []
    with pytest.raises(SelfReportError) as again:
        verify(seeded, admin, report_id)
    assert again.value.key == "selfreport.bad_state"


def test_submit_needs_evidence(seeded: WorkflowStore, unit_a: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a, doc_number=None, doc_date=None)
    with pytest.raises(SelfReportError) as refused:
        submit(seeded, unit_a, report_id)
    assert refused.value.key == "selfreport.missing_evidence" and "SR-03" in str(refused.value)
    evidence = store_evidence(seeded, unit_a, "qd.pdf", files.pdf_bytes())
    save_draft(seeded, unit_a, period="2026", item_id="SR-03", values=SR03, evidence_id=evidence.id,
               report_id=report_id)
    submit(seeded, unit_a, report_id)


def test_drafts_are_editable_until_submitted(seeded: WorkflowStore, unit_a: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a, approved=1)
    draft_sr03(seeded, unit_a, approved=2, report_id=report_id)
    assert get_report(seeded, unit_a, report_id).values["sr_systems_approved"] == 2.0
    submit(seeded, unit_a, report_id)
    with pytest.raises(SelfReportError) as frozen:
        draft_sr03(seeded, unit_a, approved=4, report_id=report_id)
    assert frozen.value.key == "selfreport.bad_state"
    assert get_report(seeded, unit_a, report_id).values["sr_systems_approved"] == 2.0


@pytest.mark.parametrize(
    ("item", "values", "key", "fragment"),
    [
        pytest.param("SR-09", {}, "selfreport.unknown_item", "SR-09", id="unknown-item"),
        pytest.param("SR-03", {"sr_systems_total": 4}, "selfreport.bad_value", "sr_systems_approved", id="missing"),
        pytest.param("SR-03", {**SR03, "sr_systems_total": "bốn"}, "selfreport.bad_value", "“bốn”", id="not-number"),
        pytest.param("SR-03", {**SR03, "sr_systems_total": -1}, "selfreport.bad_value", "sr_systems_total", id="negative"),
        pytest.param("SR-03", {**SR03, "sr_systems_total": 2.5}, "selfreport.bad_value", "2.5", id="fraction"),
        pytest.param("SR-03", {**SR03, "sr_systems_approved": 5}, "selfreport.bad_value", "5 > sr_systems_total = 4", id="part-over-whole"),
        pytest.param("SR-01", {"sr_dx_plan_issued": 2, "sr_dx_plan_tasks_done": 1, "sr_dx_plan_tasks_total": 1}, "selfreport.bad_value", "0 hoặc 1", id="flag"),
        pytest.param("SR-02", {"sr_signers_active": 3, "hack": 1}, "selfreport.bad_value", "hack", id="unknown-count"),
    ],
)
def test_bad_values_are_named(seeded: WorkflowStore, unit_a: Identity, item: str, values: dict[str, object],
                              key: str, fragment: str) -> None:
    with pytest.raises(SelfReportError) as refused:
        save_draft(seeded, unit_a, period="2026", item_id=item, values=values)
    assert refused.value.key == key and fragment in str(refused.value)
    assert list_reports(seeded, unit_a) == []


def test_bad_period_is_named(seeded: WorkflowStore, unit_a: Identity) -> None:
    with pytest.raises(SelfReportError) as refused:
        save_draft(seeded, unit_a, period="2026-13", item_id="SR-02", values={"sr_signers_active": 1})
    assert "2026-13" in str(refused.value)


def test_unit_cannot_reach_another_units_reports_by_any_function(seeded: WorkflowStore, unit_a: Identity,
                                                                 unit_b: Identity, admin: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a)
    assert list_reports(seeded, unit_b) == []
    with pytest.raises(AuthError):
        list_reports(seeded, unit_b, unit_code="SO-A")
    with pytest.raises(SelfReportError) as hidden:
        get_report(seeded, unit_b, report_id)
    assert hidden.value.key == "selfreport.not_found"
    with pytest.raises(SelfReportError):
        draft_sr03(seeded, unit_b, report_id=report_id)
    with pytest.raises(SelfReportError):
        submit(seeded, unit_b, report_id)
    with pytest.raises(AuthError):
        verify(seeded, unit_b, report_id)
    evidence = store_evidence(seeded, unit_a, "qd.pdf", files.pdf_bytes())
    with pytest.raises(EvidenceError):
        save_draft(seeded, unit_b, period="2026", item_id="SR-03", values=SR03, evidence_id=evidence.id)
    assert [r.unit_code for r in list_reports(seeded, admin)] == ["SO-A"]


def test_leader_reads_but_cannot_verify(seeded: WorkflowStore, unit_a: Identity, leader: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a)
    submit(seeded, unit_a, report_id)
    assert [r.id for r in list_reports(seeded, leader)] == [report_id]
    with pytest.raises(AuthError):
        verify(seeded, leader, report_id)
    with pytest.raises(AuthError):
        save_draft(seeded, leader, period="2026", item_id="SR-03", values=SR03)


def test_every_step_is_audited(seeded: WorkflowStore, unit_a: Identity, admin: Identity) -> None:
    report_id = draft_sr03(seeded, unit_a)
    submit(seeded, unit_a, report_id)
    verify(seeded, admin, report_id)
    steps = [(e.actor, e.action, e.before, e.after) for e in list_events(seeded, admin)
             if e.target == f"selfreport:{report_id}"]
    assert [s[:2] for s in steps] == [("sokhcn", "selfreport_verify"), ("donvi.a", "selfreport_submit"),
                                      ("donvi.a", "selfreport_draft")]
    assert steps[0][2]["status"] == "submitted" and steps[0][3]["status"] == "verified"


def test_items_cover_every_self_reported_count_of_the_province_rubric() -> None:
    rubric = load_rubrics()["province-it"]
    rubric_counts = {name for metric in rubric.metrics for name in metric.count_names if name.startswith("sr_")}
    rubric_counts |= {name for metric in rubric.metrics for term in metric.terms for name in term.numerator
                      if name.startswith("sr_")}
    item_counts = {name for item in ITEMS.values() for name in item.counts}
    assert rubric_counts and rubric_counts <= item_counts
