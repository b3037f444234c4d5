"""One-stop (một cửa điện tử / DVC): dossiers, procedures, feedback incrementally; monthly stats (§3)."""

from __future__ import annotations

from typing import Any, ClassVar

import requests

from collectors.base import CollectorError, Harvest, Target, Window
from collectors.feeds import month_range, open_client, read_incremental

INCREMENTAL_FEEDS = (("dossiers", "dossiers"), ("procedures", "procedures"), ("feedback", "feedback"))


class OneStopCollector:
    system: ClassVar[str] = "onestop"
    tables: ClassVar[tuple[str, ...]] = ("dossiers", "procedures", "feedback", "onestop_stats")

    def collect(self, target: Target, session: requests.Session, window: Window) -> Harvest:
        client = open_client(target, session)
        harvest = Harvest()
        for feed, table in INCREMENTAL_FEEDS:
            records, cursor = read_incremental(client, feed, window)
            harvest.add(table, records)
            if cursor:
                harvest.cursors[feed] = cursor
        months = month_range(window, "stats")
        for month in months:
            try:
                body = client.get_json("stats", {"month": month})
            except CollectorError as exc:
                if exc.http_status == 404 and "no_data" in str(exc):
                    continue  # no report for that month (before the unit existed): no data, not zero
                raise
            harvest.add("onestop_stats", [_stats_row(item, month) for item in _stats_items(body, client, month)])
        if months and window.backfill_from is None:
            harvest.cursors["stats"] = f"{months[-1]}-01"
            harvest.hold_cursor_on_quarantine["stats"] = "onestop_stats"
        harvest.http_status = client.last_status
        return harvest


def _stats_items(body: Any, client: Any, month: str) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body["items"]
    if isinstance(body, dict):
        return [body]
    raise client.error(f"{client.base_url}/stats?month={month}: expected an object, got {type(body).__name__}")


def _stats_row(item: Any, month: str) -> dict[str, Any]:
    row = dict(item) if isinstance(item, dict) else {}
    stated = str(row.get("month") or month)
    row["month"] = f"{stated}-01" if len(stated) == 7 else stated  # the table keys months by their first day
    return row
