"""Official mail (thư công vụ): mailbox list incrementally, daily activity by date range (§4). Counts only."""

from __future__ import annotations

from typing import ClassVar

import requests

from collectors.base import Harvest, Target, Window
from collectors.feeds import day_range, open_client, read_incremental, read_pages


class MailCollector:
    system: ClassVar[str] = "mail"
    tables: ClassVar[tuple[str, ...]] = ("mailboxes", "mail_activity")

    def collect(self, target: Target, session: requests.Session, window: Window) -> Harvest:
        client = open_client(target, session)
        harvest = Harvest()
        records, cursor = read_incremental(client, "mailboxes", window)
        harvest.add("mailboxes", records)
        if cursor:
            harvest.cursors["mailboxes"] = cursor
        first, last = day_range(window, "activity")
        params = {"date_from": first.isoformat(), "date_to": last.isoformat(), "page_size": window.page_size}
        for page, body in read_pages(client, "activity", params):
            for item in body["items"]:
                if not isinstance(item, dict):
                    raise client.error(f"{client.base_url}/activity page {page + 1}: an item is not an object")
            harvest.add("mail_activity", body["items"])
            window.report(len(body["items"]))
        if window.backfill_from is None:
            harvest.cursors["activity"] = last.isoformat()
        harvest.http_status = client.last_status
        return harvest
