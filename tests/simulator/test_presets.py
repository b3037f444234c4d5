"""The default sandbox province and the data it generates: real names, special units, profiles, volumes."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from metrics.calendar import load_calendar
from province.registry import load_registry
from simulator.generate import ChunkStore, World, month_key
from simulator.presets import (
    COLLAPSING_UNIT,
    DEFAULT_REGISTRY,
    MERGED_UNIT,
    NO_ONESTOP_UNIT,
    PORTAL_DOWN_UNIT,
    build_province,
    write_served_registry,
)
from simulator.timegrid import TimeGrid

END = date(2026, 10, 31)


@pytest.fixture(scope="module")
def world() -> World:
    grid = TimeGrid(load_calendar(), date(2023, 1, 1), date(2028, 12, 31))
    return World(766, grid, date(2024, 11, 1), END, frozenset({COLLAPSING_UNIT}))


def test_default_province_has_real_units_and_the_special_cases() -> None:
    province = load_registry(DEFAULT_REGISTRY)
    today = province.active_units(date(2026, 1, 1))
    departments = [u for u in today if u.level == "department"]
    communes = [u for u in today if u.level == "commune"]
    assert len(departments) >= 20 and len(communes) >= 80
    names = {u.name for u in province.units}
    assert {"Sở Y tế", "Sở Tài chính", "Sở Tư pháp", "Thanh tra tỉnh", "Văn phòng Ủy ban nhân dân tỉnh",
            "Ban Quản lý các khu công nghiệp", "Sở Giáo dục và Đào tạo", "Sở Văn hóa, Thể thao và Du lịch",
            "Sở Thông tin và Truyền thông", "Sở Kế hoạch và Đầu tư"} <= names
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    merged = province.unit(MERGED_UNIT)
    assert merged.valid_from == date(2025, 7, 1) and len(merged.predecessors) == 2
    assert all(province.unit(p).valid_to == date(2025, 6, 30) for p in merged.predecessors)
    assert "onestop" not in province.unit(NO_ONESTOP_UNIT).endpoints
    assert "portal" in province.unit(PORTAL_DOWN_UNIT).endpoints
    assert province.unit(COLLAPSING_UNIT).level == "commune"


def test_served_registry_round_trips_through_the_loader(tmp_path: Path) -> None:
    province = build_province("small")
    served = write_served_registry(province, "http://127.0.0.1:9999", tmp_path / "served.toml")
    again = load_registry(tmp_path / "served.toml")
    assert again.units == served.units
    assert again.unit("000.09.27.H27").endpoints["eoffice"].base_url == "http://127.0.0.1:9999/u/000.09.27.H27/eoffice"


def test_scale_preset_has_5000_distinct_valid_units(tmp_path: Path) -> None:
    province = build_province("scale")
    ranked = [u for u in province.units if u.is_ranked]
    assert len(ranked) == 5000
    assert len({u.code for u in province.units}) == len(province.units)
    write_served_registry(province, "http://127.0.0.1:9999", tmp_path / "scale.toml")
    assert len(load_registry(tmp_path / "scale.toml").units) == 5001


def test_profiles_include_leaders_laggards_improvers_and_one_collapse(world: World) -> None:
    province = load_registry(DEFAULT_REGISTRY)
    ranked = [u.code for u in province.units if u.is_ranked and u.valid_to is None]
    kinds = [world.profile(code) for code in ranked]
    assert {"leader", "average", "laggard", "improver"} <= set(kinds)
    assert kinds.count("collapsing") == 1
    last, before = month_key(END), month_key(END) - 7
    assert world.adoption(COLLAPSING_UNIT, last) < world.adoption(COLLAPSING_UNIT, before) - 0.5
    improvers = [c for c, k in zip(ranked, kinds, strict=True) if k == "improver"]
    assert all(world.adoption(c, last) > world.adoption(c, month_key(date(2024, 11, 1))) + 0.3 for c in improvers)


@pytest.mark.slow
def test_province_volume_is_hundreds_of_thousands_of_dossiers_a_year(world: World) -> None:
    province = load_registry(DEFAULT_REGISTRY)
    store = ChunkStore(world, maxsize=16)
    year = range(month_key(date(2025, 11, 1)), month_key(date(2026, 10, 31)) + 1)
    total = sum(len(store.get(u, "dossiers", m)["sortkey"]) for u in province.units if "onestop" in u.endpoints
                and u.valid_to is None for m in year)
    assert 200_000 < total < 1_000_000


def test_final_versions_come_within_the_lag_bound_that_cursor_queries_rely_on(world: World) -> None:
    from simulator.generate import MAX_LAG_DAYS
    from simulator.timegrid import NEVER
    province = load_registry(DEFAULT_REGISTRY)
    store = ChunkStore(world, maxsize=64)
    for unit in province.units[1:40]:
        for feed in ("documents", "dossiers", "feedback"):
            if feed != "documents" and "onestop" not in unit.endpoints:
                continue
            for month in world.months_of(unit, END)[-14:]:
                chunk = store.get(unit, feed, month)
                done = chunk["final"] != NEVER
                assert ((chunk["final"][done] - chunk["first"][done]) < MAX_LAG_DAYS * 86400).all()
