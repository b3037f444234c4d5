"""Pure (Streamlit-free) label builders shared by pages and exports."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ui import formatting as fmt
from ui.i18n import text


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, tuple)):
        return True
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def provisional_note(row: pd.Series | dict[str, Any], lang: str) -> str:
    """'Tạm tính — không có dữ liệu từ dd/mm/yyyy (…)' for provisional rows; '' otherwise."""
    if not bool(row.get("provisional")):
        return ""
    silent = row.get("silent_systems")
    if _present(silent) and len(list(silent)):
        systems = ", ".join(text(f"system.{name}", lang) for name in list(silent))
        since = row.get("silent_since")
        if not _present(since):
            return text("provisional.never", lang, systems=systems)
        return text("provisional.since", lang, date=fmt.day(since, lang), systems=systems)
    reason = row.get("provisional_reason")
    if isinstance(reason, str) and reason:
        return text("provisional.reason", lang, reason=reason)
    return text("provisional.plain", lang)


def movement(places: Any) -> str:
    """'▲ 3', '▼ 2', '=' or '' (no previous rank)."""
    if not _present(places):
        return ""
    places = int(places)
    if places > 0:
        return f"▲ {places}"
    if places < 0:
        return f"▼ {-places}"
    return "="


def class_label(label: Any, lang: str, label_en: Any = None) -> str:
    """The class label in the reader's language (the engine writes both; older rows only Vietnamese)."""
    if not isinstance(label, str) or not label:
        return text("class.unranked", lang)
    if lang == "en" and isinstance(label_en, str) and label_en:
        return label_en
    key = f"class.{label}"
    translated = text(key, lang)
    return label if translated == key else translated
