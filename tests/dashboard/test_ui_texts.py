"""Texts and formats: both languages complete, NFC, Babel formats (dd/mm/yyyy, 1.234,5), labels."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ui import formatting as fmt
from ui import labels
from ui.i18n import EN, VI, text

REPO = Path(__file__).resolve().parents[2]


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert set(VI) == set(EN)
    for key in VI:
        assert set(re.findall(r"{(\w*)}", VI[key])) == set(re.findall(r"{(\w*)}", EN[key])), key


def test_texts_are_nfc() -> None:
    for value in [*VI.values(), *EN.values()]:
        assert unicodedata.normalize("NFC", value) == value


def test_every_key_used_in_the_dashboard_exists() -> None:
    sources = [*REPO.glob("app_pages/rankings.py"), *REPO.glob("app_pages/unit_card.py"),
               *REPO.glob("app_pages/trends.py"), *REPO.glob("app_pages/collection_health.py"),
               *REPO.glob("app_pages/methodology.py"), *REPO.glob("ui/*.py"), *REPO.glob("exports/*.py"),
               REPO / "app.py"]
    used = {key for path in sources
            for key in re.findall(r"\b(?:t|text)\(\"([a-z_]+\.[a-z_.]+)\"", path.read_text(encoding="utf-8"))}
    assert used
    assert not sorted(key for key in used if key not in VI)


@pytest.mark.parametrize(("lang", "number", "day", "share"), [
    ("vi", "1.234,5", "05/10/2026", "87,3%"),
    ("en", "1,234.5", "05/10/2026", "87.3%"),
])
def test_formats(lang: str, number: str, day: str, share: str) -> None:
    assert fmt.number(1234.5, lang) == number
    assert fmt.day(date(2026, 10, 5), lang) == day
    assert fmt.percent(0.873, lang) == share
    assert fmt.number(None, lang) == "—" and fmt.day(None, lang) == "—"


def test_timestamps_are_shown_in_vietnam_time() -> None:
    assert fmt.moment(datetime(2026, 10, 4, 20, 30, tzinfo=UTC), "vi") == "05/10/2026 03:30"


def test_period_labels() -> None:
    assert fmt.period_label("2026-03", "vi") == "03/2026"
    assert fmt.period_label("2026-Q1", "vi") == "Quý 1/2026"
    assert fmt.period_label("2026-Q1", "en") == "Q1 2026"
    assert fmt.period_label("2026-YTD-10", "vi") == "01–10/2026"
    assert fmt.period_label("2026", "en") == "Year 2026"


def test_provisional_notes_and_movement() -> None:
    since = datetime(2026, 10, 5, 1, tzinfo=UTC)
    row = {"provisional": True, "silent_systems": ["onestop", "mail"], "silent_since": since}
    assert labels.provisional_note(row, "vi") == "Tạm tính — không có dữ liệu từ 05/10/2026 (Một cửa điện tử, Thư công vụ)"
    assert labels.provisional_note({**row, "silent_since": None}, "en") == (
        "Provisional — no data ever received (One-stop, Official mail)")
    assert labels.provisional_note({"provisional": True, "provisional_reason": "thiếu SR-01"}, "vi") == (
        "Tạm tính — thiếu SR-01")
    assert labels.provisional_note({"provisional": False, "silent_systems": ["mail"]}, "vi") == ""
    assert [labels.movement(v) for v in (3, -2, 0, None)] == ["▲ 3", "▼ 2", "=", ""]
    assert labels.class_label("Tốt", "en", "Good") == "Good"
    assert labels.class_label(None, "vi") == text("class.unranked", "vi")
