"""The daemon's edges against the real sandbox: credentials, the registry dict, status, backfill, the
scheduler, the status file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schedule

from collectors import COLLECTORS, get_collector, register_collector
from collectors.__main__ import main
from collectors.status import read_status
from tests.collectors.conftest import AFFECTED, make_daemon
from tests.plugins.sandbox import TOKEN_ENV

PORTAL_DOWN_UNIT = "090.50.27.H27"


def outcomes(daemon: Any) -> dict[tuple[str, str], tuple[str, str | None]]:
    rows = daemon.con.execute("SELECT unit_code, system, outcome, error FROM attempts").fetchall()
    return {(u, s): (o, e) for u, s, o, e in rows}


def test_registry_dict_lookup_names_the_valid_systems() -> None:
    assert sorted(COLLECTORS) == ["eoffice", "mail", "onestop", "portal"]
    with pytest.raises(KeyError, match=r"no collector for system 'webmail'; valid systems: \['eoffice', 'mail', "):
        get_collector("webmail")
    with pytest.raises(ValueError, match="a collector for system 'mail' is registered already"):
        register_collector(COLLECTORS["mail"])


def test_missing_credential_fails_the_polls_that_need_it_naming_the_reference(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    daemon = make_daemon(sandbox, tmp_path / "data", units=[AFFECTED])
    try:
        daemon.run_cycle()
        result = outcomes(daemon)
    finally:
        daemon.close()
    for system in ("eoffice", "onestop", "mail"):
        outcome, error = result[(AFFECTED, system)]
        assert outcome == "failed" and f"the environment variable {TOKEN_ENV} is not set" in error
    assert result[(AFFECTED, "portal")][0] == "ok"  # the public portal needs no credential


def test_a_rejected_token_is_a_clear_failure_and_never_appears_in_it(
    sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "wrong-but-secret-token-4711")
    daemon = make_daemon(sandbox, tmp_path / "data", units=[AFFECTED])
    try:
        daemon.run_cycle()
        outcome, error = outcomes(daemon)[(AFFECTED, "eoffice")]
    finally:
        daemon.close()
    assert outcome == "failed" and "HTTP 401 (unauthorized: missing or wrong bearer token)" in error
    assert "wrong-but-secret-token-4711" not in error


def test_one_429_with_retry_after_is_retried_and_the_poll_succeeds(sandbox: Any, tmp_path: Path) -> None:
    sandbox.set_fault(AFFECTED, "eoffice", "rate_limit", count=1, retry_after=1)
    daemon = make_daemon(sandbox, tmp_path / "data", units=[AFFECTED])
    try:
        daemon.run_cycle(["eoffice"])
        outcome, _ = outcomes(daemon)[(AFFECTED, "eoffice")]
        (documents,) = daemon.con.execute("SELECT count(*) FROM documents").fetchone()
    finally:
        daemon.close()
    assert outcome == "ok" and documents > 0


def test_status_command_lists_what_fails_and_what_is_stale(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    daemon = make_daemon(sandbox, data_dir, units=[AFFECTED, PORTAL_DOWN_UNIT])
    try:
        daemon.run_cycle()
    finally:
        daemon.close()
    assert main(["--data-dir", str(data_dir), "status", "--stale-after", str(10 * 365 * 86400)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(PORTAL_DOWN_UNIT)]
    assert len(lines) == 1
    assert "portal" in lines[0] and "never" in lines[0] and "cannot connect" in lines[0]


def test_status_command_without_a_snapshot_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "status"]) == 2
    assert "no snapshot at" in capsys.readouterr().err


def test_backfill_reads_only_the_range_and_leaves_the_cursors(sandbox: Any, tmp_path: Path) -> None:
    daemon = make_daemon(sandbox, tmp_path / "data", units=[AFFECTED])
    try:
        daemon.run_cycle(["mail"], kind="backfill", backfill=(date(2025, 9, 1), date(2025, 9, 10)))
        first, last = daemon.con.execute("SELECT min(ngay), max(ngay) FROM mail_activity").fetchone()
        cursors = daemon.con.execute("SELECT count(*) FROM cursors").fetchone()
        kinds = daemon.con.execute("SELECT kind FROM cycles").fetchall()
    finally:
        daemon.close()
    assert date(2025, 9, 1) <= first <= last <= date(2025, 9, 10)  # 1-2/9 are holidays: no mail activity
    assert cursors == (0,) and kinds == [("backfill",)]


def advancing(start: datetime) -> Callable[[], datetime]:
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def test_scheduler_runs_each_system_on_its_interval_and_cycles_never_overlap(sandbox: Any, tmp_path: Path) -> None:
    scheduler = schedule.Scheduler()
    daemon = make_daemon(sandbox, tmp_path / "data", units=[AFFECTED],
                         intervals={"eoffice": 1, "onestop": 2, "mail": 2, "portal": 3}, jitter=0.2)
    daemon.scheduler = scheduler
    daemon.clock = advancing(daemon.clock())
    stop = threading.Event()
    runner = threading.Thread(target=daemon.run, args=(stop,))
    runner.start()
    time.sleep(8)
    stop.set()
    runner.join(timeout=120)
    try:
        assert not runner.is_alive()
        assert sorted(job.job_func.args[0] for job in scheduler.jobs) == ["eoffice", "mail", "onestop", "portal"]
        cycles = daemon.con.execute("SELECT epoch(started_at), epoch(finished_at) FROM cycles ORDER BY 1").fetchall()
        polled = dict(daemon.con.execute("SELECT system, count(*) FROM attempts GROUP BY system").fetchall())
    finally:
        daemon.close()
    assert len(cycles) >= 2
    assert all(earlier[1] <= later[0] for earlier, later in zip(cycles, cycles[1:], strict=False))
    assert polled["eoffice"] >= polled["portal"] >= 1


def test_status_file_tells_the_dashboard_what_happened(sandbox: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    daemon = make_daemon(sandbox, data_dir, units=[AFFECTED])
    try:
        daemon.run_cycle()
    finally:
        daemon.close()
    status = read_status(data_dir)
    assert status is not None
    assert status["phase"] == "idle" and status["units_done"] == status["units_total"] == 4
    assert status["last_snapshot_path"] == str(data_dir / "snapshot.duckdb") and status["last_cycle_finished_at"]
