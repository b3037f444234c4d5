"""E-office (văn phòng điện tử): the documents feed, read incrementally (docs/integration.md §2)."""

from __future__ import annotations

from typing import ClassVar

import requests

from collectors.base import Harvest, Target, Window
from collectors.feeds import open_client, read_incremental


class EOfficeCollector:
    system: ClassVar[str] = "eoffice"
    tables: ClassVar[tuple[str, ...]] = ("documents",)

    def collect(self, target: Target, session: requests.Session, window: Window) -> Harvest:
        client = open_client(target, session)
        harvest = Harvest()
        records, cursor = read_incremental(client, "documents", window)
        harvest.add("documents", records)
        if cursor:
            harvest.cursors["documents"] = cursor
        harvest.http_status = client.last_status
        return harvest
