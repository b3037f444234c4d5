"""The live trickle: as the simulated clock runs, new records appear and open ones get their final version."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from metrics.calendar import load_calendar
from tests.plugins.sandbox import SandboxHandle
from tests.simulator.test_pagination import read_all

UNIT = "019.50.27.H27"


def test_advancing_the_clock_brings_new_and_updated_records(fresh_sandbox: SandboxHandle) -> None:
    before = read_all(fresh_sandbox, UNIT, "onestop", "dossiers", page_size=1000)
    cursor = max(r["updated_at"] for r in before)
    assert fresh_sandbox.get(UNIT, "onestop", "dossiers", updated_since=cursor).json()["items"][-1]["updated_at"] \
        == cursor
    assert fresh_sandbox.advance(hours=8) == "2025-09-30T17:00:00+07:00"
    later = read_all(fresh_sandbox, UNIT, "onestop", "dossiers", page_size=1000, updated_since=cursor)
    known = {r["ma_ho_so"]: r for r in before}
    new = [r for r in later if r["ma_ho_so"] not in known]
    updated = [r for r in later if r["ma_ho_so"] in known and r["updated_at"] > known[r["ma_ho_so"]]["updated_at"]]
    assert new and updated
    assert all(r["ngay_tiep_nhan"].startswith("2025-09-30") for r in new)
    assert all(r["trang_thai"] != "dang_xu_ly" for r in updated)


def test_generated_timestamps_fall_on_working_days_and_hours(sandbox: SandboxHandle) -> None:
    calendar = load_calendar()
    records = read_all(sandbox, UNIT, "onestop", "dossiers", page_size=1000)
    records += read_all(sandbox, "000.09.27.H27", "eoffice", "documents", page_size=1000)
    stamps = [v for r in records for k, v in r.items() if k.startswith("ngay_") and v and len(v) > 10]
    assert len(stamps) > 5000
    for stamp in stamps:
        moment = datetime.fromisoformat(stamp)
        assert calendar.is_working_day(moment.date()), stamp
        minutes = moment.hour * 60 + moment.minute
        assert 7 * 60 + 30 <= minutes <= 17 * 60, stamp
        assert not 11 * 60 + 30 < minutes < 13 * 60, stamp


def test_the_clock_runs_at_the_configured_speed(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    handle = sandbox_factory(preset="small", end_date="2025-09-30", history_months=1, speed=3600.0)
    first = datetime.fromisoformat(handle.health()["sim_now"])
    time.sleep(1.0)
    second = datetime.fromisoformat(handle.health()["sim_now"])
    assert (second - first).total_seconds() >= 3600
