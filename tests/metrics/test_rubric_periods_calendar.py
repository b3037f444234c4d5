"""Rubric validation messages, period arithmetic, the working-day calendar, and docs agreeing with code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from metrics.__main__ import main
from metrics.calendar import CalendarError, load_calendar, parse_calendar
from metrics.counts import COUNT_DESCRIPTIONS, DERIVED_COUNTS
from metrics.periods import Period, PeriodError, periods_for_months
from metrics.rubric import RubricError, load_rubrics, parse_rubric

REPO = Path(__file__).resolve().parents[2]
GOOD = (REPO / "rubrics" / "province-it.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "expected"), [
    pytest.param(('function = "linear_target"\ntarget = 0.95', 'function = "lineal"'),
                 r"metric EO-01: function 'lineal' is unknown; use one of \['linear'", id="unknown-function"),
    pytest.param(('target = 0.95\ngap_unit_vi = "văn bản đi được ký số"', 'gap_unit_vi = "văn bản đi được ký số"'),
                 r"metric EO-01: linear_target needs 'target'; e\.g\. target = 0\.95", id="missing-target"),
    pytest.param(('block = "A"\nname_vi = "Tỷ lệ văn bản đi được ký số"', 'block = "Z"\nname_vi = "Tỷ lệ văn bản đi được ký số"'),
                 r"metric EO-01: block 'Z' is not declared", id="unknown-block"),
    pytest.param(('max = 6\nnumerator = "eo_out_signed"', 'max = 7\nnumerator = "eo_out_signed"'),
                 r"block A: its metrics' max add up to 31, not 30; make the metrics' max points sum", id="block-sum"),
    pytest.param(('bands = "B90"', 'bands = [[0.7, 0.5], [0.9, 1.0]]'),
                 r"metric EO-03: band thresholds \[0\.7, 0\.9\] are not strictly decreasing; list the highest band first",
                 id="bands-order"),
    pytest.param(('empty = "full"', 'empty = "nothing"'),
                 r"metric OS-07: empty = 'nothing' is not an empty-denominator policy; use \"na\"", id="bad-policy"),
    pytest.param(('numerator = "eo_out_signed"', 'numerator = "Eo Out"'),
                 r"metric EO-01: 'numerator' has the count name 'Eo Out'", id="bad-count-name"),
    pytest.param(('target = { department = 0.95, commune = 0.80 }', 'target = { department = 0.95 }'),
                 r"metric EO-08: target has no value for level\(s\) \['commune'\]", id="target-per-level"),
    pytest.param(('gap_unit_en = "signed outgoing documents"', 'gap_unit_en = "x"\nweigth = 2'),
                 r"metric EO-01: unknown key\(s\) \['weigth'\]", id="typo-key"),
])
def test_a_wrong_rubric_names_file_metric_and_fix(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(RubricError, match=r"^bad\.toml: " + expected):
        parse_rubric(GOOD.replace(old, new, 1), "bad.toml")


def test_every_shipped_rubric_is_valid_and_adds_up() -> None:
    rubrics = load_rubrics()
    assert set(rubrics) >= {"province-it", "qd766", "dti-2022"}
    assert sum(b.max_points for b in rubrics["province-it"].blocks) == 100
    assert [b.max_points for b in rubrics["province-it"].blocks] == [30, 10, 15, 35, 10]
    assert len(rubrics["province-it"].metrics) == 30


def test_cli_validate_reports_the_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text(GOOD.replace('empty = "full"', 'empty = "sometimes"', 1), encoding="utf-8")
    assert main(["rubrics", "--validate", str(broken)]) == 2
    assert f"{broken}: metric OS-07: empty = 'sometimes'" in capsys.readouterr().err
    assert main(["rubrics", "--validate", str(REPO / "rubrics" / "qd766.toml")]) == 0


def test_raw_count_names_of_the_rubrics_are_computed_and_documented() -> None:
    doc = (REPO / "docs" / "scoring.md").read_text(encoding="utf-8")
    computed = set(COUNT_DESCRIPTIONS) | set(DERIVED_COUNTS)
    for rubric in load_rubrics().values():
        for metric in rubric.metrics:
            if metric.source in ("self_report", "counts"):
                continue
            for name in metric.count_names:
                if name.startswith("sr_"):
                    continue  # self-reported part of a checklist (PT-05 IPv6)
                assert name in computed, f"{rubric.id} {metric.id}: {name} is not computed from raw records"
                assert f"`{name}`" in doc, f"{name} is not documented in docs/scoring.md"


@pytest.mark.parametrize(("text", "start", "end", "previous"), [
    ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "2026-02"),
    ("2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-01"),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
    ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q2"),
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2025"),
    ("2026-YTD-10", date(2026, 1, 1), date(2026, 10, 31), "2025-YTD-10"),
])
def test_periods_parse_span_and_step_back(text: str, start: date, end: date, previous: str) -> None:
    period = Period.parse(text)
    assert (period.start, period.end, str(period.previous()), str(period)) == (start, end, previous, text)


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26", "2026-YTD-0", "2026/03", ""])
def test_a_bad_period_says_what_forms_are_accepted(bad: str) -> None:
    with pytest.raises(PeriodError, match="write a month 2026-03, a quarter 2026-Q1"):
        Period.parse(bad)


def test_default_periods_cover_each_data_month() -> None:
    names = {str(p) for p in periods_for_months([(2026, 4), (2026, 5)])}
    assert names == {"2026-04", "2026-05", "2026-Q2", "2026", "2026-YTD-4", "2026-YTD-5"}


def test_calendar_tet_holidays_and_makeup_days() -> None:
    cal = load_calendar()
    assert not cal.is_working_day(date(2026, 2, 17))       # Tết Bính Ngọ
    assert not cal.is_working_day(date(2026, 4, 27))       # Giỗ Tổ Hùng Vương (10/3 âm lịch)
    assert cal.is_working_day(date(2026, 1, 10))           # Saturday made a working day
    assert cal.next_working_day(date(2026, 4, 29)) == date(2026, 5, 4)   # 30/4, 1/5, weekend
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert cal.working_days_between(date(2026, 4, 24), date(2026, 4, 28)) == 1
    assert cal.years >= frozenset(range(2020, 2028))


def test_calendar_every_shipped_year_has_its_fixed_holidays() -> None:
    cal = load_calendar()
    for year in range(2020, 2028):
        days = {d for d in cal.holidays if d.year == year}
        assert len(days) >= 9, year
        # 1/1, 30/4, 1/5 and 2/9 are holidays unless they fall on a weekend (then a weekday replaces them)
        for month, day in ((1, 1), (4, 30), (5, 1), (9, 2)):
            fixed = date(year, month, day)
            assert fixed in days or fixed.weekday() >= 5, fixed


@pytest.mark.parametrize(("text", "message"), [
    ("[years.2026]\nholidays = ['2026-02-30']", r"\[years\.2026\] holidays: '2026-02-30' is not a date"),
    ("[years.2026]\nholidays = ['2027-01-01']", r"2027-01-01 is not in 2026; move it to its own year"),
    ("[years.2026]\nmakeup = ['2026-01-12']", r"2026-01-12 is a weekday; a make-up day is a Saturday or Sunday"),
    ("[years.2026]\nholiday = []", r"unknown key\(s\) \['holiday'\]; use 'holidays' and 'makeup'"),
])
def test_calendar_errors_name_the_file_year_and_fix(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=r"^cal\.toml.*" + message):
        parse_calendar(text, "cal.toml")


def test_rubric_files_have_vietnamese_names_in_nfc() -> None:
    import unicodedata

    for path in (REPO / "rubrics").glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, path
        assert re.search(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", text), path


def test_cli_calendar_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "--check"]) == 0
    assert "2026: 12 holidays, 1 make-up days" in capsys.readouterr().out
    short = tmp_path / "calendar.toml"
    short.write_text("[years.2020]\nholidays = ['2020-01-01']\n", encoding="utf-8")
    assert main(["calendar", "--check", "--file", str(short)]) == 2
    assert "no [years." in capsys.readouterr().err
