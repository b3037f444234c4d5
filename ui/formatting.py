"""Numbers and dates in the reader's language, through Babel: dd/mm/yyyy and 1.234,5 in Vietnamese."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

LOCALES = {"vi": "vi_VN", "en": "en_GB"}
LOCAL_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, tuple)) and pd.isna(value))


def number(value: Any, lang: str, digits: int = 2) -> str:
    """``1234.5`` -> ``1.234,5`` (vi) / ``1,234.5`` (en); missing -> em dash, never 0."""
    if _missing(value):
        return "—"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(float(value), format=pattern, locale=LOCALES[lang])


def fixed(value: Any, lang: str, digits: int = 2) -> str:
    """Like :func:`number` but always with ``digits`` decimals (``87,30``)."""
    if _missing(value):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(float(value), format=pattern, locale=LOCALES[lang])


def percent(share: Any, lang: str, digits: int = 1) -> str:
    """A share 0..1 as a percentage: ``0.873`` -> ``87,3%``."""
    if _missing(share):
        return "—"
    return f"{fixed(float(share) * 100, lang, digits)}%"


def day(value: Any, lang: str) -> str:
    """A date or timestamp as dd/mm/yyyy (in Vietnam's time zone for timestamps)."""
    if _missing(value):
        return "—"
    moment = pd.Timestamp(value)
    if moment.tzinfo is not None:
        moment = moment.tz_convert(LOCAL_TIME)
    return babel_format_date(moment.date(), "dd/MM/yyyy", locale=LOCALES[lang])


def moment(value: Any, lang: str) -> str:
    """A timestamp as dd/mm/yyyy HH:MM, Vietnam time."""
    if _missing(value):
        return "—"
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(LOCAL_TIME)
    return f"{day(stamp, lang)} {stamp:%H:%M}"


def period_label(period: str, lang: str) -> str:
    """``2026-03`` -> ``03/2026``; ``2026-Q1`` -> ``Quý 1/2026`` / ``Q1 2026``; ``2026-YTD-10`` -> ``01–10/2026``."""
    if "-YTD-" in period:
        year, _, month = period.split("-")
        return f"01–{int(month):02d}/{year}"
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return f"Quý {quarter}/{year}" if lang == "vi" else f"Q{quarter} {year}"
    if "-" in period:
        year, month = period.split("-")
        return f"{month}/{year}"
    return ("Năm " if lang == "vi" else "Year ") + period


def today_label(lang: str, today: date | datetime | None = None) -> str:
    return day(today or datetime.now(LOCAL_TIME), lang)


def days(values: pd.Series) -> pd.Series:
    """Vectorised :func:`day` for a column (dd/mm/yyyy is the same in both languages); missing -> em dash."""
    stamps = _local(values)
    return stamps.dt.strftime("%d/%m/%Y").fillna("—")


def moments(values: pd.Series) -> pd.Series:
    """Vectorised :func:`moment` for a column."""
    stamps = _local(values)
    return stamps.dt.strftime("%d/%m/%Y %H:%M").fillna("—")


def _local(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert(LOCAL_TIME)
    return stamps
