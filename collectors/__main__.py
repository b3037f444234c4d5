"""`python -m collectors run|once|backfill|status|import-inbox` — the collector daemon and its tools."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
from prometheus_client import CollectorRegistry, start_http_server

from collectors.daemon import DEFAULT_INTERVALS, Daemon, DaemonConfig
from collectors.instrumentation import make_instruments
from importers.cli import main as import_main
from metrics import db
from province.registry import RegistryError

log = logging.getLogger("collectors")

SELECT_STATUS = """
WITH latest AS (
    SELECT unit_code, system,
           max(started_at) FILTER (WHERE outcome = 'ok') AS last_ok,
           arg_max(outcome, started_at) AS last_outcome,
           arg_max(error, started_at) AS last_error,
           max(started_at) AS last_attempt
    FROM attempts GROUP BY unit_code, system
)
SELECT unit_code, system, strftime(last_ok, '%Y-%m-%d %H:%M') AS last_ok, last_outcome, last_error,
       last_ok IS NULL OR last_ok < now() - to_seconds(?) AS stale
FROM latest
WHERE last_outcome <> 'ok' OR last_ok IS NULL OR last_ok < now() - to_seconds(?)
ORDER BY system, unit_code
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import"]:
        return import_main(argv[1:])
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "status":
        return _status(args.data_dir, args.stale_after)
    intervals = {s: args.interval for s in DEFAULT_INTERVALS} if args.interval else dict(DEFAULT_INTERVALS)
    config = DaemonConfig(registry_path=args.registry, data_dir=args.data_dir, max_workers=args.workers,
                          intervals=intervals)
    try:
        daemon = Daemon(config, instruments=make_instruments(CollectorRegistry()) if args.command != "run" else None)
    except (RegistryError, db.StorageError) as exc:
        print(f"collectors: {exc}", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as exc:
        print(f"collectors: cannot open or write the database in {args.data_dir}: {exc}. Committed data is kept; "
              "free space or fix permissions there and start again.", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            return _run(daemon, args.metrics_port)
        if args.command == "once":
            daemon.run_cycle(kind="poll")
        elif args.command == "backfill":
            if args.date_to < args.date_from:
                print(f"collectors backfill: --to {args.date_to} is before --from {args.date_from}", file=sys.stderr)
                return 2
            daemon.run_cycle(kind="backfill", backfill=(args.date_from, args.date_to))
        elif args.command == "import-inbox":
            report = daemon.run_cycle(systems=(), kind="import")
            print(f"ingested {report.inbox_files} inbox files, {report.records} records, "
                  f"{report.quarantined} quarantined")
    finally:
        daemon.close()
    return 0


def _run(daemon: Daemon, metrics_port: int) -> int:
    server, _ = start_http_server(metrics_port, addr="127.0.0.1")
    daemon.status.update(metrics_port=server.server_port, force=True)
    log.info("metrics on http://127.0.0.1:%d/metrics", server.server_port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    daemon.run(stop)
    server.shutdown()
    log.info("stopped after finishing the running cycle")
    return 0


def _status(data_dir: Path, stale_after: float) -> int:
    try:
        con = db.open_snapshot(data_dir / db.SNAPSHOT_NAME)
    except db.StorageError as exc:
        print(f"collectors status: {exc}", file=sys.stderr)
        return 2
    rows = con.execute(SELECT_STATUS, [stale_after, stale_after]).fetchall()
    con.close()
    if not rows:
        print("every unit and system polled successfully recently")
        return 0
    print(f"{'unit':<16} {'system':<8} {'last success':<17} {'stale':<5} last error")
    for unit, system, last_ok, _outcome, error, stale in rows:
        print(f"{unit:<16} {system:<8} {last_ok or 'never':<17} {'yes' if stale else 'no':<5} {error or ''}")
    return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m collectors", description=__doc__)
    parser.add_argument("--registry", type=Path, default=Path("data/province.toml"))
    parser.add_argument("--data-dir", type=Path, default=Path("data/runtime"))
    parser.add_argument("--metrics-port", type=int, default=9108)
    parser.add_argument("--workers", type=int, default=64, help="concurrent polls")
    parser.add_argument("--interval", type=float, default=None,
                        help="seconds between polls of every system (default: per system, 5-15 minutes)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the daemon: poll on schedule until SIGTERM")
    commands.add_parser("once", help="one cycle of every system, then exit")
    backfill = commands.add_parser("backfill", help="re-read a date range (cursors unchanged)")
    backfill.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True)
    backfill.add_argument("--to", dest="date_to", type=date.fromisoformat, required=True)
    status = commands.add_parser("status", help="what is stale, what fails (reads the snapshot)")
    status.add_argument("--stale-after", type=float, default=3 * 900, help="seconds")
    commands.add_parser("import-inbox", help="ingest pending inbox files now (only while the daemon is stopped)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
