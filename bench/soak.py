"""Soak: the collector daemon plus simulated dashboard users against the sandbox, for minutes on end.

Everything is real: the sandbox simulator over HTTP, the daemon as its own process (the production Daemon,
with cycles every `--interval` seconds instead of minutes, and its /metrics scraped), CLI imports arriving
while it runs, and `--users` dashboard sessions (AppTest over app.py, signed in as leader, IT department and
unit) clicking through their pages on the published snapshot while the workflow store takes writes. The
sandbox clock moves forward as it runs, so the daemon keeps finding new and changed records.

It prints errors (page exceptions, failed imports, failed scrapes, daemon errors), lost records (served by the
sandbox but not stored, imported but not stored, written to the workflow store but not there, a snapshot
count that went down) and the daemon's memory growth. Baseline in the same run: the same users on the same
snapshot before the daemon starts; the page-time ratio says what the daemon's writes cost readers.

    python3 bench/soak.py [--minutes 10] [--users 20]

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402

from metrics.db import open_snapshot  # noqa: E402
from simulator.presets import TOKEN_ENV  # noqa: E402
from simulator.process import SandboxHandle, start_sandbox  # noqa: E402
from tests.importers.samples import edxml_package  # noqa: E402

PASSWORD = "mat-khau-soak-2026-dai"  # noqa: S105 - a throwaway account in a temporary folder
WATCHED_TABLES = ("documents", "dossiers", "mail_activity", "attempts", "ingested_files")
COUNT_TEMPLATE = "SELECT count(*) FROM {table}"  # table names from WATCHED_TABLES only
SELECT_DOC_IDS = "SELECT doc_id FROM documents WHERE unit_code = ?"
SELECT_QUARANTINED_DOC_IDS = "SELECT natural_key FROM quarantine WHERE feed = 'documents' AND unit_code = ?"
SELECT_IMPORTED = "SELECT doc_id FROM documents WHERE kenh = 'truc_lien_thong' AND doc_id LIKE 'SOAK-%'"
COUNT_SOAK_EVENTS = "SELECT count(*) FROM audit_log WHERE action = 'soak.write'"


@dataclass
class Tally:
    """What every worker reports; one lock, appended from many threads."""

    errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    page_seconds: list[float] = field(default_factory=list)
    imported_ids: list[str] = field(default_factory=list)
    workflow_writes: int = 0
    scrapes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------------------- daemon process

def run_daemon_process(registry: Path, data_dir: Path, interval: float, port: int) -> int:
    """The production daemon with short intervals, its metrics on `port`, until SIGTERM."""
    from prometheus_client import start_http_server

    from collectors.daemon import DEFAULT_INTERVALS, Daemon, DaemonConfig

    config = DaemonConfig(registry, data_dir, intervals={system: interval for system in DEFAULT_INTERVALS})
    daemon = Daemon(config)
    server, _ = start_http_server(port, addr="127.0.0.1")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        daemon.run(stop)
    finally:
        server.shutdown()
        daemon.close()
    return 0


# ------------------------------------------------------------------------------------------------ workers

class UserSession:
    """One dashboard user: signed in for real (the server-side account), opening pages of their role.

    Each page is opened as a fresh page load (a new AppTest run with the signed-in session state), as a user
    following a link does; carrying one AppTest tree across pages makes AppTest itself fail to serialise
    selectboxes of the previous page in English.
    """

    def __init__(self, username: str, data_dir: Path, seed: int) -> None:
        from ui.data import workflow_store_path
        from ui.navigation import page_keys
        from workflows import open_store
        from workflows.accounts import authenticate

        self.username = username
        self.rng = random.Random(seed)
        self.identity = authenticate(open_store(workflow_store_path(data_dir)), username, PASSWORD)
        self.language = self.rng.choice(("vi", "en"))
        self.pages = page_keys(self.identity.role)
        self._open(None)  # the landing page: warms this process's imports and caches, not measured

    def _open(self, page: str | None) -> object:
        from streamlit.testing.v1 import AppTest

        from ui.i18n import LANGUAGE_KEY
        from ui.navigation import PAGES
        from ui.session import IDENTITY_KEY

        app = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
        app.session_state[IDENTITY_KEY] = self.identity
        app.session_state[LANGUAGE_KEY] = self.language
        if page is not None:
            app.switch_page(PAGES[page].path)
        return app.run()

    def click(self, tally: Tally) -> None:
        """Open one of the role's pages at random; an exception on the page is an error."""
        page = self.rng.choice(self.pages)
        began = time.perf_counter()
        try:
            app = self._open(page)
        except Exception as exc:  # noqa: BLE001 — any failure of a page run is an error the soak reports
            tally.error(f"{self.username} {page}: {type(exc).__name__}: {exc}")
            return
        tally.page_seconds.append(time.perf_counter() - began)
        if app.exception:  # type: ignore[attr-defined]
            # Streamlit redacts the message in the page; the trace's last lines say what failed.
            failure = app.exception[0]  # type: ignore[attr-defined]
            where = " | ".join(line.strip() for line in failure.stack_trace[-3:])
            tally.error(f"{self.username} {page}: {where or failure.message}")


def run_users_process(data_dir: Path, seconds: float, accounts: list[str], first: int, count: int, out: Path) -> int:
    """`count` users taking turns in one process (AppTest sessions must not share a process's threads)."""
    tally = Tally()
    sessions = [UserSession(accounts[(first + i) % len(accounts)], data_dir, first + i) for i in range(count)]
    rss_start = rss_mb(os.getpid())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for session in sessions:
            session.click(tally)
    out.write_text(json.dumps({"page_seconds": tally.page_seconds, "errors": tally.errors,
                               "rss_start": rss_start, "rss_end": rss_mb(os.getpid())}), encoding="utf-8")
    return 0


def start_users(count: int, processes: int, accounts: list[str], data_dir: Path, seconds: float,
                workdir: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    started = []
    per_process = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
    first = 0
    for index, users_here in enumerate(n for n in per_process if n):
        out = workdir / f"users-{index}-{time.monotonic_ns()}.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--users-process", str(data_dir), str(seconds),
                   ",".join(accounts), str(first), str(users_here), str(out)]
        started.append((subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out))
        first += users_here
    return started


def collect_users(started: list[tuple[subprocess.Popen[bytes], Path]], tally: Tally) -> tuple[float, float]:
    """Merge the user processes' reports; returns their summed memory at start and end (MB)."""
    rss_start = rss_end = 0.0
    for process, out in started:
        _, stderr = process.communicate(timeout=1800)
        if process.returncode != 0 or not out.exists():
            tally.error(f"users process exited {process.returncode}: {stderr.decode(errors='replace')[-500:]}")
            continue
        report = json.loads(out.read_text(encoding="utf-8"))
        tally.page_seconds += report["page_seconds"]
        tally.errors += report["errors"]
        rss_start += report["rss_start"]
        rss_end += report["rss_end"]
    return rss_start, rss_end


def snapshot_watch(data_dir: Path, tally: Tally, until: Callable[[], bool]) -> None:
    """Counts in the published snapshot never go down: a drop is a lost record."""
    highest: dict[str, int] = {}
    while not until():
        try:
            con = open_snapshot(data_dir / "snapshot.duckdb")
            try:
                counts = {t: con.execute(COUNT_TEMPLATE.format(table=t)).fetchone()[0] for t in WATCHED_TABLES}
            finally:
                con.close()
        except Exception as exc:  # noqa: BLE001
            tally.error(f"snapshot read: {type(exc).__name__}: {exc}")
        else:
            for table, count in counts.items():
                if count < highest.get(table, 0):
                    with tally.lock:
                        tally.lost.append(f"snapshot {table} went from {highest[table]} to {count} rows")
                highest[table] = max(count, highest.get(table, 0))
        time.sleep(2)


def scrape_loop(port: int, tally: Tally, until: Callable[[], bool]) -> None:
    while not until():
        time.sleep(10)
        try:
            body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
            if "itmon_collector_polls_total" not in body:
                tally.error("metrics: itmon_collector_polls_total missing from /metrics")
            with tally.lock:
                tally.scrapes += 1
        except requests.RequestException as exc:
            tally.error(f"metrics scrape: {exc}")


def import_loop(sandbox: SandboxHandle, data_dir: Path, every: float, tally: Tally,
                until: Callable[[], bool]) -> None:
    departments = [u.code for u in sandbox.province.units if u.level == "department"]
    number = 0
    while not until():
        time.sleep(every)
        number += 1
        doc_id = f"SOAK-{number:04d}"
        package = data_dir.parent / f"{doc_id}.edxml"
        package.write_text(edxml_package(sender=departments[0], receivers=(departments[1],), document_id=doc_id),
                           encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "collectors", "import", "edxml", str(package), "--data-dir", str(data_dir),
             "--registry", str(sandbox.registry_path)], cwd=REPO, capture_output=True, text=True, timeout=300,
            check=False)
        if done.returncode != 0:
            tally.error(f"import {doc_id}: {done.stderr.strip()}")
        else:
            with tally.lock:
                tally.imported_ids.append(doc_id)


def workflow_loop(data_dir: Path, tally: Tally, until: Callable[[], bool]) -> None:
    from ui.data import workflow_store_path
    from workflows import open_store
    from workflows.audit import log_event

    store = open_store(workflow_store_path(data_dir))
    while not until():
        try:
            log_event(store, actor="soak", action="soak.write", target=str(tally.workflow_writes))
            with tally.lock:
                tally.workflow_writes += 1
        except Exception as exc:  # noqa: BLE001
            tally.error(f"workflow write: {type(exc).__name__}: {exc}")
        time.sleep(0.5)


def clock_loop(sandbox: SandboxHandle, every: float, tally: Tally, until: Callable[[], bool]) -> None:
    while not until():
        time.sleep(every)
        try:
            sandbox.advance(minutes=20)
        except requests.RequestException as exc:
            tally.error(f"sandbox clock: {exc}")


def run_workers(targets: list[tuple[Callable[..., None], tuple]], seconds: float) -> None:
    deadline = time.monotonic() + seconds

    def until() -> bool:
        return time.monotonic() >= deadline

    threads = [threading.Thread(target=fn, args=(*args, until), daemon=True) for fn, args in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 600)


# -------------------------------------------------------------------------------------------- checking

def served_doc_ids(sandbox: SandboxHandle, unit: str) -> set[str]:
    ids: set[str] = set()
    token = None
    while True:
        params = {"page_size": 1000, **({"page_token": token} if token else {})}
        body = sandbox.get(unit, "eoffice", "documents", timeout=60, **params).json()
        ids.update(item["doc_id"] for item in body["items"])
        token = body.get("next_page_token")
        if not token:
            return ids


def check_nothing_lost(sandbox: SandboxHandle, data_dir: Path, tally: Tally) -> int:
    """Compare what the sandbox serves, what was imported and what was written with what is stored."""
    import sqlite3

    con = open_snapshot(data_dir / "snapshot.duckdb")
    try:
        for unit in (u for u in sandbox.province.units if "eoffice" in u.endpoints):
            stored = {doc for (doc,) in con.execute(SELECT_DOC_IDS, [unit.code]).fetchall()}
            # A record refused by validation is accounted for (quarantined with its reason), not lost.
            stored |= {key.split("|", 1)[-1] for (key,) in con.execute(SELECT_QUARANTINED_DOC_IDS, [unit.code]).fetchall()
                       if key}
            missing = served_doc_ids(sandbox, unit.code) - stored
            if missing:
                tally.lost.append(f"{unit.code}: {len(missing)} served documents not stored")
        imported = {doc for (doc,) in con.execute(SELECT_IMPORTED).fetchall()}
        if missing_imports := set(tally.imported_ids) - imported:
            tally.lost.append(f"imports not stored: {sorted(missing_imports)}")
    finally:
        con.close()
    workflow = sqlite3.connect(data_dir / "workflow.sqlite")
    try:
        (events,) = workflow.execute(COUNT_SOAK_EVENTS).fetchone()
    finally:
        workflow.close()
    if events != tally.workflow_writes:
        tally.lost.append(f"workflow store holds {events} of {tally.workflow_writes} writes")
    return len(tally.lost)


# ------------------------------------------------------------------------------------------------ main

def prepare(workdir: Path) -> tuple[SandboxHandle, Path, list[str]]:
    token = secrets.token_urlsafe(16)
    os.environ[TOKEN_ENV] = token
    sandbox = start_sandbox(workdir / "sandbox", token=token, preset="small", history_months=3, speed=0.0)
    data_dir = workdir / "data"
    os.environ["ITMON_DATA_DIR"] = str(data_dir)
    subprocess.run([sys.executable, "-m", "collectors", "--registry", str(sandbox.registry_path), "--data-dir",
                    str(data_dir), "once"], cwd=REPO, check=True, capture_output=True, timeout=900)
    from workflows import open_store
    from workflows.accounts import create_account

    store = open_store(data_dir / "workflow.sqlite")
    unit = next(u for u in sandbox.province.units if u.level == "department" and u.is_ranked)
    create_account(store, "soak.lanhdao", PASSWORD, "leader", None, "Lãnh đạo")
    create_account(store, "soak.quantri", PASSWORD, "it_admin", None, "Sở KH&CN")
    create_account(store, "soak.donvi", PASSWORD, "unit", unit.code, unit.name)
    return sandbox, data_dir, ["soak.lanhdao", "soak.quantri", "soak.donvi"]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values, default=float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--interval", type=float, default=20.0, help="daemon cycle interval, seconds")
    parser.add_argument("--import-every", type=float, default=30.0)
    parser.add_argument("--advance-every", type=float, default=15.0)
    parser.add_argument("--baseline-seconds", type=float, default=None)
    parser.add_argument("--daemon-log", type=Path, default=None, help="keep the daemon's log here")
    parser.add_argument("--user-processes", type=int, default=4, help="processes the users are spread over")
    parser.add_argument("--users-process", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--daemon-process", nargs=4, metavar=("REGISTRY", "DATA_DIR", "INTERVAL", "PORT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.users_process:
        data_dir, seconds_text, names, first, count, out = args.users_process
        raise SystemExit(run_users_process(Path(data_dir), float(seconds_text), names.split(","), int(first),
                                           int(count), Path(out)))
    if args.daemon_process:
        registry, data_dir, interval, port = args.daemon_process
        raise SystemExit(run_daemon_process(Path(registry), Path(data_dir), float(interval), int(port)))

    seconds = args.minutes * 60
    baseline_seconds = args.baseline_seconds or max(20.0, seconds * 0.1)
    with tempfile.TemporaryDirectory(prefix="itmon-soak-") as tmp:
        workdir = Path(tmp)
        sandbox, data_dir, accounts = prepare(workdir)
        children: list[subprocess.Popen[bytes]] = []
        try:
            baseline = Tally()
            collect_users(start_users(args.users, args.user_processes, accounts, data_dir, baseline_seconds, workdir),
                          baseline)
            print(f"baseline: {args.users} users, no daemon, {baseline_seconds:.0f} s: "
                  f"{len(baseline.page_seconds)} page runs, p95 {p95(baseline.page_seconds) * 1000:.0f} ms, "
                  f"{len(baseline.errors)} errors")

            port = free_port()
            log = (workdir / "daemon.log").open("w")
            daemon = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--daemon-process", str(sandbox.registry_path),
                 str(data_dir), str(args.interval), str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            children.append(daemon)
            tally = Tally()
            time.sleep(min(args.interval, 20.0))
            rss_start = rss_mb(daemon.pid)
            user_processes = start_users(args.users, args.user_processes, accounts, data_dir, seconds, workdir)
            children += [process for process, _ in user_processes]
            run_workers([
                (snapshot_watch, (data_dir, tally)),
                (scrape_loop, (port, tally)),
                (import_loop, (sandbox, data_dir, args.import_every, tally)),
                (workflow_loop, (data_dir, tally)),
                (clock_loop, (sandbox, args.advance_every, tally)),
            ], seconds)
            rss_end = rss_mb(daemon.pid)
            own_start, own_end = collect_users(user_processes, tally)
            daemon.send_signal(signal.SIGTERM)
            daemon_rc = daemon.wait(timeout=900)
            log.close()
            daemon_log = (workdir / "daemon.log").read_text(encoding="utf-8", errors="replace")
            if args.daemon_log:
                args.daemon_log.write_text(daemon_log, encoding="utf-8")
            for line in daemon_log.splitlines():
                if " ERROR " in line or line.startswith("Traceback"):
                    tally.error(f"daemon: {line[:300]}")
            if daemon_rc != 0:
                tally.error(f"daemon exited with {daemon_rc}")
            # The last imports may have arrived after the last cycle: one more cycle, as a restart would do.
            subprocess.run([sys.executable, "-m", "collectors", "--registry", str(sandbox.registry_path),
                            "--data-dir", str(data_dir), "once"], cwd=REPO, check=True, capture_output=True,
                           timeout=900)
            check_nothing_lost(sandbox, data_dir, tally)
        finally:
            for child in children:
                if child.poll() is None:
                    child.kill()
            sandbox.stop()

    errors, lost = len(tally.errors), len(tally.lost)
    for line in (tally.errors + tally.lost)[:20]:
        print(f"  {line}")
    ratio = p95(tally.page_seconds) / p95(baseline.page_seconds)
    print(f"soak: {args.users} users + daemon every {args.interval:.0f} s for {args.minutes:g} min: "
          f"{len(tally.page_seconds)} page runs, {len(tally.imported_ids)} imports, {tally.workflow_writes} "
          f"workflow writes, {tally.scrapes} metric scrapes")
    print(f"errors: {errors}; lost records: {lost}")
    print(f"daemon memory: {rss_start:.0f} MB → {rss_end:.0f} MB ({rss_end - rss_start:+.0f} MB); "
          f"user processes {own_start:.0f} MB → {own_end:.0f} MB")
    print(f"page p95: {p95(tally.page_seconds) * 1000:.0f} ms with the daemon writing vs "
          f"{p95(baseline.page_seconds) * 1000:.0f} ms baseline (ratio {ratio:.2f})")
    print(json.dumps({
        "name": "soak_failures", "value": errors + lost, "unit": "errors+lost records",
        "errors": errors, "lost_records": lost, "minutes": args.minutes, "users": args.users,
        "page_runs": len(tally.page_seconds), "imports": len(tally.imported_ids),
        "workflow_writes": tally.workflow_writes,
        "daemon_rss_start_mb": round(rss_start, 1), "daemon_rss_end_mb": round(rss_end, 1),
        "daemon_rss_growth_mb": round(rss_end - rss_start, 1),
        "page_p95_ms": round(p95(tally.page_seconds) * 1000), "baseline_page_p95_ms":
            round(p95(baseline.page_seconds) * 1000), "ratio": round(ratio, 2),
    }))


if __name__ == "__main__":
    main()
