"""Cell values as vendors write them (dd/mm/yyyy, Có/Không, 1.234) → typed values for a raw-table column.

Each function raises ValueError with a message that quotes the bad value and names the expected form;
the caller adds the row and column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7))

DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
MONTH_FORMATS = ("%m/%Y", "%m-%Y", "%Y-%m", *DATE_FORMATS)
TIMESTAMP_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    *DATE_FORMATS,
)

TRUE_WORDS = frozenset({"có", "co", "x", "1", "true", "đúng", "yes", "đã", "rồi"})
FALSE_WORDS = frozenset({"không", "khong", "0", "false", "sai", "no", "chưa"})

Cell = object


def clean_text(value: Cell) -> str:
    """NFC-normalised text with runs of whitespace (including line breaks inside a cell) collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_text(value: Cell) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value)


def to_int(value: Cell) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"'{value}' is not a whole number")
    text = clean_text(value)
    # Vietnamese exports group thousands with '.' or a space: 1.234 or 1 234.
    digits = re.sub(r"(?<=\d)[.\s](?=\d{3}(?:\D|$))", "", text)
    if not re.fullmatch(r"-?\d+", digits):
        raise ValueError(f"'{text}' is not a whole number")
    return int(digits)


def to_bool(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    word = clean_text(value).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"'{clean_text(value)}' is not yes/no (Có/Không, x, 1/0)")


def _parse(text: str, formats: tuple[str, ...]) -> datetime | None:
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def to_date(value: Cell) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    parsed = _parse(text, DATE_FORMATS)
    if parsed is None:
        raise ValueError(f"'{text}' is not a date in the form dd/mm/yyyy")
    return parsed.date()


def to_month(value: Cell) -> date:
    """A month column: mm/yyyy (or any date in it), stored as the first day of the month."""
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    text = clean_text(value)
    parsed = _parse(text, MONTH_FORMATS)
    if parsed is None:
        raise ValueError(f"'{text}' is not a month in the form mm/yyyy")
    return date(parsed.year, parsed.month, 1)


def to_timestamp(value: Cell) -> datetime:
    """A local Vietnamese time (dd/mm/yyyy hh:mm[:ss]); a bare date means its midnight; stored in UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = clean_text(value)
        found = _parse(text, TIMESTAMP_FORMATS)
        if found is None:
            raise ValueError(f"'{text}' is not a date and time in the form dd/mm/yyyy hh:mm")
        parsed = found
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VIETNAM)
    return parsed.astimezone(UTC)


COERCERS: dict[str, Callable[[Cell], object]] = {
    "VARCHAR": to_text,
    "TINYINT": to_int,
    "INTEGER": to_int,
    "BIGINT": to_int,
    "BOOLEAN": to_bool,
    "DATE": to_date,
    "TIMESTAMP WITH TIME ZONE": to_timestamp,
}


def coerce(column: str, dtype: str, value: Cell) -> object:
    """A cell → the typed value of a raw-table column; blank → None (no data, never 0)."""
    if is_blank(value):
        return None
    if column == "month":
        return to_month(value)
    return COERCERS[dtype](value)
