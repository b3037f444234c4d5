"""Each injected fault produces exactly the wire behaviour documented in docs/integration.md §8."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from simulator.presets import PORTAL_DOWN_UNIT
from tests.plugins.sandbox import SandboxHandle
from tests.simulator.test_pagination import read_all

UNIT = "000.09.27.H27"
FEED = ("eoffice", "documents")


def raw_get(sandbox: SandboxHandle, path: str, timeout: float = 10.0) -> bytes:
    """Everything the server sends for one request, until it closes the connection."""
    host = urlsplit(sandbox.base_url)
    with socket.create_connection((host.hostname, host.port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host.netloc}\r\nAuthorization: Bearer {sandbox.token}\r\n"
                     "Connection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def split_response(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], {k.lower(): v for k, v in headers.items()}, body


def test_down_closes_the_connection_without_a_byte(sandbox: SandboxHandle) -> None:
    sandbox.set_fault(UNIT, "eoffice", "down")
    assert raw_get(sandbox, f"/u/{UNIT}/eoffice/documents") == b""
    with pytest.raises(requests.ConnectionError):
        sandbox.get(UNIT, *FEED)


def test_a_unit_portal_is_permanently_down(sandbox: SandboxHandle) -> None:
    assert raw_get(sandbox, f"/u/{PORTAL_DOWN_UNIT}/portal/") == b""
    sandbox.clear_faults()
    assert raw_get(sandbox, f"/u/{PORTAL_DOWN_UNIT}/portal/") == b""


def test_slow_answers_after_the_client_timeout(sandbox: SandboxHandle) -> None:
    sandbox.set_fault(UNIT, "eoffice", "slow", count=1, seconds=2)
    with pytest.raises(requests.ReadTimeout):
        sandbox.get(UNIT, *FEED, timeout=0.5)
    assert sandbox.get(UNIT, *FEED).status_code == 200


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_5xx_answers_the_status_with_a_json_error(sandbox: SandboxHandle, status: int) -> None:
    sandbox.set_fault(UNIT, "eoffice", "http_5xx", status=status)
    response = sandbox.get(UNIT, *FEED)
    assert response.status_code == status
    assert response.json() == {"error": "server_error", "message": f"injected fault: HTTP {status}"}


def test_rate_limit_answers_429_with_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_fault(UNIT, "eoffice", "rate_limit", count=2, retry_after=7)
    for _ in range(2):
        response = sandbox.get(UNIT, *FEED)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response.json()["error"] == "rate_limited"
    assert sandbox.get(UNIT, *FEED).status_code == 200


def test_malformed_json_is_a_complete_response_whose_body_is_not_json(sandbox: SandboxHandle) -> None:
    good = sandbox.get(UNIT, *FEED, page_size=5).content
    sandbox.set_fault(UNIT, "eoffice", "malformed_json")
    status, headers, body = split_response(raw_get(sandbox, f"/u/{UNIT}/eoffice/documents?page_size=5"))
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert int(headers["content-length"]) == len(body) == len(good) // 2
    assert good.startswith(body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_truncated_page_sends_half_the_declared_length_then_closes(sandbox: SandboxHandle) -> None:
    good = sandbox.get(UNIT, *FEED, page_size=5).content
    sandbox.set_fault(UNIT, "eoffice", "truncated_page")
    status, headers, body = split_response(raw_get(sandbox, f"/u/{UNIT}/eoffice/documents?page_size=5"))
    assert status == "HTTP/1.1 200 OK"
    assert int(headers["content-length"]) == len(good)
    assert body == good[: len(good) // 2]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sandbox.get(UNIT, *FEED, page_size=5)


def test_duplicates_across_pages_repeat_the_previous_pages_tail(sandbox: SandboxHandle) -> None:
    clean = read_all(sandbox, UNIT, "eoffice", "documents", page_size=40)
    sandbox.set_fault(UNIT, "eoffice", "duplicates_across_pages", overlap=3)
    pages: list[list[dict]] = []
    token = None
    while True:
        body = sandbox.get(UNIT, *FEED, page_size=40, **({"page_token": token} if token else {})).json()
        pages.append(body["items"])
        token = body["next_page_token"]
        if token is None:
            break
    for previous, page in zip(pages, pages[1:], strict=False):
        assert page[:3] == previous[-3:]
    seen = [r["doc_id"] for page in pages for r in page]
    assert len(seen) > len(clean)
    assert set(seen) == {r["doc_id"] for r in clean}


def test_updated_after_read_moves_read_records_to_the_end_with_a_later_version(
        fresh_sandbox: SandboxHandle) -> None:
    clean = read_all(fresh_sandbox, UNIT, "onestop", "dossiers", page_size=1000)
    fresh_sandbox.set_fault(UNIT, "onestop", "updated_after_read", per_page=1)
    seen = read_all(fresh_sandbox, UNIT, "onestop", "dossiers", page_size=200)
    first_of_pages = [seen[i]["ma_ho_so"] for i in range(0, len(clean), 200)]
    keys = [r["ma_ho_so"] for r in seen]
    assert len(seen) > len(clean)
    assert set(keys) == {r["ma_ho_so"] for r in clean}
    for key in first_of_pages[:-1]:
        versions = [r["updated_at"] for r in seen if r["ma_ho_so"] == key]
        assert len(versions) == 2 and versions[1] > versions[0]
    latest = {r["ma_ho_so"]: r for r in seen}
    assert len(latest) == len(clean)


def test_clock_skew_shifts_server_time_and_updated_at(sandbox: SandboxHandle) -> None:
    clean = sandbox.get(UNIT, *FEED, page_size=3).json()
    sandbox.set_fault(UNIT, "eoffice", "clock_skew", seconds=-600)
    skewed = sandbox.get(UNIT, *FEED, page_size=3).json()
    assert clean["server_time"] == "2025-09-30T09:00:00+07:00"
    assert skewed["server_time"] == "2025-09-30T08:50:00+07:00"
    for a, b in zip(clean["items"], skewed["items"], strict=True):
        assert {**a, "updated_at": None} == {**b, "updated_at": None}
        assert _minutes(a["updated_at"]) - _minutes(b["updated_at"]) == 10


def _minutes(stamp: str) -> int:
    from datetime import datetime
    return int(datetime.fromisoformat(stamp).timestamp()) // 60


def test_broken_identities_break_the_named_column(sandbox: SandboxHandle) -> None:
    clean = sandbox.get(UNIT, "onestop", "stats", month="2025-08").json()["items"][0]
    assert clean["da_giai_quyet"] == clean["truoc_han"] + clean["dung_han"] + clean["qua_han"]
    assert clean["tong_tiep_nhan"] == clean["truc_tuyen"] + clean["truc_tiep_bcci"] + clean["ky_truoc_chuyen_sang"]
    assert clean["tong_tiep_nhan"] == clean["da_giai_quyet"] + clean["dang_giai_quyet"]
    assert clean["dang_giai_quyet"] == clean["dang_trong_han"] + clean["dang_qua_han"]
    sandbox.set_fault(UNIT, "onestop", "broken_identities", delta=2)
    broken = sandbox.get(UNIT, "onestop", "stats", month="2025-08").json()["items"][0]
    assert broken == {**clean, "da_giai_quyet": clean["da_giai_quyet"] + 2}


def test_faults_are_per_unit_and_system(sandbox: SandboxHandle) -> None:
    sandbox.set_fault(UNIT, "eoffice", "http_5xx")
    assert sandbox.get(UNIT, "onestop", "dossiers").status_code == 200
    assert sandbox.get("000.01.27.H27", *FEED).status_code == 200
    sandbox.clear_faults(UNIT, "eoffice")
    assert sandbox.get(UNIT, *FEED).status_code == 200


def test_fault_file_is_loaded_at_start(sandbox_factory: Callable[..., SandboxHandle], tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"unit": "*", "system": "mail", "fault": "http_5xx", "params": {"status": 500}}]))
    handle = sandbox_factory(preset="small", end_date="2025-09-30", history_months=2, faults_file=faults)
    assert handle.get(UNIT, "mail", "mailboxes").status_code == 500
    assert handle.get(UNIT, *FEED).status_code == 200


@pytest.mark.parametrize(("body", "message"), [
    pytest.param({"unit": UNIT, "system": "eoffice", "fault": "flood"}, "request body entry #1: fault 'flood' is "
                 "not one of ['broken_identities', 'clock_skew', 'down', 'duplicates_across_pages', 'http_5xx', "
                 "'malformed_json', 'rate_limit', 'slow', 'truncated_page', 'updated_after_read']", id="kind"),
    pytest.param({"unit": UNIT, "system": "fax", "fault": "down"}, "request body entry #1: system 'fax' is not one "
                 "of ['eoffice', 'onestop', 'mail', 'portal', '*']", id="system"),
    pytest.param({"unit": UNIT, "system": "eoffice", "fault": "slow", "params": {"delay": 3}},
                 "request body entry #1: fault slow has no parameter(s) ['delay']; it takes ['seconds']", id="param"),
    pytest.param({"unit": "999.99.99.H99", "system": "eoffice", "fault": "down"},
                 "unit 999.99.99.H99 is not served by this sandbox", id="unit"),
])
def test_bad_fault_requests_are_refused_with_the_reason(sandbox: SandboxHandle, body: dict, message: str) -> None:
    response = requests.post(f"{sandbox.base_url}/_control/faults", json=body, timeout=10)
    assert response.status_code == 400
    assert response.json() == {"error": "bad_fault", "message": message}
    assert requests.get(f"{sandbox.base_url}/_control/faults", timeout=10).json()["faults"] == []


def test_requests_without_the_token_are_refused(sandbox: SandboxHandle) -> None:
    response = requests.get(sandbox.url(UNIT, *FEED), timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="itmon-sandbox"'
    assert response.json()["error"] == "unauthorized"
    wrong = requests.get(sandbox.url(UNIT, *FEED), headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
