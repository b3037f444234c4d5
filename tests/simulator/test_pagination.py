"""Pagination and cursors over real HTTP: every record exactly once, in (updated_at, key) order."""

from __future__ import annotations

import pytest

from tests.plugins.sandbox import SandboxHandle

FEEDS = [
    pytest.param("000.09.27.H27", "eoffice", "documents", "doc_id", id="documents"),
    pytest.param("000.09.27.H27", "onestop", "dossiers", "ma_ho_so", id="dossiers"),
    pytest.param("019.50.27.H27", "onestop", "procedures", "ma_tthc", id="procedures"),
    pytest.param("000.09.27.H27", "onestop", "feedback", "ma_pakn", id="feedback"),
    pytest.param("000.01.27.H27", "mail", "mailboxes", "mailbox_id", id="mailboxes"),
]


def read_all(sandbox: SandboxHandle, unit: str, system: str, feed: str, **params: object) -> list[dict]:
    items: list[dict] = []
    token = None
    while True:
        query = dict(params, **({"page_token": token} if token else {}))
        response = sandbox.get(unit, system, feed, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        token = body["next_page_token"]
        if token is None:
            return items


@pytest.mark.parametrize(("unit", "system", "feed", "key"), FEEDS)
def test_pages_return_every_record_exactly_once_in_order(sandbox: SandboxHandle, unit: str, system: str,
                                                         feed: str, key: str) -> None:
    whole = read_all(sandbox, unit, system, feed, page_size=1000)
    paged = read_all(sandbox, unit, system, feed, page_size=37)
    assert len(whole) > 20
    assert [r[key] for r in paged] == [r[key] for r in whole]
    assert len({r[key] for r in paged}) == len(paged)
    order = [(r["updated_at"], r[key]) for r in paged]
    assert order == sorted(order)


@pytest.mark.parametrize(("unit", "system", "feed", "key"), FEEDS)
def test_updated_since_cursor_returns_exactly_the_later_records(sandbox: SandboxHandle, unit: str, system: str,
                                                                feed: str, key: str) -> None:
    whole = read_all(sandbox, unit, system, feed, page_size=1000)
    cursor = whole[len(whole) // 2]["updated_at"]
    later = read_all(sandbox, unit, system, feed, page_size=50, updated_since=cursor)
    assert [r[key] for r in later] == [r[key] for r in whole if r["updated_at"] >= cursor]


def test_mail_activity_pages_cover_each_mailbox_day_once(sandbox: SandboxHandle) -> None:
    window = {"date_from": "2025-09-01", "date_to": "2025-09-30"}
    whole = read_all(sandbox, "000.01.27.H27", "mail", "activity", page_size=1000, **window)
    paged = read_all(sandbox, "000.01.27.H27", "mail", "activity", page_size=101, **window)
    keys = [(r["ngay"], r["mailbox_id"]) for r in paged]
    assert keys == [(r["ngay"], r["mailbox_id"]) for r in whole]
    assert len(set(keys)) == len(keys) > 1000
    assert keys == sorted(keys)
    assert max(r["ngay"] for r in paged) == "2025-09-29"  # the simulated today (30/9) is not complete yet
