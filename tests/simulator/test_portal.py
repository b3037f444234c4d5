"""Portals over real HTTP: home page sections and viewport, RSS 2.0 and sitemap, a collapsing unit going quiet."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

import pytest

from simulator.portal import SECTIONS
from simulator.presets import COLLAPSING_UNIT
from tests.plugins.sandbox import SandboxHandle

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_home_page_has_vietnamese_sections_and_viewport(sandbox: SandboxHandle) -> None:
    response = sandbox.session.get(sandbox.url("000.09.27.H27", "portal") + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.text
    titles = re.findall(r'<li><a href="[^"]+/([a-z-]+)\.html">([^<]+)</a></li>', html)
    assert titles and all((slug, title) in SECTIONS for slug, title in titles)
    assert '<meta name="viewport"' in html
    for slug, _ in titles:
        assert sandbox.session.get(sandbox.url("000.09.27.H27", "portal", f"{slug}.html"), timeout=10).ok


def test_rss_and_sitemap_agree_and_parse(sandbox: SandboxHandle) -> None:
    rss = ET.fromstring(sandbox.session.get(sandbox.url("001.50.27.H27", "portal", "rss.xml"), timeout=10).content)
    items = rss.findall("./channel/item")
    assert rss.get("version") == "2.0" and 0 < len(items) <= 20
    dates = [parsedate_to_datetime(i.findtext("pubDate") or "") for i in items]
    assert dates == sorted(dates, reverse=True)
    sitemap = ET.fromstring(sandbox.session.get(sandbox.url("001.50.27.H27", "portal", "sitemap.xml"),
                                                timeout=10).content)
    locations = {u.findtext("s:loc", namespaces=SITEMAP_NS) for u in sitemap.findall("s:url", SITEMAP_NS)}
    assert {i.findtext("link") for i in items} <= locations
    first = items[0].findtext("link") or ""
    article = sandbox.session.get(first, timeout=10)
    assert article.status_code == 200 and (items[0].findtext("title") or "") in article.text
    assert sandbox.session.get(sandbox.url("001.50.27.H27", "portal", "tin-tuc/1.html"), timeout=10).status_code == 404


def test_some_portals_lack_a_mobile_viewport(default_sandbox: SandboxHandle) -> None:
    world_units = [u for u in default_sandbox.province.units if "portal" in u.endpoints]
    html = {u.code: default_sandbox.session.get(u.endpoints["portal"].base_url + "/", timeout=10)
            for u in world_units[:60] if u.code != "090.50.27.H27"}
    without = [code for code, r in html.items() if '<meta name="viewport"' not in r.text]
    assert 0 < len(without) < len(html) / 5


@pytest.mark.slow
def test_collapsing_unit_goes_quiet_while_others_keep_going(default_sandbox: SandboxHandle) -> None:
    def online_share(code: str, month: str) -> float:
        row = default_sandbox.get(code, "onestop", "stats", month=month).json()["items"][0]
        return row["truc_tuyen"] / (row["truc_tuyen"] + row["truc_tiep_bcci"])

    assert online_share(COLLAPSING_UNIT, "2026-10") < online_share(COLLAPSING_UNIT, "2026-03") - 0.3
    rss = ET.fromstring(default_sandbox.session.get(default_sandbox.url(COLLAPSING_UNIT, "portal", "rss.xml"),
                                                    timeout=10).content)
    newest = parsedate_to_datetime(rss.findtext("./channel/item/pubDate") or "")
    assert newest.date().isoformat() < "2026-09-01"

