"""Disputes: raised within the window on one's own published metric, accepted into a new traceable version."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from metrics.publication import published_ranking
from tests.workflows.conftest import FakeClock, sign_in
from tests.workflows.publishing import PERIOD, province_rubric, publish_period
from workflows import WorkflowStore
from workflows.accounts import AuthError, Identity
from workflows.audit import list_events
from workflows.disputes import (
    DisputeError,
    decide_dispute,
    list_disputes,
    list_publications,
    published_history,
    published_metrics,
    raise_dispute,
)
from workflows.republish import Correction, publication_hash_of

RUBRIC = province_rubric()
RUBRICS = {RUBRIC.id: RUBRIC}


@pytest.fixture
def publication_id(seeded: WorkflowStore, tmp_path: Path) -> int:
    return publish_period(seeded, tmp_path, RUBRIC).publication_id


def test_raise_accept_and_both_versions_are_published(seeded: WorkflowStore, publication_id: int,
                                                      unit_a: Identity, admin: Identity) -> None:
    before = published_ranking(seeded.path, RUBRIC.id, PERIOD)
    [eo01] = [m for m in published_metrics(seeded, unit_a, publication_id) if m.metric_id == "EO-01"]
    assert (eo01.numerator, eo01.denominator) == (80.0, 100.0)
    ranks = dict(zip(before["unit_code"], before["rank"], strict=True))
    assert ranks["SO-C"] == 1 and ranks["SO-A"] == 2
    with seeded.read() as con:
        frozen = publication_hash_of(con, publication_id)

    dispute_id = raise_dispute(seeded, unit_a, publication_id, "EO-01",
                               "Hệ thống không đếm 15 văn bản ký số qua Trục liên thông", proposed_value=0.95)
    [pending] = list_disputes(seeded, unit_a)
    assert (pending.status, pending.published_value, pending.publication_id) == ("open", 0.8, publication_id)

    decided = decide_dispute(seeded, admin, dispute_id, accept=True, reason="Đã đối chiếu sổ phát hành",
                             correction=Correction(95, 100), rubrics=RUBRICS)
    assert decided.status == "accepted" and decided.corrected_value == 0.95
    assert decided.new_publication_id == publication_id + 1

    history = published_history(seeded, unit_a, RUBRIC.id, PERIOD)
    assert [h["rubric_version"] for h in history] == [RUBRIC.version, f"{RUBRIC.version}+KN{dispute_id}"]
    assert history[0]["index_pct"] == pytest.approx(100 * (6 * 0.8 / 0.95) / 6)
    assert history[1]["index_pct"] == pytest.approx(100.0)
    assert (history[0]["rank"], history[1]["rank"]) == (2, 1)
    after = published_ranking(seeded.path, RUBRIC.id, PERIOD, f"{RUBRIC.version}+KN{dispute_id}")
    assert dict(zip(after["unit_code"], after["rank"], strict=True)) == {"SO-A": 1, "SO-C": 2, "XA-B": 1}
    with seeded.read() as con:
        assert publication_hash_of(con, publication_id) == frozen
    actions = [e.action for e in list_events(seeded, admin)[:3]]
    assert actions[:2] == ["publication", "dispute_accept"]


def test_rejection_needs_a_reason_and_the_unit_sees_it(seeded: WorkflowStore, publication_id: int,
                                                       unit_a: Identity, admin: Identity) -> None:
    dispute_id = raise_dispute(seeded, unit_a, publication_id, "EO-01", "Số liệu chưa đúng")
    with pytest.raises(DisputeError) as no_reason:
        decide_dispute(seeded, admin, dispute_id, accept=False, rubrics=RUBRICS)
    assert no_reason.value.key == "dispute.reason_required"
    decide_dispute(seeded, admin, dispute_id, accept=False, reason="Không có minh chứng", rubrics=RUBRICS)
    [seen] = list_disputes(seeded, unit_a)
    assert (seen.status, seen.decision_reason, seen.decided_by) == ("rejected", "Không có minh chứng", "sokhcn")
    with pytest.raises(DisputeError) as twice:
        decide_dispute(seeded, admin, dispute_id, accept=True, correction=Correction(1, 1), rubrics=RUBRICS)
    assert twice.value.key == "dispute.already_decided"
    assert len(published_history(seeded, unit_a, RUBRIC.id, PERIOD)) == 1


def test_window_closes(seeded: WorkflowStore, publication_id: int, clock: FakeClock) -> None:
    clock.advance(days=14, hours=23)
    unit_a = sign_in(seeded, "donvi.a")
    assert [r.publication_id for r in list_publications(seeded, unit_a, open_only=True)] == [publication_id]
    clock.advance(hours=2)
    unit_a = sign_in(seeded, "donvi.a")
    assert list_publications(seeded, unit_a, open_only=True) == []
    with pytest.raises(DisputeError) as closed:
        raise_dispute(seeded, unit_a, publication_id, "EO-01", "Muộn")
    assert closed.value.key == "dispute.window_closed" and "15 ngày" in str(closed.value)


@pytest.mark.parametrize(
    ("metric", "explanation", "key"),
    [
        pytest.param("EO-99", "x", "dispute.unknown_metric", id="unknown-metric"),
        pytest.param("EO-01", "   ", "dispute.explanation_required", id="no-explanation"),
    ],
)
def test_bad_disputes_are_named(seeded: WorkflowStore, publication_id: int, unit_a: Identity, metric: str,
                                explanation: str, key: str) -> None:
    with pytest.raises(DisputeError) as refused:
        raise_dispute(seeded, unit_a, publication_id, metric, explanation)
    assert refused.value.key == key
    assert list_disputes(seeded, unit_a) == []


def test_unknown_publication(seeded: WorkflowStore, unit_a: Identity) -> None:
    with pytest.raises(DisputeError) as refused:
        raise_dispute(seeded, unit_a, 999, "EO-01", "x")
    assert "999" in str(refused.value)


def test_a_unit_cannot_see_or_dispute_another_units_figures(seeded: WorkflowStore, publication_id: int,
                                                             unit_a: Identity, unit_b: Identity, admin: Identity,
                                                             leader: Identity) -> None:
    dispute_id = raise_dispute(seeded, unit_a, publication_id, "EO-01", "Sai số liệu")
    assert list_disputes(seeded, unit_b) == []
    with pytest.raises(AuthError):
        list_disputes(seeded, unit_b, unit_code="SO-A")
    with pytest.raises(AuthError):
        published_metrics(seeded, unit_b, publication_id, "SO-A")
    with pytest.raises(AuthError):
        published_history(seeded, unit_b, RUBRIC.id, PERIOD, "SO-A")
    with pytest.raises(AuthError):
        decide_dispute(seeded, unit_b, dispute_id, accept=False, reason="x", rubrics=RUBRICS)
    with pytest.raises(AuthError):
        decide_dispute(seeded, leader, dispute_id, accept=False, reason="x", rubrics=RUBRICS)
    assert [m.metric_id for m in published_metrics(seeded, unit_b, publication_id)][:1] == ["EO-01"]
    assert [d.id for d in list_disputes(seeded, admin)] == [dispute_id]
    assert [d.id for d in list_disputes(seeded, leader)] == [dispute_id]


def test_correction_must_be_sane(seeded: WorkflowStore, publication_id: int, unit_a: Identity,
                                 admin: Identity) -> None:
    dispute_id = raise_dispute(seeded, unit_a, publication_id, "EO-01", "Sai")
    for bad in (Correction(-1, 100), Correction(float("nan"), 100)):
        with pytest.raises(DisputeError) as refused:
            decide_dispute(seeded, admin, dispute_id, accept=True, correction=bad, rubrics=RUBRICS)
        assert refused.value.key == "dispute.bad_correction"
    with pytest.raises(DisputeError):
        decide_dispute(seeded, admin, dispute_id, accept=True, rubrics=RUBRICS)
    assert list_disputes(seeded, admin)[0].status == "open"


def test_rescoring_refuses_a_different_rubric_version(seeded: WorkflowStore, publication_id: int,
                                                     unit_a: Identity, admin: Identity) -> None:
    dispute_id = raise_dispute(seeded, unit_a, publication_id, "EO-01", "Sai")
    newer = dataclasses.replace(RUBRIC, version="2099.1")
    with pytest.raises(DisputeError) as refused:
        decide_dispute(seeded, admin, dispute_id, accept=True, correction=Correction(95, 100),
                       rubrics={RUBRIC.id: newer})
    assert refused.value.key == "dispute.rubric_changed" and "2099.1" in str(refused.value)
    assert list_disputes(seeded, admin)[0].status == "open"
    assert len(published_history(seeded, unit_a, RUBRIC.id, PERIOD)) == 1
