"""Vietnamese working-day calendar: weekends, public holidays (Tết included) and make-up working days."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

DEFAULT_CALENDAR = Path(__file__).resolve().parent.parent / "data" / "calendar.toml"


class CalendarError(ValueError):
    """The calendar file is malformed; the message names the file, the year and the fix."""


@dataclass(frozen=True)
class WorkCalendar:
    """Answers working-day questions; a year absent from the file counts weekends only."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup: frozenset[date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)

    def is_working_day(self, d: date) -> bool:
        if d in self.makeup:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The date `n` working days after `d` (n ≥ 0); n = 0 gives `d` itself."""
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 when end ≤ start. Same-day handling is 0."""
        if end <= start:
            return 0
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i)))

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days in [start, end]."""
        return [start + timedelta(days=i) for i in range((end - start).days + 1)
                if self.is_working_day(start + timedelta(days=i))]


def _parse_day(raw: object, where: str) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise CalendarError(f"{where}: '{raw}' is not a date; write it as YYYY-MM-DD") from None


def parse_calendar(text: str, source: str = "<calendar>") -> WorkCalendar:
    """Parse and validate calendar TOML text."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"{source}: not valid TOML ({exc})") from None
    unknown = set(doc) - {"years"}
    if unknown:
        raise CalendarError(f"{source}: unknown key(s) {sorted(unknown)}; only [years.YYYY] tables are allowed")
    holidays: set[date] = set()
    makeup: set[date] = set()
    years: set[int] = set()
    for year_key, entry in doc.get("years", {}).items():
        where = f"{source} [years.{year_key}]"
        if not str(year_key).isdigit():
            raise CalendarError(f"{where}: the table name must be a year, e.g. [years.2026]")
        year = int(year_key)
        bad = set(entry) - {"holidays", "makeup"}
        if bad:
            raise CalendarError(f"{where}: unknown key(s) {sorted(bad)}; use 'holidays' and 'makeup'")
        for key, target in (("holidays", holidays), ("makeup", makeup)):
            for raw in entry.get(key, []):
                d = _parse_day(raw, f"{where} {key}")
                if d.year != year:
                    raise CalendarError(f"{where} {key}: {d.isoformat()} is not in {year}; move it to its own year")
                if key == "makeup" and d.weekday() < 5:
                    raise CalendarError(f"{where} makeup: {d.isoformat()} is a weekday; a make-up day is a Saturday or Sunday")
                target.add(d)
        years.add(year)
    clash = holidays & makeup
    if clash:
        first = min(clash).isoformat()
        raise CalendarError(f"{source}: {first} is both a holiday and a make-up day; keep it in one list")
    return WorkCalendar(frozenset(holidays), frozenset(makeup), frozenset(years))


@lru_cache(maxsize=4)
def load_calendar(path: Path = DEFAULT_CALENDAR) -> WorkCalendar:
    """Load the calendar file (cached per path)."""
    return parse_calendar(Path(path).read_text(encoding="utf-8"), str(path))
