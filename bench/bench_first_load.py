"""First-load benchmark: the README's run command on the default sandbox province from an empty data directory.

Starts `python -m launcher` (sandbox, collector daemon, dashboard) exactly as `scripts/start` does, on free ports
and a temporary data directory, and watches the daemon's status file and the published snapshot. It prints the
seconds from the launch to: the first progress the dashboard can show (the status file counting units or
records), the first snapshot, and the moment every unit-system of the province is loaded with 24 months, scored
and published (every polled unit and system has an attempt in the snapshot every ranked unit is scored in the latest month
and at least 24 months are scored). Issue #5 asks for that last figure within 180 s on a 2-core machine.

Baseline in the same run: the same launch on the small preset (14 units), or with `--baseline-rev REV` the
default province launched from a git worktree of commit REV (the behaviour before a change). The load average
is printed next to each figure: the machine may be shared. Last line: one JSON object.

    python3 bench/bench_first_load.py [--preset default] [--timeout 600] [--baseline-rev REV | --no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 180.0
HISTORY_MONTHS = 24
SELECT_POLLED = "SELECT count(*) FROM (SELECT DISTINCT unit_code, system FROM attempts)"
SELECT_FULLY_SCORED = """
WITH months AS (SELECT DISTINCT period FROM unit_scores WHERE regexp_full_match(period, '\\d{4}-\\d{2}'))
SELECT (SELECT count(DISTINCT unit_code) FROM unit_scores
        WHERE is_ranked AND period = (SELECT max(period) FROM months)), (SELECT count(*) FROM months)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Run:
    label: str
    seconds: dict[str, float] = field(default_factory=dict)
    load: dict[str, float] = field(default_factory=dict)
    detail: str = ""

    def mark(self, name: str, at: float) -> None:
        if name not in self.seconds:
            self.seconds[name] = round(at, 1)
            self.load[name] = round(os.getloadavg()[0], 2)
            print(f"  [{self.label}] {name}: {at:.1f} s (load average {self.load[name]:.2f})", flush=True)


def expected_targets(registry: Path) -> tuple[int, int]:
    """(unit-systems polled, ranked units) of the served registry, as the daemon sees them today."""
    from datetime import datetime

    from collectors.daemon import db_timezone
    from province.registry import load_registry

    province = load_registry(registry)
    today = datetime.now(db_timezone()).date()
    active = province.active_units(today)
    return sum(len(u.endpoints) for u in active), sum(1 for u in active if u.endpoints and u.is_ranked)


def snapshot_state(path: Path) -> tuple[int, int, int]:
    """(unit-systems with an attempt, ranked units scored in the latest month, months scored)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        (polled,) = con.execute(SELECT_POLLED).fetchone()  # type: ignore[misc]
        try:
            scored, months = con.execute(SELECT_FULLY_SCORED).fetchone()  # type: ignore[misc]
        except duckdb.CatalogException:
            scored, months = 0, 0
        return int(polled), int(scored or 0), int(months or 0)
    finally:
        con.close()


def launch(label: str, repo: Path, preset: str, timeout_s: float) -> Run:
    """Run the launcher from `repo` until the first load is published (or `timeout_s`); stop it; the figures."""
    run = Run(label)
    data = Path(tempfile.mkdtemp(prefix="itmon-first-load-"))
    env = {**os.environ, "ITMON_DATA_DIR": str(data), "ITMON_PORT": str(free_port()),
           "ITMON_METRICS_PORT": str(free_port()), "ITMON_SANDBOX_PRESET": preset,
           "ITMON_HISTORY_MONTHS": str(HISTORY_MONTHS), "PYTHONPATH": str(repo)}
    log = (data / "launcher.log").open("wb")
    began = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "launcher"], cwd=repo, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    expected: tuple[int, int] | None = None
    try:
        while time.monotonic() - began < timeout_s:
            time.sleep(0.5)
            at = time.monotonic() - began
            if process.poll() is not None:
                run.detail = f"the launcher exited with code {process.returncode}; see {data / 'launcher.log'}"
                break
            if expected is None and (data / "province.toml").exists() and (data / "daemon-status.json").exists():
                expected = expected_targets(data / "province.toml")
            status = _read_json(data / "daemon-status.json")
            if status and ((status.get("units_done") or 0) > 0 or (status.get("records_so_far") or 0) > 0):
                run.mark("first_progress", at)
            snapshot = data / "snapshot.duckdb"
            if not snapshot.exists():
                continue
            run.mark("first_snapshot", at)
            try:
                polled, scored, months = snapshot_state(snapshot)
            except duckdb.Error:
                continue  # swapped while opening: read the next one
            if expected and polled >= expected[0] and months >= HISTORY_MONTHS and scored >= expected[1]:
                run.mark("loaded_scored_published", at)
                run.detail = f"{polled} unit-systems polled, {scored} ranked units scored, {months} months scored"
                break
        else:
            run.detail = f"not complete after {timeout_s:.0f} s"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        if "loaded_scored_published" in run.seconds:
            shutil.rmtree(data, ignore_errors=True)
    print(f"  [{label}] {run.detail}", flush=True)
    return run


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--timeout", type=float, default=600.0)
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--baseline-rev", default=None, help="also launch the default province from this commit")
    baseline.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    print(f"first load of the {args.preset} sandbox province through `python -m launcher` "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start)", flush=True)
    current = launch("current", REPO, args.preset, args.timeout)
    base: Run | None = None
    if args.baseline_rev:
        worktree = Path(tempfile.mkdtemp(prefix="itmon-baseline-")) / "repo"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.baseline_rev], cwd=REPO,
                       check=True, capture_output=True)
        try:
            base = launch(f"baseline {args.baseline_rev[:10]}", worktree, args.preset, args.timeout)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, check=False)
    elif not args.no_baseline:
        base = launch("baseline small preset", REPO, "small", args.timeout)

    value = current.seconds.get("loaded_scored_published")
    took = f"{value:.1f} s" if value is not None else f"NOT within {args.timeout:.0f} s"
    print(f"{args.preset} province loaded, scored and published in {took} (target {TARGET_S:.0f} s); "
          f"first progress {current.seconds.get('first_progress')} s, first snapshot "
          f"{current.seconds.get('first_snapshot')} s")
    if base is not None:
        print(f"baseline ({base.label}): {base.seconds}")
    print(json.dumps({
        "name": "first_load_seconds", "value": value, "unit": "s", "target": TARGET_S, "preset": args.preset,
        "first_progress_s": current.seconds.get("first_progress"),
        "first_snapshot_s": current.seconds.get("first_snapshot"), "load_average": current.load,
        "baseline": None if base is None else {"label": base.label, **base.seconds, "load_average": base.load},
    }))


if __name__ == "__main__":
    main()
