"""The sandbox's HTTP/1.1 server: asyncio streams with h11 for the protocol.

Plain asyncio rather than an ASGI framework because the faults need the socket itself: closing a connection
without an answer (`down`) and sending fewer bytes than the declared Content-Length (`truncated_page`) are not
expressible through ASGI.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import h11

from province.registry import Province, Unit
from simulator.faults import FAULT_PARAMS, IDENTITY_COLUMNS, Fault, FaultBook, FaultSpecError, parse_faults
from simulator.feeds import (
    DEFAULT_PAGE_SIZE,
    INCREMENTAL_FEEDS,
    MAX_PAGE_SIZE,
    FeedError,
    Feeds,
    portal_profile,
)
from simulator.generate import month_key
from simulator.portal import home_page, news_page, rss, section_page, sitemap
from simulator.timegrid import format_ts, parse_ts

JSON_TYPE = "application/json; charset=utf-8"
LOG = logging.getLogger("simulator")
_KNOWN_STATUSES = frozenset(s.value for s in HTTPStatus)
SERVER_NAME = b"itmon-sandbox/1.0"
FEED_PARAMS = {"updated_since", "page_size", "page_token"}
ACTIVITY_PARAMS = {"date_from", "date_to", "page_size", "page_token"}


class SimClock:
    """Simulated local time in seconds: starts at `start`, runs at `speed` × wall time, can be advanced."""

    def __init__(self, start: int, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._start = start
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._offset = 0

    def now(self) -> int:
        return self._start + self._offset + int((self._monotonic() - self._origin) * self._speed)

    def advance(self, seconds: int) -> int:
        self._offset += seconds
        return self.now()


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False  # close the connection without sending anything
    truncate: bool = False  # declare the full length, send half, close


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, JSON_TYPE, headers or [])


def error(status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"error": code, "message": message}, headers)


class Sandbox:
    """Routes requests to feeds, control endpoints and faults. One instance per served province."""

    def __init__(self, province: Province, feeds: Feeds, clock: SimClock, token: str, *, latency_s: float = 0.0,
                 faults: FaultBook | None = None, down_portals: frozenset[str] = frozenset(),
                 info: dict[str, Any] | None = None) -> None:
        self.province = province
        self.feeds = feeds
        self.clock = clock
        self.token = token
        self.latency_s = latency_s
        self.faults = faults or FaultBook()
        self.down_portals = down_portals
        self.info = info or {}
        self.units: dict[str, Unit] = {u.code: u for u in province.units}
        self.overrides: dict[tuple[str, str], dict[int, int]] = {}
        self.requests = 0

    async def respond(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(target)
        path = parts.path
        try:
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        except ValueError:
            return error(400, "bad_request", "the query string is not valid URL encoding")
        if path.startswith("/_control/"):
            return self._control(method, path, query, body)
        if not path.startswith("/u/"):
            return error(404, "not_found", f"no such path {path}; unit systems live under /u/<unit_code>/<system>")
        self.requests += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        segments = path[3:].split("/", 2)
        code = segments[0]
        system = segments[1] if len(segments) > 1 else ""
        rest = segments[2] if len(segments) > 2 else ""
        unit = self.units.get(code)
        if unit is None:
            return error(404, "unknown_unit", f"unit {code} is not served by this sandbox")
        if system not in unit.endpoints:
            return error(404, "unknown_system", f"unit {code} has no {system or '(empty)'} system; it has "
                                                f"{sorted(unit.endpoints)}")
        if method != "GET":
            return error(405, "method_not_allowed", "only GET is supported", [("Allow", "GET")])
        if system == "portal" and code in self.down_portals:
            return Response(0, close=True)
        fault = self.faults.take(code, system)
        early = await self._early_fault(fault)
        if early is not None:
            return early
        if system == "portal":
            response = self._portal(unit, rest)
        elif headers.get("authorization") != f"Bearer {self.token}":
            response = error(401, "unauthorized", "missing or wrong bearer token",
                             [("WWW-Authenticate", 'Bearer realm="itmon-sandbox"')])
        else:
            try:
                response = self._api(unit, system, rest, query, fault)
            except FeedError as exc:
                response = error(exc.status, exc.code, str(exc))
        return self._late_fault(fault, response)

    async def _early_fault(self, fault: Fault | None) -> Response | None:
        if fault is None:
            return None
        if fault.kind == "down":
            return Response(0, close=True)
        if fault.kind == "slow":
            await asyncio.sleep(fault.param("seconds"))
        elif fault.kind == "http_5xx":
            status = int(fault.param("status"))
            return error(status, "server_error", f"injected fault: HTTP {status}")
        elif fault.kind == "rate_limit":
            retry = int(fault.param("retry_after"))
            return error(429, "rate_limited", f"too many requests; retry after {retry} s",
                         [("Retry-After", str(retry))])
        return None

    @staticmethod
    def _late_fault(fault: Fault | None, response: Response) -> Response:
        if fault is None or response.status != 200:
            return response
        if fault.kind == "malformed_json":
            response.body = response.body[: len(response.body) // 2]
        elif fault.kind == "truncated_page":
            response.truncate = True
        return response

    # ---- vendor APIs -----------------------------------------------------------------------------------
    def _api(self, unit: Unit, system: str, feed: str, query: dict[str, str], fault: Fault | None) -> Response:
        now = self.clock.now()
        skew = int(fault.param("seconds")) if fault and fault.kind == "clock_skew" else 0
        if feed in INCREMENTAL_FEEDS.get(system, ()):
            return self._incremental(unit, feed, query, now, skew, fault)
        if system == "mail" and feed == "activity":
            _check_params(query, ACTIVITY_PARAMS)
            date_from = _date_param(query, "date_from")
            date_to = _date_param(query, "date_to")
            if date_to < date_from:
                raise FeedError(400, "bad_request", "date_to is before date_from; swap them")
            page = self.feeds.activity(unit, now, date_from, date_to, query.get("page_token"), _page_size(query))
            return self._envelope(page.items, page.next_token, now + skew)
        if system == "onestop" and feed == "stats":
            _check_params(query, {"month"})
            month = _month_param(query)
            if month > month_key(date.fromordinal(now // 86400 + date(1970, 1, 1).toordinal())):
                raise FeedError(404, "no_data", f"month {query['month']} has not started yet")
            item = self.feeds.stats(unit, now, month)
            if fault and fault.kind == "broken_identities":
                column = IDENTITY_COLUMNS[int(fault.param("column"))]
                value = item[column]
                if isinstance(value, int):
                    item[column] = value + int(fault.param("delta"))
            return self._envelope([item], None, now + skew)
        feeds = [*INCREMENTAL_FEEDS.get(system, ()), *(("activity",) if system == "mail" else ()),
                 *(("stats",) if system == "onestop" else ())]
        raise FeedError(404, "unknown_feed", f"{system} has no feed {feed!r}; it serves {feeds}")

    def _incremental(self, unit: Unit, feed: str, query: dict[str, str], now: int, skew: int,
                     fault: Fault | None) -> Response:
        _check_params(query, FEED_PARAMS)
        since = None
        if query.get("updated_since"):
            try:
                since = parse_ts(query["updated_since"])
            except ValueError:
                raise FeedError(400, "bad_request", f"updated_since {query['updated_since']!r} is not an ISO 8601 "
                                                    f"timestamp, e.g. 2026-03-02T08:15:00+07:00") from None
        overlap = int(fault.param("overlap")) if fault and fault.kind == "duplicates_across_pages" else 0
        key = (unit.code, feed)
        page = self.feeds.page(unit, feed, now, since, query.get("page_token") or None, _page_size(query),
                               self.overrides.get(key), skew, overlap)
        if fault and fault.kind == "updated_after_read" and page.items:
            bumped = self.overrides.setdefault(key, {})
            for k in page.last_keys[: int(fault.param("per_page"))]:
                bumped[k] = now + len(bumped) + 1
        return self._envelope(page.items, page.next_token, now + skew)

    @staticmethod
    def _envelope(items: list[dict[str, object]], token: str | None, server_now: int) -> Response:
        return json_response(200, {"items": items, "next_page_token": token, "server_time": format_ts(server_now)})

    # ---- portal --------------------------------------------------------------------------------------------
    def _portal(self, unit: Unit, rest: str) -> Response:
        now = self.clock.now()
        base = unit.endpoints["portal"].base_url
        viewport, missing = portal_profile(self.feeds.world, unit)
        store = self.feeds.store
        html = "text/html; charset=utf-8"
        if rest in ("", "index.html"):
            return Response(200, home_page(store, unit, base, now, viewport, missing).encode(), html)
        if rest == "rss.xml":
            return Response(200, rss(store, unit, base, now).encode(), "application/rss+xml; charset=utf-8")
        if rest == "sitemap.xml":
            return Response(200, sitemap(store, unit, base, now, missing).encode(), "application/xml; charset=utf-8")
        page: str | None = None
        if rest.startswith("tin-tuc/") and rest.endswith(".html") and rest[8:-5].isdigit():
            page = news_page(store, unit, base, int(rest[8:-5]), now, viewport, missing)
        elif rest.endswith(".html"):
            page = section_page(unit, base, rest[:-5], viewport, missing)
        if page is None:
            return Response(404, "<!DOCTYPE html><title>404</title><p>Không tìm thấy trang</p>".encode(), html)
        return Response(200, page.encode(), html)

    # ---- control API ---------------------------------------------------------------------------------------
    def _control(self, method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        if path == "/_control/health" and method == "GET":
            return json_response(200, {"status": "ok", "units": len(self.units), "sim_now": format_ts(self.clock.now()),
                                       "requests": self.requests, **self.info})
        if path == "/_control/faults":
            if method == "GET":
                return json_response(200, {"faults": self.faults.as_json(), "kinds": sorted(FAULT_PARAMS)})
            if method == "DELETE":
                removed = self.faults.clear(query.get("unit"), query.get("system"))
                self.overrides.clear()
                return json_response(200, {"removed": removed})
            if method == "POST":
                try:
                    faults = parse_faults(json.loads(body or b"null"), "request body")
                except json.JSONDecodeError as exc:
                    return error(400, "bad_request", f"request body is not JSON ({exc.msg})")
                except FaultSpecError as exc:
                    return error(400, "bad_fault", str(exc))
                unknown = [f.unit for f in faults if f.unit != "*" and f.unit not in self.units]
                if unknown:
                    return error(400, "bad_fault", f"unit {unknown[0]} is not served by this sandbox")
                self.faults.add(faults)
                return json_response(201, {"added": len(faults), "faults": self.faults.as_json()})
        if path == "/_control/clock" and method == "POST":
            try:
                seconds = json.loads(body or b"{}").get("advance_seconds")
            except (json.JSONDecodeError, AttributeError):
                seconds = None
            if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                return error(400, "bad_request", "send {\"advance_seconds\": n} with a whole number n ≥ 0")
            return json_response(200, {"sim_now": format_ts(self.clock.advance(seconds))})
        return error(404, "not_found", f"no control endpoint {method} {path}")


def _check_params(query: dict[str, str], allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise FeedError(400, "bad_request", f"unknown query parameter(s) {unknown}; this feed takes {sorted(allowed)}")


def _page_size(query: dict[str, str]) -> int:
    raw = query.get("page_size", str(DEFAULT_PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise FeedError(400, "bad_request", f"page_size {raw!r} must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def _date_param(query: dict[str, str], name: str) -> date:
    raw = query.get(name)
    if not raw:
        raise FeedError(400, "bad_request", f"{name} is required, as YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FeedError(400, "bad_request", f"{name} {raw!r} is not a date; write it as YYYY-MM-DD") from None


def _month_param(query: dict[str, str]) -> int:
    raw = query.get("month", "")
    try:
        return month_key(date.fromisoformat(raw + "-01"))
    except ValueError:
        raise FeedError(400, "bad_request", f"month {raw!r} is required as YYYY-MM") from None


# ---- HTTP/1.1 over asyncio ---------------------------------------------------------------------------------
async def _read_request(conn: h11.Connection, reader: asyncio.StreamReader) -> tuple[h11.Request, bytes] | None:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return (request, bytes(body)) if request is not None else None
        elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
            return None


def _wire(conn: h11.Connection, response: Response) -> bytes:
    headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
               ("Server", SERVER_NAME.decode()), *response.headers]
    reason = HTTPStatus(response.status).phrase.encode() if response.status in _KNOWN_STATUSES else b""
    head = conn.send(h11.Response(status_code=response.status, headers=headers, reason=reason)) or b""
    if response.truncate:
        return head + (conn.send(h11.Data(data=response.body[: len(response.body) // 2])) or b"")
    return head + (conn.send(h11.Data(data=response.body)) or b"") + (conn.send(h11.EndOfMessage()) or b"")


async def serve_connection(app: Sandbox, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    conn = h11.Connection(h11.SERVER)
    try:
        while True:
            try:
                received = await _read_request(conn, reader)
            except h11.RemoteProtocolError:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                break
            if received is None:
                break
            request, body = received
            headers = {k.decode().lower(): v.decode("latin-1") for k, v in request.headers}
            try:
                response = await app.respond(request.method.decode(), request.target.decode("latin-1"), headers, body)
            except Exception as exc:  # noqa: BLE001 - one bad request must not take the connection loop down
                LOG.exception("request %s failed", request.target)
                response = error(500, "internal_error", f"the sandbox failed on this request: {type(exc).__name__}")
            if response.close:
                break
            writer.write(_wire(conn, response))
            await writer.drain()
            if response.truncate or conn.our_state is h11.MUST_CLOSE:
                break
            conn.start_next_cycle()
    except (ConnectionError, h11.LocalProtocolError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()

