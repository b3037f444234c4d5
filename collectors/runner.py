"""One cycle's polling: every (unit, system) target in a thread pool, an attempt row for each, then the batch.

Polling never holds a database transaction: `poll_targets` only reads over HTTP, and a `BatchBuilder` validates
what was read (while the pool is still polling) into a `metrics.db.CycleBatch` that the daemon writes in one short
transaction.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import requests

from collectors.base import Collector, CollectorError, Harvest, Target, Window
from collectors.http import make_session
from collectors.validation import validate
from metrics.db import CycleBatch

log = logging.getLogger(__name__)

OUTCOME_OK = "ok"
OUTCOME_FAILED = "failed"


@dataclass(frozen=True)
class PollOutcome:
    """One attempt: the row to store, and what was read (None when nothing usable was)."""

    target: Target
    attempt: dict[str, Any]
    harvest: Harvest | None

    @property
    def ok(self) -> bool:
        return self.attempt["outcome"] == OUTCOME_OK


def utcnow() -> datetime:
    return datetime.now(UTC)


def poll_one(
    target: Target, collector: Collector, session: requests.Session, window: Window, *, cycle_id: str,
    clock: Callable[[], datetime] = utcnow,
) -> PollOutcome:
    """Poll one target; any exception becomes a failed attempt with its reason, never a crash."""
    started_at = clock()
    began = time.perf_counter()
    harvest: Harvest | None
    try:
        harvest = collector.collect(target, session, window)
        outcome, error, status = OUTCOME_OK, None, harvest.http_status
    except Exception as exc:  # noqa: BLE001 — the runner is the one place that turns any failure into data
        outcome, error = OUTCOME_FAILED, describe_failure(exc)
        status = getattr(exc, "http_status", None)
        harvest = getattr(exc, "harvest", None)  # e.g. the portal's "down" probe row: availability is data
        if harvest is not None:
            harvest.cursors.clear()
    attempt = {
        "attempt_id": uuid.uuid4().hex, "cycle_id": cycle_id, "unit_code": target.unit_code,
        "system": target.system, "started_at": started_at, "duration_s": time.perf_counter() - began,
        "outcome": outcome, "http_status": status, "error": error,
        "records_read": harvest.record_count if harvest is not None else 0,
    }
    return PollOutcome(target, attempt, harvest)


def describe_failure(exc: BaseException) -> str:
    """The attempt's `error` text: the collector's own message, or the exception type and message."""
    if isinstance(exc, CollectorError):
        return str(exc)[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


def poll_targets(
    targets: Iterable[Target],
    window_for: Callable[[Target], Window],
    collectors: Mapping[str, type[Collector]],
    *,
    cycle_id: str,
    session_factory: Callable[[], requests.Session] = make_session,
    max_workers: int = 64,
    clock: Callable[[], datetime] = utcnow,
    on_done: Callable[[PollOutcome], None] | None = None,
) -> list[PollOutcome]:
    """Poll every target concurrently, one `requests.Session` per worker thread."""
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()
    instances = {system: cls() for system, cls in collectors.items()}

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = session_factory()
            with sessions_lock:
                sessions.append(local.session)
        return local.session

    def work(target: Target) -> PollOutcome:
        collector = instances.get(target.system)
        if collector is None:
            raise CollectorError(f"no collector for system {target.system!r}; valid: {sorted(instances)}")
        return poll_one(target, collector, session(), window_for(target), cycle_id=cycle_id, clock=clock)

    outcomes = []
    try:
        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="poll") as pool:
            futures = {pool.submit(work, t): t for t in targets}
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 — e.g. no collector for the system: still an attempt
                    target = futures[future]
                    result = PollOutcome(target, {
                        "attempt_id": uuid.uuid4().hex, "cycle_id": cycle_id, "unit_code": target.unit_code,
                        "system": target.system, "started_at": clock(), "duration_s": 0.0,
                        "outcome": OUTCOME_FAILED, "http_status": None, "error": describe_failure(exc),
                        "records_read": 0}, None)
                outcomes.append(result)
                if on_done is not None:
                    on_done(result)
    finally:
        for s in sessions:
            s.close()
    return outcomes


VALIDATION_BLOCK_ROWS = 50_000


class BatchBuilder:
    """Validates what the polls read while the pool keeps polling, then assembles the cycle's `CycleBatch`.

    `add` takes each outcome as it completes (the daemon calls it from `poll_targets`' `on_done`): the records
    leave the harvest at once and are validated per table in blocks of `block_rows`, so the validation of a
    first load overlaps its HTTP reads and millions of raw dicts are not all held until the poll ends. A block
    costs one query; rows are checked one by one, so how they are grouped does not change the outcome.
    """

    def __init__(self, known_units: Iterable[str] | None, *, block_rows: int = VALIDATION_BLOCK_ROWS) -> None:
        self.units = None if known_units is None else frozenset(known_units)
        self.block_rows = block_rows
        self.outcomes: list[PollOutcome] = []
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._sources: dict[str, str] = {}
        self._good: dict[str, list[pa.Table]] = {}
        self._bad: list[pa.Table] = []
        self.quarantined: dict[str, int] = {}
        self._example: dict[str, str] = {}
        self._quarantined_units: set[tuple[str, str]] = set()

    def add(self, outcome: PollOutcome) -> None:
        """Take `outcome` (its harvest's records are moved out); validate every table whose block is full."""
        self.outcomes.append(outcome)
        if outcome.harvest is None:
            return
        for table, records in outcome.harvest.records.items():
            self._pending.setdefault(table, []).extend(records)
            self._sources[table] = f"collector:{outcome.target.system}"
        outcome.harvest.records.clear()
        for table, records in list(self._pending.items()):
            if len(records) >= self.block_rows:
                self._validate(table)

    def _validate(self, table: str) -> None:
        records = self._pending.pop(table, [])
        if not records:
            return
        good, bad = validate(table, records, self.units)
        self._good.setdefault(table, []).append(good)
        if bad.num_rows:
            bad = bad.drop_columns(["source"]).add_column(0, "source", _constant(self._sources[table], bad.num_rows))
            self._bad.append(bad)
            self.quarantined[table] = self.quarantined.get(table, 0) + bad.num_rows
            self._example.setdefault(table, bad.column("reason")[0].as_py())
            self._quarantined_units.update((unit, table) for unit in bad.column("unit_code").to_pylist())

    def finish(self, *, cycle_id: str, kind: str, started_at: datetime,
               keep_cursors: bool = True) -> tuple[CycleBatch, dict[str, int]]:
        """Validate what is left and return the batch (one Arrow table per raw table) with the quarantined
        count per table."""
        for table in list(self._pending):
            self._validate(table)
        batch = CycleBatch(cycle_id=cycle_id, kind=kind, started_at=started_at)
        batch.attempts.extend(o.attempt for o in self.outcomes)
        for table, parts in self._good.items():
            batch.records[table] = [pa.concat_tables(parts) if len(parts) > 1 else parts[0]]
        batch.quarantined.extend(self._bad)
        for table, count in self.quarantined.items():
            log.warning("%s: %d records quarantined, e.g. %s", table, count, self._example[table])
        if keep_cursors:
            for outcome in self.outcomes:
                if not outcome.ok or outcome.harvest is None:
                    continue
                held = outcome.harvest.hold_cursor_on_quarantine
                batch.cursors.extend(
                    (outcome.target.unit_code, outcome.target.system, feed, cursor)
                    for feed, cursor in outcome.harvest.cursors.items()
                    if feed not in held or (outcome.target.unit_code, held[feed]) not in self._quarantined_units
                )
        return batch, dict(self.quarantined)


def assemble_batch(
    outcomes: Iterable[PollOutcome], *, cycle_id: str, kind: str, started_at: datetime,
    known_units: Iterable[str] | None, keep_cursors: bool = True,
) -> tuple[CycleBatch, dict[str, int]]:
    """Validate everything read into one `CycleBatch`; returns it with the quarantined count per table."""
    builder = BatchBuilder(known_units)
    for outcome in outcomes:
        builder.add(outcome)
    return builder.finish(cycle_id=cycle_id, kind=kind, started_at=started_at, keep_cursors=keep_cursors)


def _constant(value: str, n: int) -> pa.Array:
    return pa.array([value] * n, pa.string())
