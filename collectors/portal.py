"""Portal (cổng/trang thông tin điện tử): no vendor API, the public site is read as a citizen would (§5).

One probe row per poll (availability, latency, HTTPS, mobile viewport, the mandatory sections found in the
navigation, the last update) and the items of `rss.xml` and `sitemap.xml`. A portal that does not answer still
gets its probe row (`ok = false`, with the error): availability is the data here. The attempt fails as well.
"""

from __future__ import annotations

import time
import unicodedata
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from collectors.base import CollectorError, Harvest, Target, Window
from collectors.feeds import CURSOR_OVERLAP, open_client

# Mandatory information sections (NĐ 42/2022; NĐ 43/2011 Điều 10 as the checklist), matched on link text.
SECTIONS: dict[str, tuple[str, ...]] = {
    "gioi_thieu": ("giới thiệu", "cơ cấu tổ chức"),
    "tin_tuc": ("tin tức", "sự kiện"),
    "chi_dao_dieu_hanh": ("chỉ đạo điều hành", "chỉ đạo, điều hành"),
    "van_ban": ("văn bản",),
    "thu_tuc_hanh_chinh": ("thủ tục hành chính", "dịch vụ công"),
    "lien_he": ("liên hệ", "thư điện tử"),
    "pho_bien_phap_luat": ("phổ biến", "pháp luật"),
    "quy_hoach_ke_hoach": ("quy hoạch", "kế hoạch", "chiến lược"),
    "du_an_dau_tu": ("dự án", "đấu thầu", "mua sắm"),
    "lay_y_kien": ("lấy ý kiến", "góp ý"),
}
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class PortalCollector:
    system: ClassVar[str] = "portal"
    tables: ClassVar[tuple[str, ...]] = ("portal_probes", "portal_items")

    def collect(self, target: Target, session: requests.Session, window: Window) -> Harvest:
        client = open_client(target, session)
        harvest = Harvest()
        probe: dict[str, Any] = {
            "unit_code": target.unit_code, "probed_at": window.now.isoformat(), "url": client.base_url + "/",
            "https": target.base_url.lower().startswith("https://"), "ok": False,
        }
        harvest.add("portal_probes", [probe])
        started = time.perf_counter()
        try:
            home = client.get("", accept_json=False)
        except CollectorError as exc:
            probe.update(http_status=exc.http_status, error=str(exc),
                         latency_ms=round((time.perf_counter() - started) * 1000, 1))
            harvest.http_status = exc.http_status
            raise _ProbeFailed(str(exc), exc.http_status, harvest) from None
        probe["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        probe["http_status"] = home.status_code
        page = _HomePage()
        page.feed(home.text)
        probe["mobile_viewport"] = page.viewport
        probe["sections"] = sorted(_sections_found(page.link_texts))
        probe["ok"] = True
        # RSS last: for a URL in both, the later row wins the batch, and RSS carries the title and time.
        items = _sitemap_items(client, target.unit_code) + _rss_items(client, target.unit_code)
        dated = [stamp for i in items if (stamp := _instant(i.get("published_at"))) is not None]
        probe["last_item_at"] = max(dated).isoformat() if dated else None
        harvest.add("portal_items", _new_items(items, window.cursors.get("items")))
        if dated:
            newest = max(dated)
            previous = _instant(window.cursors.get("items"))
            harvest.cursors["items"] = max(newest, previous).isoformat() if previous else newest.isoformat()
        harvest.http_status = client.last_status
        return harvest


class _ProbeFailed(CollectorError):
    """The portal did not answer; the harvest still carries the probe row that says so."""

    def __init__(self, message: str, http_status: int | None, harvest: Harvest) -> None:
        super().__init__(message, http_status)
        self.harvest = harvest


class _HomePage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.viewport = False
        self.link_texts: list[str] = []
        self._in_link = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("name") or "").lower() == "viewport":
            self.viewport = True
        elif tag == "a":
            self._in_link, self._text = True, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._in_link:
            self.link_texts.append(" ".join("".join(self._text).split()))
            self._in_link = False

    def handle_data(self, data: str) -> None:
        if self._in_link:
            self._text.append(data)


def _sections_found(link_texts: list[str]) -> set[str]:
    texts = [unicodedata.normalize("NFC", t).lower() for t in link_texts]
    return {key for key, words in SECTIONS.items() if any(w in t for t in texts for w in words)}


def _xml(client: Any, path: str) -> ET.Element | None:
    try:
        response = client.get(path, accept_json=False)
    except CollectorError as exc:
        if exc.http_status == 404:
            return None  # a portal without a feed is data (no items), not a failure
        raise
    try:
        return ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise client.error(f"{client.base_url}/{path}: not well-formed XML ({exc})") from None


def _rss_items(client: Any, unit_code: str) -> list[dict[str, Any]]:
    root = _xml(client, "rss.xml")
    if root is None:
        return []
    items = []
    for item in root.iter("item"):
        link = (item.findtext("link") or "").strip()
        if not link:
            continue
        published = item.findtext("pubDate")
        items.append({
            "unit_code": unit_code, "url": link, "title": (item.findtext("title") or "").strip() or None,
            "published_at": _rfc822(published), "source": "rss",
        })
    return items


def _sitemap_items(client: Any, unit_code: str) -> list[dict[str, Any]]:
    root = _xml(client, "sitemap.xml")
    if root is None:
        return []
    items = []
    for url in root.iter(f"{SITEMAP_NS}url"):
        loc = (url.findtext(f"{SITEMAP_NS}loc") or "").strip()
        if loc:
            lastmod = (url.findtext(f"{SITEMAP_NS}lastmod") or "").strip() or None
            items.append({"unit_code": unit_code, "url": loc, "title": None, "published_at": lastmod,
                          "source": "sitemap"})
    return items


def _new_items(items: list[dict[str, Any]], cursor: str | None) -> list[dict[str, Any]]:
    """Items published since the cursor (minus the overlap); all of them the first time. The feeds list the
    same items again on every visit, and re-storing them unchanged each cycle is most of a cycle's writing."""
    since = _instant(cursor)
    if since is None:
        return items
    since -= CURSOR_OVERLAP
    return [i for i in items if (stamp := _instant(i.get("published_at"))) is not None and stamp >= since]


def _instant(text: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return value.replace(tzinfo=LOCAL_TZ) if value is not None and value.tzinfo is None else value


def _rfc822(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text.strip()).isoformat()
    except (TypeError, ValueError):
        return text  # validation quarantines the row with the field named
