"""Tình trạng thu thập: unit × system grid, stale sources, recent polls, quarantined records."""

import pandas as pd
import streamlit as st

from ui import data, views, widgets
from ui import formatting as fmt
from ui.i18n import lang, t

st.title(t("page.collection_health"))
widgets.require_snapshot()
widgets.freshness_caption()

frames = views.health_frames(lang())
grid, stale = frames["grid"], frames["stale"]
if grid.empty:
    st.info(t("health.no_attempts"))
    st.stop()

failing = grid[grid["failing"]]
columns = st.columns(3)
columns[0].metric(t("health.sources"), fmt.number(len(grid), lang(), 0), border=True)
columns[1].metric(t("health.failing_now"), fmt.number(len(failing), lang(), 0), border=True)
columns[2].metric(t("health.stale"), fmt.number(len(stale), lang(), 0), border=True)

st.subheader(t("health.grid"))
only_problems = st.toggle(t("health.only_problems"), value=len(failing) > 0, key="health_only_problems")
shown = grid[grid["unit_code"].isin(failing["unit_code"])] if only_problems else grid
st.dataframe(views.health_wide(shown, lang()), hide_index=True,
             column_config={"name": t("col.unit_name"), "unit_code": t("col.unit_code")}, key="health_grid")
st.caption(t("health.grid_note"))

detail_config = {
    "name": t("col.unit_name"), "system_text": t("col.system"), "last_success_text": t("col.last_success"),
    "last_failure_text": t("col.last_failure"), "last_error": t("col.last_error"),
    "latency_ms": st.column_config.NumberColumn(t("col.latency_ms"), format="%.0f"),
}
st.subheader(t("health.details"))
st.dataframe(shown, column_order=["name", "system_text", "last_success_text", "last_failure_text", "last_error",
                                  "latency_ms"], column_config=detail_config, hide_index=True)

st.subheader(t("health.stale_sources"))
if stale.empty:
    st.success(t("health.none_stale"))
else:
    st.dataframe(stale, column_order=["name", "system_text", "last_success_text", "last_error"],
                 column_config=detail_config, hide_index=True)

st.subheader(t("health.recent"))
st.dataframe(data.call("recent_attempts", 200), hide_index=True, key="health_recent")

st.subheader(t("health.quarantine"))
held: pd.DataFrame = data.call("quarantine", 200)
if held.empty:
    st.success(t("health.quarantine_empty"))
else:
    st.dataframe(held, hide_index=True, key="health_quarantine")
