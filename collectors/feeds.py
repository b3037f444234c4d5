"""Reading the contract's feed shapes: incremental keyset-paged feeds, daily ranges, monthly aggregates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import requests

from collectors.base import CollectorError, Target, Window
from collectors.http import JsonClient
from province.registry import RegistryError

PAGE_SIZE = 1000
MAX_PAGES = 100_000
CURSOR_OVERLAP = timedelta(minutes=15)
MAX_CLOCK_SKEW = CURSOR_OVERLAP
DEFAULT_HISTORY_DAYS = 800


def parse_instant(text: str, where: str) -> datetime:
    """An ISO 8601 timestamp with offset; a clear `CollectorError` naming `where` otherwise."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise CollectorError(f"{where}: {text!r} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        raise CollectorError(f"{where}: timestamp {text!r} has no UTC offset (the contract requires one)")
    return value


def read_pages(client: JsonClient, feed: str, params: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every page of a keyset-paged feed, as (page number, envelope); checks the envelope shape."""
    token = None
    for page in range(MAX_PAGES):
        body = client.get_json(feed, {**params, **({"page_token": token} if token else {})})
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise client.error(f"{client.base_url}/{feed} page {page + 1}: not the documented envelope "
                               f"(an object with an 'items' list)")
        yield page, body
        token = body.get("next_page_token")
        if not token:
            return
    raise client.error(f"{client.base_url}/{feed}: more than {MAX_PAGES} pages; the pagination does not end")


def check_clock(client: JsonClient, feed: str, body: dict[str, Any], now: datetime) -> None:
    """Refuse a server whose clock is off by more than the cursor overlap: its cursors would skip records."""
    server_time = body.get("server_time")
    if not server_time:
        return
    skew = parse_instant(server_time, f"{client.base_url}/{feed} server_time") - now
    if abs(skew) > MAX_CLOCK_SKEW:
        raise client.error(
            f"{client.base_url}/{feed}: server clock is off by {skew.total_seconds():+.0f} s (more than the "
            f"{MAX_CLOCK_SKEW.total_seconds():.0f} s overlap window), so its timestamps cannot be trusted for "
            "cursors; fix the server's time synchronisation (NTP)")


def read_incremental(
    client: JsonClient, feed: str, window: Window
) -> tuple[list[dict[str, Any]], str | None]:
    """All records changed since the stored cursor (minus the overlap window); returns (records, new cursor)."""
    params: dict[str, Any] = {"page_size": window.page_size}
    since = _since(window, feed)
    if since is not None:
        params["updated_since"] = since.isoformat()
    records: list[dict[str, Any]] = []
    newest: datetime | None = None
    for page, body in read_pages(client, feed, params):
        if page == 0:
            check_clock(client, feed, body, window.now)
        for item in body["items"]:
            if not isinstance(item, dict):
                raise client.error(f"{client.base_url}/{feed} page {page + 1}: an item is not an object")
            stamp = item.get("updated_at")
            if isinstance(stamp, str):
                try:
                    value = datetime.fromisoformat(stamp)
                except ValueError:
                    value = None  # validation quarantines it with the field named
                if value is not None and value.tzinfo is not None and (newest is None or value > newest):
                    newest = value
            records.append(item)
        window.report(len(body["items"]))
    previous = window.cursors.get(feed)
    if newest is None:
        return records, previous
    if previous and parse_instant(previous, f"stored cursor of {feed}") >= newest:
        return records, previous
    return records, newest.isoformat()


def _since(window: Window, feed: str) -> datetime | None:
    if window.backfill_from is not None:
        return datetime.combine(window.backfill_from, datetime.min.time(), window.now.tzinfo)
    cursor = window.cursors.get(feed)
    if not cursor:
        return None
    return parse_instant(cursor, f"stored cursor of {feed}") - CURSOR_OVERLAP


def day_range(window: Window, feed: str) -> tuple[date, date]:
    """Days to read for a daily feed: the backfill range, or from the last stored day (re-read, it may have
    grown) to today; the first time, from the start of the history window."""
    if window.backfill_from is not None:
        return window.backfill_from, window.backfill_to or window.today
    cursor = window.cursors.get(feed)
    if cursor:
        return min(date.fromisoformat(cursor), window.today), window.today
    return _history_start(window), window.today


def month_range(window: Window, feed: str) -> list[str]:
    """Months (`YYYY-MM`) to read for a monthly aggregate, from the last stored month to the current one."""
    first, last = day_range(window, feed)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _history_start(window: Window) -> date:
    return window.history_start or window.today - timedelta(days=DEFAULT_HISTORY_DAYS)


def open_client(target: Target, session: requests.Session) -> JsonClient:
    """A JSON client for the target, with its credential resolved now (never stored anywhere)."""
    token = None
    if target.credentials is not None:
        try:
            token = target.credentials.resolve()
        except RegistryError as exc:
            raise CollectorError(f"{target.unit_code}/{target.system}: {exc}") from None
    return JsonClient(session, target.base_url, token)
