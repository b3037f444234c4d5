"""Vietnamese working time as integer arithmetic: timestamps are seconds of local (+07:00) wall time.

A timestamp is built from a working-day index and a "working minute" in [0, 480): 07:30–11:30 and
13:00–17:00, so generated records never fall on a weekend, a holiday or outside office hours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import numpy as np

from metrics.calendar import WorkCalendar

LOCAL_EPOCH = datetime(1970, 1, 1)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
NEVER = np.iinfo(np.int64).max
NULL = -1
WORK_MINUTES = 480
MORNING_START_S = 7 * 3600 + 30 * 60
AFTERNOON_START_S = 13 * 3600
TZ_SUFFIX = "+07:00"
_VN = timezone(timedelta(hours=7))


def day_seconds(day: date) -> int:
    return (day.toordinal() - EPOCH_ORDINAL) * 86400


def to_date(seconds: int) -> date:
    return date.fromordinal(int(seconds) // 86400 + EPOCH_ORDINAL)


@lru_cache(maxsize=8192)
def _iso_day(day_number: int) -> str:
    return date.fromordinal(day_number + EPOCH_ORDINAL).isoformat()


def format_ts(seconds: int) -> str | None:
    """ISO 8601 with the Vietnam offset; None for NULL or NEVER."""
    if seconds < 0 or seconds == NEVER:
        return None
    day_number, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{_iso_day(day_number)}T{hours:02d}:{minutes:02d}:{secs:02d}{TZ_SUFFIX}"


def format_day(seconds: int) -> str | None:
    if seconds < 0 or seconds == NEVER:
        return None
    return _iso_day(int(seconds) // 86400)


def format_ts_list(seconds: np.ndarray) -> list[str | None]:
    """`format_ts` of every element, vectorised (a page of records formats its timestamps in one call)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    valid = (seconds >= 0) & (seconds != NEVER)
    text = np.datetime_as_string(np.where(valid, seconds, 0).astype("datetime64[s]"), unit="s").tolist()
    return [t + TZ_SUFFIX if ok else None for t, ok in zip(text, valid.tolist(), strict=True)]


def format_day_list(seconds: np.ndarray) -> list[str | None]:
    """`format_day` of every element, vectorised."""
    seconds = np.asarray(seconds, dtype=np.int64)
    valid = (seconds >= 0) & (seconds != NEVER)
    days = (np.where(valid, seconds, 0) // 86400).astype("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").tolist()
    return [t if ok else None for t, ok in zip(text, valid.tolist(), strict=True)]


def parse_ts(text: str) -> int:
    """Seconds of local time from an ISO 8601 timestamp (any offset) or a date; ValueError when unreadable."""
    if len(text) == 10:
        return day_seconds(date.fromisoformat(text))
    moment = datetime.fromisoformat(text.replace(" ", "+").replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(_VN).replace(tzinfo=None)
    return int((moment - LOCAL_EPOCH).total_seconds())




class TimeGrid:
    """The working days between two dates as an array, for vectorised timestamp generation."""

    def __init__(self, calendar: WorkCalendar, start: date, end: date) -> None:
        days = calendar.working_days(start, end)
        self.start = start
        self.end = end
        self.ordinals = np.array([d.toordinal() for d in days], dtype=np.int64)
        self.day_starts = (self.ordinals - EPOCH_ORDINAL) * 86400

    def index_range(self, first: date, last: date) -> tuple[int, int]:
        """Indexes [a, b) of the working days within [first, last]."""
        a = int(np.searchsorted(self.ordinals, first.toordinal(), side="left"))
        b = int(np.searchsorted(self.ordinals, last.toordinal(), side="right"))
        return a, b

    def ts(self, index: np.ndarray, minute: np.ndarray, second: np.ndarray | int = 0) -> np.ndarray:
        index = np.minimum(np.maximum(index, 0), len(self.ordinals) - 1)
        clock = np.where(minute < 240, MORNING_START_S + minute * 60, AFTERNOON_START_S + (minute - 240) * 60)
        return self.day_starts[index] + clock + second

    def day(self, index: np.ndarray) -> np.ndarray:
        """Midnight of working day `index` (for date-valued fields)."""
        return self.day_starts[np.minimum(np.maximum(index, 0), len(self.ordinals) - 1)]
