"""Reporting periods: month `2026-03`, quarter `2026-Q1`, year `2026`, year-to-date `2026-YTD-10`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["month", "quarter", "year", "ytd"]

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
    ("ytd", re.compile(r"^(\d{4})-YTD-(\d{1,2})$")),
)


class PeriodError(ValueError):
    """A period string is malformed; the message names the text and the accepted forms."""


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period made of whole calendar months `first_month..last_month` of one year."""

    year: int
    first_month: int
    last_month: int
    kind: PeriodKind

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `2026-03`, `2026-Q1`, `2026` or `2026-YTD-10`."""
        raw = str(text).strip()
        for kind, pattern in _PATTERNS:
            match = pattern.match(raw)
            if not match:
                continue
            year = int(match.group(1))
            n = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 0
            if kind == "month" and 1 <= n <= 12:
                return cls(year, n, n, "month")
            if kind == "quarter":
                return cls(year, 3 * n - 2, 3 * n, "quarter")
            if kind == "year":
                return cls(year, 1, 12, "year")
            if kind == "ytd" and 1 <= n <= 12:
                return cls(year, 1, n, "ytd")
        raise PeriodError(
            f"period '{text}' is not understood; write a month 2026-03, a quarter 2026-Q1, "
            "a year 2026 or a year-to-date 2026-YTD-10"
        )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(year, month, month, "month")

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.first_month:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.last_month // 3}"
        if self.kind == "year":
            return f"{self.year}"
        return f"{self.year}-YTD-{self.last_month}"

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        return _month_end(self.year, self.last_month)

    @property
    def months(self) -> tuple[Period, ...]:
        return tuple(Period.month(self.year, m) for m in range(self.first_month, self.last_month + 1))

    @property
    def month_count(self) -> int:
        return self.last_month - self.first_month + 1

    def previous(self) -> Period:
        """The period of the same kind just before (YTD: the same months of the previous year)."""
        if self.kind == "month":
            if self.first_month == 1:
                return Period.month(self.year - 1, 12)
            return Period.month(self.year, self.first_month - 1)
        if self.kind == "quarter":
            if self.first_month == 1:
                return Period(self.year - 1, 10, 12, "quarter")
            return Period(self.year, self.first_month - 3, self.last_month - 3, "quarter")
        return Period(self.year - 1, self.first_month, self.last_month, self.kind)


def periods_for_months(months: list[tuple[int, int]]) -> list[Period]:
    """The month, quarter and year around each of `months`, and the year-to-date ending with it."""
    found: set[Period] = set()
    for year, month in months:
        found.add(Period.month(year, month))
        q = (month - 1) // 3 + 1
        found.add(Period(year, 3 * q - 2, 3 * q, "quarter"))
        found.add(Period(year, 1, 12, "year"))
        found.add(Period(year, 1, month, "ytd"))
    return sorted(found, key=lambda p: (p.year, p.last_month, p.first_month, p.kind))
