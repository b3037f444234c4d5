"""After the first full scoring, a cycle rescores only the periods its records touch, and the stored scores
are exactly what a full refresh computes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

from collectors.daemon import Daemon, DaemonConfig, IncrementalScoring
from collectors.instrumentation import make_instruments
from collectors.status import read_status
from tests.collectors.conftest import TEST_HTTP, UNITS, only_units
from tests.plugins.sandbox import SandboxHandle

SELECT_SCORES = """
SELECT rubric_id, period, unit_code, points, applicable_max, rank, rank_prev, provisional, stale_sources
FROM unit_scores ORDER BY ALL
"""
SELECT_PERIODS = "SELECT DISTINCT period FROM unit_scores ORDER BY period"


def test_a_cycle_rescores_the_periods_it_touched_as_a_full_refresh_would(fresh_sandbox: SandboxHandle,
                                                                        tmp_path: Path) -> None:
    hook = IncrementalScoring(tmp_path / "workflow.sqlite")
    daemon = Daemon(
        DaemonConfig(fresh_sandbox.registry_path, tmp_path / "data", max_workers=8, http=TEST_HTTP),
        clock=lambda: datetime.fromisoformat(fresh_sandbox.health()["sim_now"]),
        instruments=make_instruments(CollectorRegistry()), scoring_hook=hook, registry_loader=only_units(UNITS),
    )
    try:
        daemon.run_cycle()
        assert hook.last_periods is None  # the first refresh computes every period
        all_periods = [p for (p,) in daemon.con.execute(SELECT_PERIODS).fetchall()]
        status = read_status(tmp_path / "data")
        assert status is not None and status["records_so_far"] > 0

        fresh_sandbox.advance(hours=3)  # the trickle: new and updated records of the current month
        report = daemon.run_cycle()
        assert report.records > 0
        touched = hook.last_periods
        # a 6-month sandbox: dossiers resolved now were received months ago, so most periods are touched
        assert touched is not None and set(touched) <= set(all_periods), touched
        assert str(datetime.fromisoformat(fresh_sandbox.health()["sim_now"]).date())[:7] in touched
        incremental = daemon.con.execute(SELECT_SCORES).fetchall()

        hook(daemon.con)  # everything again
        assert hook.last_periods is None
        assert daemon.con.execute(SELECT_SCORES).fetchall() == incremental
        assert [p for (p,) in daemon.con.execute(SELECT_PERIODS).fetchall()] == all_periods
    finally:
        daemon.close()
