"""The one collector interface: a module per system implements `Collector`; the runner does the rest.

A collector reads one unit's system over HTTP and returns raw records per raw table plus its new cursors. It
raises (`CollectorError` or a `requests` exception) when the system cannot be read; the runner turns that into a
failed attempt with the reason. It never touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

import requests

from province.registry import CredentialRef


class CollectorError(Exception):
    """A system answered, but not as the integration contract says; the message says what and where."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


@dataclass(frozen=True)
class Target:
    """One unit's endpoint for one system, as the registry lists it."""

    unit_code: str
    system: str
    adapter: str
    base_url: str
    credentials: CredentialRef | None = None


@dataclass(frozen=True)
class Window:
    """What to read this time: the stored cursors of this unit and system, or an explicit backfill range."""

    now: datetime
    cursors: Mapping[str, str] = field(default_factory=dict)
    backfill_from: date | None = None
    backfill_to: date | None = None
    history_start: date | None = None
    page_size: int = 1000
    # Told the number of records of each page as it arrives (progress of a long first load); None: nobody asks.
    on_records: Callable[[int], None] | None = field(default=None, compare=False, repr=False)

    def report(self, count: int) -> None:
        if self.on_records is not None and count:
            self.on_records(count)

    @property
    def today(self) -> date:
        return self.now.date()


@dataclass
class Harvest:
    """What one poll read: records per raw table, the cursors to store, the last HTTP status seen."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cursors: dict[str, str] = field(default_factory=dict)
    http_status: int | None = None
    # feed -> table: keep the old cursor of `feed` when a row of `table` is quarantined, so the period is read
    # again next cycle (aggregates are re-served whole; a fixed report then fills the gap).
    hold_cursor_on_quarantine: dict[str, str] = field(default_factory=dict)

    def add(self, table: str, records: list[dict[str, Any]]) -> None:
        self.records.setdefault(table, []).extend(records)

    @property
    def record_count(self) -> int:
        return sum(len(r) for r in self.records.values())


class Collector(Protocol):
    """Reads one system of one unit. `tables` lists the raw tables its records go to."""

    system: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    def collect(self, target: Target, session: requests.Session, window: Window) -> Harvest:
        """Read what `window` asks for from `target`; raise on any failure."""
        ...
