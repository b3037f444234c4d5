"""The daemon as a real process against a real sandbox: SIGKILL mid-cycle, SIGTERM mid-cycle, readers and CLI
imports running alongside, and `promtool check metrics` on its /metrics."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client import CollectorRegistry

from collectors.daemon import Daemon, DaemonConfig
from collectors.instrumentation import make_instruments
from collectors.status import read_status
from metrics import db
from tests.collectors.conftest import RAW_TABLES, counts

REPO = Path(__file__).resolve().parents[2]
PORTAL_DOWN_UNIT = "090.50.27.H27"
IMPORT_UNIT = "000.01.27.H27"
# Wall-clock sandbox (frozen at its start): the daemon process runs on its production clock.
LIVE_SANDBOX = {"preset": "small", "history_months": 2, "speed": 0.0}

pytestmark = pytest.mark.slow


def start_daemon(sandbox: Any, data_dir: Path, command: str = "run", *options: str) -> subprocess.Popen[bytes]:
    log = (data_dir.parent / f"daemon-{command}.log").open("ab")
    args = [sys.executable, "-m", "collectors", "--registry", str(sandbox.registry_path), "--data-dir",
            str(data_dir), "--metrics-port", "0", *options, command]
    process = subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def status_where(data_dir: Path, **expected: Any) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        try:
            status = read_status(data_dir)
        except json.JSONDecodeError:
            return None
        if status and all(f(status.get(k)) if callable(f) else status.get(k) == f for k, f in expected.items()):
            return status
        return None

    return check


def reference(sandbox: Any, tmp: Path) -> dict[tuple[str, str], int]:
    daemon = Daemon(DaemonConfig(sandbox.registry_path, tmp, max_workers=16),
                    instruments=make_instruments(CollectorRegistry()), scoring_hook=None)
    try:
        report = daemon.run_cycle()
        assert report.failed == 1  # the sandbox's portal-down unit, nothing else
        return counts(daemon.con)
    finally:
        daemon.close()


def test_sigkill_mid_cycle_leaves_no_partial_cycle_and_a_restart_fills_the_gap(
    sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(**LIVE_SANDBOX, latency_ms=40)
    data_dir = tmp_path / "data"
    daemon = start_daemon(sandbox, data_dir, "run", "--workers", "2")
    try:
        wait_for(status_where(data_dir, phase="first_load", units_done=lambda n: (n or 0) >= 4), 120,
                 "the first cycle to be half polled")
    finally:
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=30)
    assert daemon.returncode == -signal.SIGKILL

    con = db.connect(data_dir / db.LIVE_DB_NAME)  # opens (recovers) after the kill
    try:
        for table in ("cycles", "attempts", "cursors", *RAW_TABLES):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table  # noqa: S608
    finally:
        con.close()
    assert not (data_dir / db.SNAPSHOT_NAME).exists()

    restarted = subprocess.run(
        [sys.executable, "-m", "collectors", "--registry", str(sandbox.registry_path), "--data-dir",
         str(data_dir), "--workers", "16", "once"], cwd=REPO, capture_output=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr.decode()[-2000:]
    snapshot = db.open_snapshot(data_dir / db.SNAPSHOT_NAME)
    try:
        stored = counts(snapshot)
        failed = snapshot.execute("SELECT unit_code, system FROM attempts WHERE outcome <> 'ok'").fetchall()
    finally:
        snapshot.close()
    assert failed == [(PORTAL_DOWN_UNIT, "portal")]
    assert stored == reference(sandbox, tmp_path / "reference")


def test_sigterm_mid_cycle_finishes_and_commits_the_cycle_then_exits_0(
    sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(**LIVE_SANDBOX, latency_ms=40)
    data_dir = tmp_path / "data"
    daemon = start_daemon(sandbox, data_dir, "run", "--workers", "2")
    try:
        status = wait_for(status_where(data_dir, phase="first_load", units_done=lambda n: (n or 0) >= 2), 120,
                          "the first cycle to be polling")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=300) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    con = db.open_snapshot(data_dir / db.SNAPSHOT_NAME)
    try:
        assert con.execute("SELECT count(*) FROM cycles").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM attempts").fetchone() == (status["units_total"],)
    finally:
        con.close()


def test_daemon_readers_and_cli_imports_together_lose_and_double_nothing(
    sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(**LIVE_SANDBOX)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    daemon = start_daemon(sandbox, data_dir, "run", "--interval", "2", "--workers", "8")
    wait_for(status_where(data_dir, last_snapshot_at=lambda t: t is not None), 180, "the first snapshot")
    readers = [subprocess.Popen([sys.executable, "-m", "tests.collectors.snapshot_reader", str(data_dir), "22"],
                                cwd=REPO, stdout=subprocess.PIPE) for _ in range(4)]
    importer = subprocess.Popen([sys.executable, "-m", "tests.collectors.inbox_writer", str(data_dir),
                                 IMPORT_UNIT, "20"], cwd=REPO, stdout=subprocess.PIPE)
    try:
        imported = json.loads(importer.communicate(timeout=120)[0])
        results = [json.loads(r.communicate(timeout=120)[0]) for r in readers]
        wait_for(lambda: not db.pending_inbox_files(data_dir), 120, "the inbox to drain")
        drained_at = time.time()
        wait_for(status_where(data_dir, phase="idle", last_snapshot_at=lambda t: t is not None
                              and _epoch(t) > drained_at), 120, "a snapshot after the last import")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=120) == 0
    finally:
        for process in (daemon, importer, *readers):
            if process.poll() is None:
                process.kill()
    assert all(r["errors"] == [] for r in results), [r["errors"][:3] for r in results]
    assert all(r["reads"] > 0 and r["partial_cycles"] == 0 for r in results), results
    con = db.open_snapshot(data_dir / db.SNAPSHOT_NAME)
    try:
        (rows, distinct) = con.execute("SELECT count(*), count(DISTINCT ma_ho_so) FROM dossiers "
                                       "WHERE ma_ho_so LIKE 'IMP-%'").fetchone()
        (files,) = con.execute("SELECT count(*) FROM ingested_files WHERE kind = 'dossiers'").fetchone()
        (cycles,) = con.execute("SELECT count(*) FROM cycles").fetchone()
    finally:
        con.close()
    assert rows == distinct == imported["keys"]
    assert files == imported["files"]
    assert cycles >= 3


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) is missing")
def test_promtool_accepts_the_daemons_metrics(sandbox_factory: Callable[..., Any], tmp_path: Path) -> None:
    sandbox = sandbox_factory(**LIVE_SANDBOX)
    data_dir = tmp_path / "data"
    daemon = start_daemon(sandbox, data_dir, "run", "--workers", "8")
    try:
        status = wait_for(status_where(data_dir, phase="idle", last_cycle_finished_at=lambda t: t is not None,
                                       metrics_port=lambda p: p is not None), 180, "the first cycle")
        exposition = requests.get(f"http://127.0.0.1:{status['metrics_port']}/metrics", timeout=10).text
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=120) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    check = subprocess.run(["promtool", "check", "metrics"], input=exposition.encode(), capture_output=True,
                           timeout=60, env={**os.environ})
    assert check.returncode == 0, (check.stdout + check.stderr).decode()
    for line in ('itmon_collector_polls_total{outcome="ok",system="eoffice"}',
                 'itmon_collector_polls_total{outcome="failed",system="portal"} 1.0',
                 "itmon_collector_poll_duration_seconds_bucket", 'itmon_collector_last_success_timestamp_seconds{system="mail"}',
                 'itmon_collector_records_written_total{table="documents"}', "itmon_collector_cycle_duration_seconds_count 1.0",
                 "itmon_collector_cycle_lag_seconds"):
        assert line in exposition, line
