"""The collector daemon: the single writer of `<data_dir>/live.duckdb`.

Each cycle polls the due systems of every active unit (no transaction open), validates, writes everything in
one short transaction together with the pending inbox files, refreshes scores, and publishes the snapshot.
`run` drives cycles from a `schedule.Scheduler` (an interval per system, with jitter); a single cycle thread
means cycles never overlap; SIGTERM lets the running cycle finish. Missing periods after downtime come from
the cursors stored in the database, so a restart simply continues where the last committed cycle ended.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import requests
import schedule

from collectors import COLLECTORS
from collectors.base import Collector, Target, Window
from collectors.http import HttpSettings, make_session
from collectors.instrumentation import Instruments, make_instruments
from collectors.runner import BatchBuilder, PollOutcome, poll_targets, utcnow
from collectors.status import StatusFile
from metrics import db
from metrics.periods import Period, periods_for_months
from province.registry import Province, load_registry

log = logging.getLogger(__name__)

DEFAULT_INTERVALS: dict[str, float] = {"eoffice": 300, "onestop": 300, "mail": 900, "portal": 600}
# Requests per steady-state poll; the longest polls start first so the cycle does not end on a long tail.
POLL_WEIGHT: dict[str, int] = {"onestop": 5, "portal": 3, "mail": 2, "eoffice": 1}
ScoringHook = Callable[[duckdb.DuckDBPyConnection], Any]


FULL_RESCORE_EVERY_S = 3600.0


class IncrementalScoring:
    """The daemon's scoring hook: `refresh_scores` with the verified self-reports of the workflow store (block E
    of the rubric), over the periods the cycle touched only.

    Every period is recomputed on the first call, when the caller passes `periods=None`, when the verified
    self-reports changed since the last call, and at least every `full_every_s` seconds (which also catches a
    corrected record whose new version moved all its dates later than the old one's).
    """

    incremental = True

    def __init__(self, store_path: Path, *, full_every_s: float = FULL_RESCORE_EVERY_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store_path = Path(store_path)
        self.full_every_s = full_every_s
        self.monotonic = monotonic
        self.last_periods: list[str] | None = None  # what the last call recomputed; None: every period
        self._reports: list[tuple[str, str, str, float]] | None = None
        self._last_full: float | None = None

    def __call__(self, con: duckdb.DuckDBPyConnection, periods: Sequence[Period] | None = None) -> dict[str, int]:
        from metrics.engine import refresh_scores
        from workflows.selfreport import verified_counts
        from workflows.store import open_store

        reports = verified_counts(open_store(self.store_path))
        now = self.monotonic()
        full = (periods is None or self._last_full is None or reports != self._reports
                or now - self._last_full >= self.full_every_s)
        written = refresh_scores(con, self_reports=reports, periods=None if full else periods)
        self._reports = reports
        if full:
            self._last_full = now
        self.last_periods = None if full else sorted(str(p) for p in periods or ())
        return written


def default_scoring_hook(data_dir: Path) -> ScoringHook | None:
    """Scores refreshed with the verified self-reports of `<data_dir>/workflow.sqlite` (block E of the rubric)."""
    try:
        import workflows.selfreport  # noqa: F401 — only to know whether the workflow store is available
        from metrics.publication import WORKFLOW_DB_NAME
    except ImportError as exc:
        log.warning("scores are not refreshed after cycles: the scoring engine is not importable (%s)", exc)
        return None
    return IncrementalScoring(Path(data_dir) / WORKFLOW_DB_NAME)


def _audit_registry_change(data_dir: Path, registry_path: Path, registry_hash: str) -> None:
    """A new or changed registry is an audited event (who: the daemon, what: the file and its hash)."""
    try:
        from metrics.publication import WORKFLOW_DB_NAME
        from workflows.audit import REGISTRY_CHANGE, log_event
        from workflows.store import open_store
    except ImportError:
        return
    log_event(open_store(Path(data_dir) / WORKFLOW_DB_NAME), actor="daemon", action=REGISTRY_CHANGE,
              target=str(registry_path), after={"registry_hash": registry_hash})


@dataclass(frozen=True)
class DaemonConfig:
    registry_path: Path
    data_dir: Path
    intervals: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    jitter: float = 0.1
    max_workers: int = 64
    history_start: date | None = None
    page_size: int = 1000
    http: HttpSettings = HttpSettings()


@dataclass(frozen=True)
class CycleReport:
    cycle_id: str
    kind: str
    systems: tuple[str, ...]
    attempts: int
    failed: int
    records: int
    quarantined: int
    inbox_files: int
    seconds: float
    poll_seconds: float


class Daemon:
    """Owns the live database connection; every dependency is injectable with a production default."""

    def __init__(
        self,
        config: DaemonConfig,
        *,
        scheduler: schedule.Scheduler | None = None,
        clock: Callable[[], datetime] = utcnow,
        session_factory: Callable[[], requests.Session] | None = None,
        instruments: Instruments | None = None,
        scoring_hook: ScoringHook | None | str = "default",
        collectors: dict[str, type[Collector]] | None = None,
        registry_loader: Callable[[Path], Province] = load_registry,
    ) -> None:
        self.config = config
        self.scheduler = scheduler or schedule.Scheduler()
        self.clock = clock
        self.session_factory = session_factory or (lambda: make_session(config.http))
        self.instruments = instruments or make_instruments()
        self.scoring_hook = default_scoring_hook(config.data_dir) if scoring_hook == "default" else scoring_hook
        self.collectors = collectors if collectors is not None else COLLECTORS
        self.province = registry_loader(config.registry_path)
        self.data_dir = Path(config.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.status = StatusFile(self.data_dir, clock=clock)
        self.con = db.connect(self.data_dir / db.LIVE_DB_NAME)
        if db.record_registry(self.con, self.province.units, self.province.registry_hash):
            _audit_registry_change(self.data_dir, config.registry_path, self.province.registry_hash)
        self._due: dict[str, float] = {}
        self._due_lock = threading.Lock()
        self._wake = threading.Event()
        self._cycle_running = threading.Event()

    # ------------------------------------------------------------------------------------------- one cycle

    def targets(self, systems: Iterable[str]) -> list[Target]:
        wanted = set(systems)
        today = self.clock().astimezone(db_timezone()).date()
        targets = [
            Target(unit.code, system, endpoint.adapter, endpoint.base_url, endpoint.credentials)
            for unit in self.province.active_units(today)
            for system, endpoint in sorted(unit.endpoints.items())
            if system in wanted
        ]
        return sorted(targets, key=lambda t: -POLL_WEIGHT.get(t.system, 1))

    def run_cycle(
        self, systems: Iterable[str] | None = None, *, kind: str = "poll",
        backfill: tuple[date, date] | None = None, due_since: float | None = None,
    ) -> CycleReport:
        """Poll `systems` (default: all), write, score, publish. Never raises for a unit's failure."""
        systems = tuple(sorted(systems if systems is not None else self.config.intervals))
        cycle_id = f"{self.clock().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        started_at = self.clock()
        if due_since is not None:
            self.instruments.cycle_lag.set(max(0.0, time.time() - due_since))
        targets = self.targets(systems)
        cursors = db.read_cursors(self.con)
        first_load = not self._has_cycles()
        self.status.update(phase="first_load" if first_load else "polling", cycle_started_at=started_at.isoformat(),
                           units_done=0, units_total=len(targets), records_so_far=0, cycle_kind=kind)
        with self.status.heartbeat():
            return self._poll_write_publish(cycle_id, kind, systems, started_at, targets, cursors, backfill)

    def _poll_write_publish(
        self, cycle_id: str, kind: str, systems: tuple[str, ...], started_at: datetime, targets: list[Target],
        cursors: dict[tuple[str, str, str], str], backfill: tuple[date, date] | None,
    ) -> CycleReport:
        began = time.perf_counter()
        progress = {"done": 0, "records": 0}
        cursors_by_target: dict[tuple[str, str], dict[str, str]] = {}
        for (unit, system, feed), cursor in cursors.items():
            cursors_by_target.setdefault((unit, system), {})[feed] = cursor

        builder = BatchBuilder(self.province.codes())
        progress_lock = threading.Lock()
        reported: dict[tuple[str, str], int] = {}

        def count_records(key: tuple[str, str], count: int) -> None:
            with progress_lock:
                reported[key] = reported.get(key, 0) + count
                progress["records"] += count
                records = progress["records"]
            self.status.update(records_so_far=records)

        def on_done(outcome: PollOutcome) -> None:
            builder.add(outcome)  # validates full blocks now, while the pool keeps polling
            key = (outcome.target.unit_code, outcome.target.system)
            with progress_lock:
                progress["done"] += 1
                # pages already counted as they arrived; a failed poll's pages are taken back
                progress["records"] += outcome.attempt["records_read"] - reported.pop(key, 0)
                done, records = progress["done"], progress["records"]
            self._count_poll(outcome)
            self.status.update(units_done=done, records_so_far=records)

        def window_for(target: Target) -> Window:
            key = (target.unit_code, target.system)
            return Window(
                now=self.clock(),
                cursors=cursors_by_target.get((target.unit_code, target.system), {}),
                backfill_from=backfill[0] if backfill else None,
                backfill_to=backfill[1] if backfill else None,
                history_start=self.config.history_start,
                page_size=self.config.page_size,
                on_records=lambda count: count_records(key, count),
            )

        poll_began = time.perf_counter()
        outcomes = poll_targets(targets, window_for, self.collectors, cycle_id=cycle_id,
                                session_factory=self.session_factory, max_workers=self.config.max_workers,
                                clock=self.clock, on_done=on_done)
        poll_seconds = time.perf_counter() - poll_began
        batch, quarantined = builder.finish(cycle_id=cycle_id, kind=kind, started_at=started_at,
                                            keep_cursors=backfill is None)
        self.status.update(phase="writing", units_done=len(outcomes))
        changed = self._changed_span(batch)
        written = db.write_cycle(self.con, batch, data_dir=self.data_dir, known_units=frozenset(self.province.codes()),
                                 clock=self.clock)
        self._count_written(written, quarantined)
        self._refresh_scores(None if written.inbox_files or written.rejected_files else changed)
        self.status.update(phase="publishing")
        publish_began = time.perf_counter()
        snapshot = db.publish_snapshot(self.con, self.data_dir)
        publish_seconds = time.perf_counter() - publish_began
        finished = self.clock().isoformat()
        seconds = time.perf_counter() - began
        self.instruments.cycle_duration.observe(seconds)
        self.status.update(phase="idle", last_cycle_finished_at=finished, last_snapshot_path=str(snapshot),
                           last_snapshot_at=finished, records_so_far=written.total_records, force=True)
        report = CycleReport(cycle_id, kind, systems, len(outcomes), sum(not o.ok for o in outcomes),
                             written.total_records, written.quarantined, len(written.inbox_files), seconds, poll_seconds)
        log.info("cycle %s (%s) done in %.1f s (polling %.1f s, snapshot %.1f s): %d attempts, %d failed; "
                 "stored %s; %d quarantined; %d inbox files", cycle_id, kind, seconds, poll_seconds, publish_seconds,
                 report.attempts, report.failed, db.describe_counts(written.records), written.quarantined,
                 report.inbox_files)
        return report

    SELECT_ANY_CYCLE = "SELECT count(*) > 0 FROM cycles"

    def _has_cycles(self) -> bool:
        (found,) = self.con.execute(self.SELECT_ANY_CYCLE).fetchone()  # type: ignore[misc]
        return bool(found)

    SELECT_LAST_SUCCESS_AT = """
        SELECT unit_code, system, max(started_at) FROM attempts WHERE outcome = 'ok' GROUP BY ALL
    """
    SELECT_SCORED_MONTHS = "SELECT DISTINCT period FROM unit_scores WHERE regexp_full_match(period, '\\d{4}-\\d{2}')"

    def _changed_span(self, batch: db.CycleBatch) -> tuple[date, set[tuple[int, int]]] | None:
        """(earliest local day whose scores the batch can change, the months its records fall in), or None for
        every period.

        The earliest day is the earliest date in any record written, or the previous success of a system
        polled successfully now (the staleness flags of the periods since then change); None when a system
        succeeds for the first time. Run before the write: it reads the attempts stored so far.
        """
        tz = db_timezone()
        since = self.clock().astimezone(tz).date()
        months: set[tuple[int, int]] = set()
        previous = {(u, s): at for u, s, at in self.con.execute(self.SELECT_LAST_SUCCESS_AT).fetchall()}
        for attempt in batch.attempts:
            if attempt["outcome"] != "ok":
                continue
            at = previous.get((attempt["unit_code"], attempt["system"]))
            if at is None:
                return None
            since = min(since, at.astimezone(tz).date())
        for parts in batch.records.values():
            for part in parts:
                for column, field_type in zip(part.column_names, part.schema.types, strict=True):
                    if pa.types.is_timestamp(field_type):
                        values = pc.cast(part.column(column), pa.timestamp("us", tz=db.LOCAL_TIMEZONE))
                    elif pa.types.is_date(field_type):
                        values = part.column(column)
                    else:
                        continue
                    keys = pc.unique(pc.add(pc.multiply(pc.year(values), 12), pc.month(values))).to_pylist()
                    months.update(divmod(k - 1, 12) for k in keys if k is not None)
        if months:
            year, month = min(months)
            since = min(since, date(year, month + 1, 1))
        return since, {(y, m + 1) for y, m in months}

    def _refresh_scores(self, changed: tuple[date, date] | None = None) -> None:
        if self.scoring_hook is None:
            return
        try:
            if getattr(self.scoring_hook, "incremental", False):
                self.scoring_hook(self.con, periods=self._touched_periods(changed))
            else:
                self.scoring_hook(self.con)
        except Exception:  # noqa: BLE001 — stale scores must not stop collection; the log says why
            log.exception("refreshing scores failed; the snapshot keeps the previous scores")

    def _touched_periods(self, changed: tuple[date, set[tuple[int, int]]] | None) -> list[Period] | None:
        """The periods of the months from the changed span's first day on that hold data (scored before, or the
        current month when this batch has records in it), so a month without data never gets score rows; None
        (every period) when the span reaches before the first month scored so far or nothing was scored yet.
        A month the engine would newly count as having data otherwise waits for the next full refresh."""
        if changed is None:
            return None
        since, batch_months = changed
        try:
            scored = {(p.year, p.first_month) for p in map(Period.parse, (r for (r,) in
                      self.con.execute(self.SELECT_SCORED_MONTHS).fetchall()))}
        except duckdb.CatalogException:
            return None
        if not scored or since < date(*min(scored), 1):
            return None
        today = self.clock().astimezone(db_timezone()).date()
        months = scored | ({(today.year, today.month)} & batch_months)  # a month that just began
        return periods_for_months(sorted(m for m in months if m >= (since.year, since.month)))

    def _count_poll(self, outcome: PollOutcome) -> None:
        system = outcome.target.system
        self.instruments.polls.labels(system, outcome.attempt["outcome"]).inc()
        self.instruments.poll_duration.labels(system).observe(outcome.attempt["duration_s"])
        if outcome.ok:
            now = time.time()
            self.instruments.last_success.labels(system).set(now)
            self.instruments.unit_last_success.labels(outcome.target.unit_code, system).set(now)

    def _count_written(self, written: db.CycleWritten, quarantined: dict[str, int]) -> None:
        for table, count in written.records.items():
            self.instruments.records_written.labels(table).inc(count)
        for table, count in quarantined.items():
            self.instruments.records_quarantined.labels(table).inc(count)
        if written.inbox_files:
            self.instruments.inbox_files.labels("ingested").inc(len(written.inbox_files))
        if written.rejected_files:
            self.instruments.inbox_files.labels("rejected").inc(len(written.rejected_files))

    # ---------------------------------------------------------------------------------------- scheduling

    def schedule_jobs(self) -> None:
        """One job per system on the injected scheduler, each at its interval with jitter."""
        for system, interval in self.config.intervals.items():
            high = max(interval * (1 + self.config.jitter), interval + 1)
            self.scheduler.every(int(interval)).to(int(high)).seconds.do(self.mark_due, system)

    def mark_due(self, system: str) -> None:
        """Ask for `system` in the next cycle; while a cycle runs, it is folded into the following one."""
        with self._due_lock:
            self._due.setdefault(system, time.time())
        if self._cycle_running.is_set():
            self.instruments.cycles_skipped.inc()
        self._wake.set()

    SELECT_LAST_SUCCESS = """
        SELECT unit_code, system, epoch(max(started_at)) FROM attempts WHERE outcome = 'ok' GROUP BY ALL
    """

    def seed_unit_gauges(self) -> None:
        """Per-unit last-success gauges from the database, so an alert survives a daemon restart."""
        started = time.time()
        last = {(u, s): t for u, s, t in self.con.execute(self.SELECT_LAST_SUCCESS).fetchall()}
        for target in self.targets(self.config.intervals):
            key = (target.unit_code, target.system)
            self.instruments.unit_last_success.labels(*key).set(last.get(key, started))

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set; the running cycle always finishes (and commits) before returning."""
        self.seed_unit_gauges()
        self.schedule_jobs()
        for system in self.config.intervals:
            self.mark_due(system)  # catch up at once after a start: the cursors say from where
        worker = threading.Thread(target=self._cycle_loop, args=(stop,), name="cycle", daemon=False)
        worker.start()
        while not stop.is_set():
            self.scheduler.run_pending()
            idle = self.scheduler.idle_seconds
            stop.wait(min(1.0, idle) if idle is not None and idle > 0 else 0.2)
        self._wake.set()
        worker.join()

    def _cycle_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            with self._due_lock:
                due, self._due = self._due, {}
            if not due or stop.is_set():
                with self._due_lock:
                    self._due.update(due)
                continue
            self._cycle_running.set()
            try:
                self.run_cycle(due, due_since=min(due.values()))
            except Exception:  # noqa: BLE001 — a failed cycle is logged; the next one retries everything
                log.exception("cycle for %s failed; nothing of it was committed", sorted(due))
            finally:
                self._cycle_running.clear()

    def close(self) -> None:
        self.status.update(phase="idle", force=True)
        self.con.close()


def db_timezone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(db.LOCAL_TIMEZONE)
