"""A unit's public portal: home page with the mandatory sections, section pages, news, RSS 2.0 and sitemap."""

from __future__ import annotations

from html import escape
from xml.sax.saxutils import escape as xml_escape

import numpy as np

from province.registry import Unit
from simulator.generate import NEWS_TITLES, ChunkStore
from simulator.timegrid import format_ts, to_date

# (slug, Vietnamese title): the mandatory information of NĐ 42/2022 and NĐ 43/2011 Điều 10 (spec §5.5)
SECTIONS: tuple[tuple[str, str], ...] = (
    ("gioi-thieu", "Giới thiệu"),
    ("co-cau-to-chuc", "Cơ cấu tổ chức"),
    ("tin-tuc", "Tin tức - Sự kiện"),
    ("chi-dao-dieu-hanh", "Chỉ đạo điều hành"),
    ("van-ban", "Văn bản pháp luật"),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính"),
    ("gop-y-du-thao", "Lấy ý kiến dự thảo văn bản"),
    ("lien-he", "Liên hệ"),
)
RSS_ITEMS = 20


def news_items(store: ChunkStore, unit: Unit, now: int, limit: int | None = None) -> list[tuple[int, int, int]]:
    """(published seconds, key, title index) of the items published by `now`, newest first (at most `limit`)."""
    world = store.world
    rows: list[tuple[int, int, int]] = []
    for month in reversed(world.months_of(unit, to_date(now))):
        chunk = store.get(unit, "portal", month)
        for i in np.flatnonzero(chunk["first"] <= now):
            rows.append((int(chunk["first"][i]), int(chunk["sortkey"][i]), int(chunk["title"][i])))
        if limit is not None and len(rows) >= limit:
            break
    rows.sort(reverse=True)
    return rows[:limit]


def _rfc822(seconds: int) -> str:
    iso = format_ts(seconds) or ""
    day = to_date(seconds)
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[day.weekday()]}, {day.day:02d} {months[day.month - 1]} {day.year} {iso[11:19]} +0700"


def _page(unit: Unit, title: str, body: str, viewport: bool, nav: str) -> str:
    meta = '<meta name="viewport" content="width=device-width, initial-scale=1">\n' if viewport else ""
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n{meta}'
            f"<title>{escape(title)} - {escape(unit.name)}</title>\n"
            '<link rel="alternate" type="application/rss+xml" href="rss.xml">\n</head>\n<body>\n'
            f"<header><h1>{escape(unit.name)}</h1>\n{nav}</header>\n<main>\n{body}</main>\n</body>\n</html>\n")


def _nav(base: str, missing: frozenset[int]) -> str:
    links = "".join(f'<li><a href="{base}/{slug}.html">{escape(title)}</a></li>'
                    for i, (slug, title) in enumerate(SECTIONS) if i not in missing)
    return f"<nav><ul>{links}</ul></nav>"


def home_page(store: ChunkStore, unit: Unit, base: str, now: int, viewport: bool,
              missing: frozenset[int]) -> str:
    latest = news_items(store, unit, now, 10)
    items = "".join(f'<li><a href="{base}/tin-tuc/{key}.html">{escape(NEWS_TITLES[title])}</a> '
                    f"<time datetime=\"{format_ts(published)}\">{to_date(published).strftime('%d/%m/%Y')}</time></li>\n"
                    for published, key, title in latest)
    return _page(unit, "Trang chủ", f"<h2>Tin mới</h2>\n<ul>\n{items}</ul>\n", viewport, _nav(base, missing))


def section_page(unit: Unit, base: str, slug: str, viewport: bool, missing: frozenset[int]) -> str | None:
    for i, (known, title) in enumerate(SECTIONS):
        if known == slug and i not in missing:
            return _page(unit, title, f"<h2>{escape(title)}</h2>\n<p>{escape(unit.name)}</p>\n", viewport,
                         _nav(base, missing))
    return None


def news_page(store: ChunkStore, unit: Unit, base: str, key: int, now: int, viewport: bool,
              missing: frozenset[int]) -> str | None:
    for published, item_key, title in news_items(store, unit, now):
        if item_key == key:
            body = (f"<article><h2>{escape(NEWS_TITLES[title])}</h2>\n"
                    f'<time datetime="{format_ts(published)}">{to_date(published).strftime("%d/%m/%Y")}</time>\n'
                    "</article>\n")
            return _page(unit, NEWS_TITLES[title], body, viewport, _nav(base, missing))
    return None


def rss(store: ChunkStore, unit: Unit, base: str, now: int) -> str:
    items = news_items(store, unit, now, RSS_ITEMS)
    entries = "".join(
        f"<item><title>{xml_escape(NEWS_TITLES[title])}</title><link>{base}/tin-tuc/{key}.html</link>"
        f"<guid>{base}/tin-tuc/{key}.html</guid><pubDate>{_rfc822(published)}</pubDate></item>\n"
        for published, key, title in items)
    last = f"<lastBuildDate>{_rfc822(items[0][0])}</lastBuildDate>\n" if items else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>{xml_escape(unit.name)}</title>\n<link>{base}/</link>\n"
            f"<description>Tin tức - {xml_escape(unit.name)}</description>\n<language>vi</language>\n"
            f"{last}{entries}</channel>\n</rss>\n")


def sitemap(store: ChunkStore, unit: Unit, base: str, now: int, missing: frozenset[int]) -> str:
    items = news_items(store, unit, now)
    newest = to_date(items[0][0]).isoformat() if items else None
    urls = [f"<url><loc>{base}/</loc>{f'<lastmod>{newest}</lastmod>' if newest else ''}</url>"]
    urls += [f"<url><loc>{base}/{slug}.html</loc></url>" for i, (slug, _) in enumerate(SECTIONS) if i not in missing]
    urls += [f"<url><loc>{base}/tin-tuc/{key}.html</loc><lastmod>{format_ts(published)}</lastmod></url>"
             for published, key, _ in items]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(urls) + "\n</urlset>\n")
