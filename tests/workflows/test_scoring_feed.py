"""The daemon-side hook: refresh_scores on a real DuckDB file picks up a verification made in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from metrics.db import connect
from workflows import WorkflowStore
from workflows.accounts import Identity
from workflows.scoring_feed import refresh_with_self_reports, scoring_hook
from workflows.selfreport import save_draft, submit, verify

UNIT_ROW_SQL = """
INSERT INTO units (unit_code, name, level, headcount, is_ranked, valid_from, registry_hash, loaded_at)
VALUES ('SO-A', 'Sở Tư pháp', 'department', 50, TRUE, DATE '2025-07-01', 'test', ?)
"""
SR02_SQL = """
SELECT points FROM metric_scores WHERE rubric_id = 'province-it' AND unit_code = 'SO-A' AND metric_id = 'SR-02'
  AND period = '2026'
"""


def test_hook_scores_only_verified_self_reports(seeded: WorkflowStore, unit_a: Identity, admin: Identity,
                                                tmp_path: Path) -> None:
    con = connect(tmp_path / "live.duckdb")
    con.execute(UNIT_ROW_SQL, [datetime(2026, 1, 1, tzinfo=UTC)])
    hook = scoring_hook(seeded.path)
    report_id = save_draft(seeded, unit_a, period="2026", item_id="SR-02", values={"sr_signers_active": 45},
                           doc_number="7/BC", doc_date=date(2026, 2, 1))
    submit(seeded, unit_a, report_id)
    hook_periods = {"periods": ["2026"]}
    refresh_with_self_reports(con, seeded.path, **hook_periods)
    assert con.execute(SR02_SQL).fetchone() in (None, (None,))
    verify(seeded, admin, report_id)
    refresh_with_self_reports(con, seeded.path, **hook_periods)
    # SR-02 = linear_target(45 / 50, target 0.9) × 3 points
    assert con.execute(SR02_SQL).fetchone() == (3.0,)
    written = hook(con)
    assert set(written) == {path.stem for path in (Path(__file__).resolve().parents[2] / "rubrics").glob("*.toml")}
    con.close()
