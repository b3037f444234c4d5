"""Only verified self-reports reach the scoring engine, and verifying one changes the unit's score."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metrics.engine import self_report_counts
from metrics.periods import Period
from tests.workflows.publishing import BASE_COUNTS, PERIOD, province_rubric, score_into, unit_index
from workflows import WorkflowStore
from workflows.accounts import Identity
from workflows.selfreport import save_draft, submit, verified_counts, verify


def test_verification_changes_the_score(seeded: WorkflowStore, unit_a: Identity, admin: Identity,
                                        tmp_path: Path) -> None:
    rubric = province_rubric()
    report_id = save_draft(seeded, unit_a, period="2026", item_id="SR-03",
                           values={"sr_systems_approved": 1, "sr_systems_total": 4},
                           doc_number="45/QĐ-STP", doc_date=date(2026, 2, 3))
    submit(seeded, unit_a, report_id)

    def score() -> float:
        con = score_into(tmp_path / "scores.duckdb", rubric, [*BASE_COUNTS, *counts_for_period()])
        try:
            return unit_index(con, "SO-A")
        finally:
            con.close()

    def counts_for_period() -> list[tuple[str, str, str, float]]:
        spread = self_report_counts(verified_counts(seeded), [Period.parse(PERIOD)])
        return list(spread.itertuples(index=False, name=None))

    pending = score()
    verify(seeded, admin, report_id)
    verified = score()
    # EO-01: 6 × (0.80 / 0.95) of 6; SR-03 adds 2 × 1/4 of 2 once verified
    assert pending == pytest.approx(100 * (6 * 0.8 / 0.95) / 6)
    assert verified == pytest.approx(100 * (6 * 0.8 / 0.95 + 0.5) / 8)
    assert verified != pending
