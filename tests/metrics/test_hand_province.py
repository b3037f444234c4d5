"""The hand-computed province (tests/metrics/hand_province.py), checked number by number.

Each expected value below is written as the arithmetic a reviewer does by hand from the records: counts first,
then the rubric's function. April 2026: holidays Mon 27/4 and Thu 30/4 (and Fri 1/5).
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.engine import refresh_scores
from tests.metrics.hand_province import C1, D1, D2, NOW, SELF_REPORTS, build

NA, NO_DATA = "na", "no_data"

# metric → (numerator, denominator, points) or a status, for April 2026
EXPECTED_APRIL: dict[str, dict[str, tuple[float, float, float] | str]] = {
    D1: {
        "EO-01": (5, 6, 6 * (5 / 6) / 0.95),       # o1 o2 o3 o4 o7 signed of o1–o5, o7 (o6 confidential)
        "EO-02": (3, 5, 5 * (3 / 5) / 0.90),       # o1 o3 o7 electronic-only; o2 paper, o5 giay; o4 internal
        "EO-03": (3, 5, 0.0),                      # o1 o2 o3 (holiday) on time; o4 2 days; o7 urgent next day → 60 % < 70 %
        "EO-04": (5, 6, 3 * 0.5),                  # i5 registered 2 working days late; i2 across the 27/4 holiday on time
        "EO-05": (2, 4, 7 * 0.5),                  # i1 done on time + i2 open in time / i1 i2 i5 i6
        "EO-06": (1, 4, 0.0),                      # i6 overdue at 30/4: 25 % ≥ 10 % → 0
        "EO-07": (1, 2, 0.0),                      # i3 same day; i4 forwarded the next day → 50 %
        "EO-08": (4, 5, 2 * 0.8 / 0.95),           # i1 i2 i5 i6 of the 5 with a known flag
        "ML-01": (8, 10, 3 * 0.8),                 # m1–m8 personal and active / headcount 10
        "ML-02": (6, 8, 4 * 0.75 / 0.90),          # m1–m6 logged in during 1–30/4
        "ML-03": (60, 10, 2.0),                    # 6 messages/person/month ≥ P90 of departments (5.8)
        "ML-04": (1, 1, 1.0),
        "PT-01": (99, 100, 3 * 2 / 3),             # 99 % → the 99–99.5 % band
        "PT-02": (4, 10, 5 * 4 / 10),              # 4 of the 10 sections of NĐ 43/2011 Đ10
        "PT-03": (6, 1, 3 * 6 / 8),
        "PT-04": (9, 10, 2 * 0.9),
        "PT-05": (3, 4, 2 * 0.75),                 # https, viewport, .gov.vn; no IPv6 (self-report 0)
        "OS-01": (3, 6, 10 * 0.5),                 # on time s1 s6 (pause) + pending s4; late s2, s3 (2 supplements), s5
        "OS-02": (3, 6, 5.0),                      # s1 s3 s6 online: 50 % = target
        "OS-03": (3, 5, 2 * 0.6 / 0.8),
        "OS-04": (1, 2, 4 * 0.5),
        "OS-05": (3, 4, 4 * 0.75 / 0.8),
        "OS-06": (2, 3, 4 * (2 / 3) / 0.9),
        "OS-07": (1, 3, 2 / 3),                    # s2 has an apology; s3 and pending s5 not
        "OS-08": (4, 6, 2 * 4 / 6),
        "OS-09": (2, 3, 0.0),                      # f1 on time, f2 open in time (due 30/4 → 4/5), f3 late → 67 %
        "SR-01": (1, 1, 1 + 2 * 0.6),
        "SR-02": (8, 10, 3 * 0.8 / 0.9),
        "SR-03": (1, 2, 1.0),
        "SR-04": (11, 12, 2 * 11 / 12),
    },
    D2: {
        "EO-01": (2, 2, 6.0), "EO-02": (2, 2, 5.0), "EO-03": (2, 2, 3.0), "EO-04": (1, 1, 3.0),
        "EO-05": NA, "EO-06": NA, "EO-07": NA, "EO-08": (1, 1, 2.0),
        "ML-01": (20, 20, 3.0), "ML-02": (18, 20, 4.0),
        "ML-03": (80, 20, 2 * 4 / (4 + 0.9 * (6 - 4))),   # P90 of {4, 6} = 5.8
        "ML-04": NO_DATA, "PT-01": NO_DATA, "PT-02": NO_DATA, "PT-03": NO_DATA, "PT-04": NO_DATA, "PT-05": NO_DATA,
        "OS-01": (2, 2, 10.0), "OS-02": (2, 2, 5.0), "OS-03": (1, 1, 2.0), "OS-04": NA, "OS-05": (2, 2, 4.0),
        "OS-06": (2, 2, 4.0), "OS-07": (0, 0, 2.0), "OS-08": (2, 2, 2.0), "OS-09": (0, 0, 2.0),
        "SR-01": NA, "SR-02": (20, 20, 3.0), "SR-03": NA, "SR-04": (4, 4, 2.0),
    },
    C1: {
        "EO-01": (0, 1, 0.0), "EO-02": (0, 1, 0.0), "EO-03": NA, "EO-04": NA, "EO-05": NA, "EO-06": NA,
        "EO-07": NA, "EO-08": NA,
        "ML-01": (5, 5, 3.0), "ML-02": (5, 5, 4.0), "ML-03": (10, 5, 2.0), "ML-04": (1, 1, 1.0),
        "PT-01": (10, 10, 3.0), "PT-02": (6, 10, 5 * 0.6), "PT-03": (2, 1, 3 * 2 / 4), "PT-05": (3, 4, 1.5),
        "OS-01": NA, "OS-02": NA, "OS-03": NA, "OS-04": NA, "OS-05": NA, "OS-06": NA,
        "OS-07": (0, 0, 2.0), "OS-08": NA, "OS-09": (0, 0, 2.0),
        "SR-01": (1, 1, 3.0), "SR-02": (5, 5, 3.0), "SR-03": NA, "SR-04": (12, 12, 2.0),
    },
}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = build(Path(tmp_path_factory.mktemp("hand")) / "live.duckdb")
    refresh_scores(con, ["province-it", "qd766"], clock=lambda: NOW, self_reports=SELF_REPORTS)
    return con


def _metrics(con: duckdb.DuckDBPyConnection, rubric: str, period: str) -> pd.DataFrame:
    return con.execute("SELECT * FROM metric_scores WHERE rubric_id = ? AND period = ?",
                       [rubric, period]).df().set_index(["unit_code", "metric_id"])


@pytest.mark.parametrize("unit", [D1, D2, C1])
def test_every_metric_of_april_by_hand(scored: duckdb.DuckDBPyConnection, unit: str) -> None:
    rows = _metrics(scored, "province-it", "2026-04")
    expected = EXPECTED_APRIL[unit]
    scored_ids = set(rows.loc[unit].index)
    assert scored_ids == set(expected), "every metric that applies to the level is scored"
    for metric_id, want in expected.items():
        row = rows.loc[(unit, metric_id)]
        if want == NA:
            assert (row["status"], row["applicable"]) == ("na", False), metric_id
            assert pd.isna(row["points"]), metric_id
        elif want == NO_DATA:
            assert row["status"] == "no_data" and pd.isna(row["applicable"]) and pd.isna(row["points"]), metric_id
        else:
            num, den, points = want
            assert (row["numerator"], row["denominator"]) == (num, den), metric_id
            assert row["status"] == "ok" and row["applicable"], metric_id
            assert row["points"] == pytest.approx(points, abs=1e-9), metric_id


def test_commune_is_not_offered_the_department_only_metric(scored: duckdb.DuckDBPyConnection) -> None:
    assert ("PT-04" not in set(_metrics(scored, "province-it", "2026-04").loc[C1].index))


def test_unit_totals_index_rank_and_class_of_april(scored: duckdb.DuckDBPyConnection) -> None:
    units = scored.execute("SELECT * FROM unit_scores WHERE rubric_id = 'province-it' AND period = '2026-04'"
                           ).df().set_index("unit_code")
    d1_points = sum(v[2] for v in EXPECTED_APRIL[D1].values() if isinstance(v, tuple))
    assert units.loc[D1, "points"] == pytest.approx(d1_points) and units.loc[D1, "applicable_max"] == 100
    assert units.loc[D1, "index_pct"] == pytest.approx(d1_points)
    assert units.loc[D1, "class_label"] == "Trung bình" and not units.loc[D1, "provisional"]
    d2_points = sum(v[2] for v in EXPECTED_APRIL[D2].values() if isinstance(v, tuple))
    assert units.loc[D2, "applicable_max"] == 64  # 100 − 11 not applicable − 15 portal − ML-04 1 − ... no data
    assert units.loc[D2, "index_pct"] == pytest.approx(100 * d2_points / 64)
    assert units.loc[D2, "class_label"] == "Xuất sắc" and units.loc[D2, "provisional"]
    assert "PT-01" in units.loc[D2, "provisional_reason"] and "portal" in units.loc[D2, "provisional_reason"]
    assert (units.loc[D2, "rank"], units.loc[D1, "rank"]) == (1, 2)
    # the commune has 46 applicable points (< 60): shown, classed "not enough data", not ranked
    assert units.loc[C1, "applicable_max"] == 46 and units.loc[C1, "points"] == pytest.approx(31)
    assert pd.isna(units.loc[C1, "rank"]) and units.loc[C1, "class_label"] == "Chưa đủ dữ liệu xếp hạng"


def test_blocks_of_d1_add_up(scored: duckdb.DuckDBPyConnection) -> None:
    blocks = scored.execute("SELECT block, points, max_points FROM block_scores WHERE rubric_id = 'province-it' "
                            "AND period = '2026-04' AND unit_code = ?", [D1]).df().set_index("block")
    expected = {b: sum(v[2] for k, v in EXPECTED_APRIL[D1].items() if k.startswith(p))
                for b, p in (("A", "EO"), ("C", "PT"), ("D", "OS"), ("E", "SR"))}
    expected["B"] = sum(v[2] for k, v in EXPECTED_APRIL[D1].items() if k.startswith("ML"))
    for block, points in expected.items():
        assert blocks.loc[block, "points"] == pytest.approx(points), block
    assert blocks["max_points"].to_dict() == {"A": 30, "B": 10, "C": 15, "D": 35, "E": 10}


def test_may_deadlines_across_the_holidays_and_collected_zero(scored: duckdb.DuckDBPyConnection) -> None:
    may = _metrics(scored, "province-it", "2026-05")
    # i2 due Thu 30/4 (holiday) → Mon 4/5, completed 4/5: on time; i6 still overdue
    assert (may.loc[(D1, "EO-05"), "numerator"], may.loc[(D1, "EO-05"), "denominator"]) == (1, 2)
    # f2 due 30/4 → 4/5, answered 4/5: on time → 100 % → 2 points
    assert (may.loc[(D1, "OS-09"), "numerator"], may.loc[(D1, "OS-09"), "points"]) == (1, 2.0)
    # s4 resolved 5/5 before 6/5; s5 still overdue at 31/5
    assert (may.loc[(D1, "OS-01"), "numerator"], may.loc[(D1, "OS-01"), "denominator"]) == (1, 2)
    # mail collected but nobody logged in during May: a real 0, not missing data
    assert may.loc[(D1, "ML-02"), "status"] == "ok" and may.loc[(D1, "ML-02"), "points"] == 0.0
    assert may.loc[(D1, "EO-04"), "status"] == "na"  # no incoming document in May
    assert may.loc[(D1, "PT-01"), "status"] == "no_data"  # no probe in May: no availability data, not 0 %


def test_longer_periods_sum_counts_never_average_scores(scored: duckdb.DuckDBPyConnection) -> None:
    ytd = _metrics(scored, "province-it", "2026-YTD-5")
    row = ytd.loc[(D1, "EO-01")]
    assert (row["numerator"], row["denominator"]) == (6, 7)  # April 5/6 + May 1/1
    assert row["points"] == pytest.approx(6 * (6 / 7) / 0.95)
    april = _metrics(scored, "province-it", "2026-04").loc[(D1, "EO-01"), "points"]
    may = _metrics(scored, "province-it", "2026-05").loc[(D1, "EO-01"), "points"]
    assert not math.isclose(row["points"], (april + may) / 2)
    q2 = _metrics(scored, "province-it", "2026-Q2").loc[(D1, "OS-01")]
    assert (q2["numerator"], q2["denominator"]) == (3, 6)  # resolved s1 s2 s3 s4 s6, on time s1 s4 s6; s5 pending


def test_gap_to_next_band_in_concrete_terms(scored: duckdb.DuckDBPyConnection) -> None:
    rows = _metrics(scored, "province-it", "2026-04")
    assert rows.loc[(D1, "EO-01"), "gap_vi"] == "cần thêm 1 văn bản đi được ký số để đạt 95%"
    assert rows.loc[(D1, "EO-01"), "gap_en"] == "1 more signed outgoing documents reach 95%"
    assert rows.loc[(D1, "EO-03"), "gap_en"] == "1 more outgoing documents issued on time reach 70%"
    assert rows.loc[(D1, "EO-06"), "gap_vi"] == "cần giảm 1 văn bản tồn đọng quá hạn để đạt đủ điểm"
    assert rows.loc[(D1, "PT-03"), "gap_vi"] == "cần thêm 2 tin mới để đạt 8"
    assert rows.loc[(D1, "PT-01"), "gap_en"] == "1 more successful probes reach 99.5%"
    assert pd.isna(rows.loc[(D1, "OS-02"), "gap_vi"])  # already at the target


def test_rank_change_against_the_previous_month(scored: duckdb.DuckDBPyConnection) -> None:
    may = scored.execute("SELECT unit_code, rank, rank_prev, rank_change FROM unit_scores "
                         "WHERE rubric_id = 'province-it' AND period = '2026-05'").df().set_index("unit_code")
    april = scored.execute("SELECT unit_code, rank FROM unit_scores WHERE rubric_id = 'province-it' "
                           "AND period = '2026-04'").df().set_index("unit_code")["rank"]
    for unit in (D1, D2):
        assert may.loc[unit, "rank_prev"] == april[unit]
        if not pd.isna(may.loc[unit, "rank"]):
            assert may.loc[unit, "rank_change"] == april[unit] - may.loc[unit, "rank"]


def test_qd766_on_the_same_records_scores_empty_as_zero(scored: duckdb.DuckDBPyConnection) -> None:
    rows = _metrics(scored, "qd766", "2026-04")
    assert rows.loc[(C1, "2.1"), "status"] == "ok" and rows.loc[(C1, "2.1"), "points"] == 0.0   # 0/0 → 0
    assert rows.loc[(D2, "5.1"), "points"] == 6.0                                                # no PAKN → full
    assert rows.loc[(D1, "2.1"), "points"] == pytest.approx(20 * 3 / 6)
    assert rows.loc[(D1, "1.1"), "status"] == "no_data"  # publication counts only come from DVCQG


def test_refresh_replaces_rows_instead_of_adding(scored: duckdb.DuckDBPyConnection) -> None:
    before = scored.execute("SELECT count(*) FROM metric_scores").fetchone()
    refresh_scores(scored, ["province-it"], ["2026-04"], clock=lambda: NOW, self_reports=SELF_REPORTS)
    assert scored.execute("SELECT count(*) FROM metric_scores").fetchone() == before
