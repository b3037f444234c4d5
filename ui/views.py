"""Page-ready frames and figures, computed once per snapshot version and cached (role-neutral).

Pages rerun on every click; these keep the per-run work to filtering and rendering.
The rankings chart is Vega-Lite (Altair), not Plotly: it is on the first page every user opens, and Plotly's
4.7 MB browser bundle took over a second of the first load to evaluate (bench/bench_rankings_page.py).
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from metrics import api
from ui import data, labels
from ui import formatting as fmt
from ui.i18n import text

CLASS_COLOURS = {"Xuất sắc": "#1a7f37", "Tốt": "#4c9a2a", "Khá": "#d4a017", "Trung bình": "#e07b00", "Yếu": "#c62828"}
UNCLASSIFIED_COLOUR = "#9e9e9e"
CHART_ROWS = 30


def ranking_view(rubric_id: str, level: str, period: str, lang: str, published: bool) -> pd.DataFrame:
    """The ranking with display columns (movement, note, class text, accent-free name for search).

    ``published`` reads the frozen published ranking (what unit users may see) instead of the live scores.
    """
    key = data.versions() if published else (data.snapshot_version() or 0,)
    return _ranking_view(key, rubric_id, level, period, lang, published)


@st.cache_data(ttl="10m", max_entries=64, show_spinner=False)
def _ranking_view(versions: tuple[int, ...], rubric_id: str, level: str, period: str, lang: str,
                  published: bool) -> pd.DataFrame:
    frame: pd.DataFrame = (data.call_published("published_ranking", rubric_id, level, period) if published
                           else data.call("ranking", rubric_id, level, period))
    if frame.empty:
        return frame
    english = frame["class_label_en"] if "class_label_en" in frame else pd.Series(None, index=frame.index)
    provisional = frame["provisional"].astype(bool)
    notes = pd.Series("", index=frame.index, dtype=object)
    notes[provisional] = [labels.provisional_note(row, lang) for row in frame[provisional].to_dict("records")]
    classes = {label: labels.class_label(label, lang, en)
               for label, en in zip(frame["class_label"], english, strict=True)}
    return frame.assign(
        movement=frame["places_gained"].map(labels.movement),
        note=notes,
        class_text=frame["class_label"].map(classes),
        folded_name=frame["name"].map(api.fold_accents),
    )


def search(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows whose name contains ``query``, ignoring case and accents (uses the precomputed folded name)."""
    needle = api.fold_accents(query)
    if not needle:
        return frame
    return frame[frame["folded_name"].str.contains(needle, regex=False)]


def ranking_chart(frame: pd.DataFrame, title: str, axis_title: str, lang: str) -> alt.Chart:
    """Horizontal bars of the first ``CHART_ROWS`` rows' index, coloured by class, best at the top."""
    rows = frame.dropna(subset=["index_pct"]).head(CHART_ROWS)
    data = pd.DataFrame({
        "name": rows["name"],
        "index_pct": rows["index_pct"].astype(float),
        "index_text": [fmt.fixed(value, lang) for value in rows["index_pct"]],
        "class_text": rows["class_text"].fillna("—"),
        "colour": [CLASS_COLOURS.get(label, UNCLASSIFIED_COLOUR) for label in rows["class_label"]],
    })
    return alt.Chart(data, title=title, height=max(320, 22 * len(rows))).mark_bar().encode(
        x=alt.X("index_pct:Q", title=axis_title, scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("name:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("name:N", title=text("col.unit_name", lang)),
                 alt.Tooltip("index_text:N", title=axis_title), alt.Tooltip("class_text:N", title=text("col.class", lang))],
    )


def records_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Raw records for reading: headers in ``lang``, timestamps in Vietnam time, dates dd/mm/yyyy, yes/no."""
    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        # DuckDB hands DATE columns over as naive datetimes and TIMESTAMPTZ columns as zone-aware ones.
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            rendered = values.map(lambda v: fmt.moment(v, lang))
        elif pd.api.types.is_datetime64_any_dtype(values) or values.map(lambda v: isinstance(v, date)).any():
            rendered = values.map(lambda v: fmt.day(v, lang))
        elif pd.api.types.is_bool_dtype(values):
            rendered = values.map({True: text("rec.yes", lang), False: text("rec.no", lang)})
        else:
            rendered = values
        shown[text(f"rec.{column}", lang)] = rendered
    return shown


def health_frames(lang: str) -> dict[str, pd.DataFrame]:
    """Collection health, ready to show: 'grid' (row per unit and system, with display columns) and 'stale'."""
    return _health_frames((data.snapshot_version() or 0,), lang, pd.Timestamp.now(tz="UTC").floor("min"))


@st.cache_data(ttl="10m", max_entries=8, show_spinner=False)
def _health_frames(versions: tuple[int, ...], lang: str, now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    grid: pd.DataFrame = data.call("collector_grid")
    if grid.empty:
        return {"grid": grid, "stale": grid}
    ok = grid["last_outcome"] == api.SUCCESS_OUTCOME
    state = pd.Series("❌ " + text("health.failing", lang), index=grid.index).where(~ok, "✅ " + text("health.ok", lang))
    systems = {name: text(f"system.{name}", lang) for name in api.SYSTEMS}
    shown = grid.assign(
        failing=~ok,
        cell=state + " " + fmt.days(grid["last_success"]),
        system_text=grid["system"].map(systems).fillna(grid["system"]),
        last_success_text=fmt.moments(grid["last_success"]),
        last_failure_text=fmt.moments(grid["last_failure"]),
        latency_ms=grid["last_duration_s"] * 1000,
    )
    stale = api.stale_sources_from_grid(shown, now.to_pydatetime())
    return {"grid": shown, "stale": stale}


def health_wide(grid: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per unit, one column per system (state and last success date)."""
    wide = grid.pivot_table(index=["name", "unit_code"], columns="system", values="cell", aggfunc="first")
    wide = wide.reset_index()
    return wide.rename(columns={system: text(f"system.{system}", lang) for system in api.SYSTEMS})
