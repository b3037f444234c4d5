"""Tình trạng thu thập: unit × system grid, stale sources, recent polls, quarantined records."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from metrics import api
from ui import data, widgets
from ui import formatting as fmt
from ui.i18n import lang, t

st.title(t("page.collection_health"))
widgets.require_snapshot()
widgets.freshness_caption()


def _state(outcome: object) -> str:
    if outcome == api.SUCCESS_OUTCOME:
        return "✅ " + t("health.ok")
    if outcome is None or (isinstance(outcome, float) and pd.isna(outcome)):
        return ""
    return "❌ " + t("health.failing")


grid: pd.DataFrame = data.call("collector_grid")
if grid.empty:
    st.info(t("health.no_attempts"))
    st.stop()

failing = grid[grid["last_outcome"] != api.SUCCESS_OUTCOME]
stale = api.stale_sources_from_grid(grid, datetime.now(UTC))
columns = st.columns(3)
columns[0].metric(t("health.sources"), fmt.number(len(grid), lang(), 0), border=True)
columns[1].metric(t("health.failing_now"), fmt.number(len(failing), lang(), 0), border=True)
columns[2].metric(t("health.stale"), fmt.number(len(stale), lang(), 0), border=True)

st.subheader(t("health.grid"))
only_problems = st.toggle(t("health.only_problems"), value=len(failing) > 0, key="health_only_problems")
shown = grid[grid["unit_code"].isin(failing["unit_code"])] if only_problems else grid
cell = shown.assign(
    cell=[f"{_state(outcome)} {fmt.day(success, lang())}".strip()
          for outcome, success in zip(shown["last_outcome"], shown["last_success"], strict=True)]
)
wide = cell.pivot_table(index=["name", "unit_code"], columns="system", values="cell", aggfunc="first").reset_index()
wide = wide.rename(columns={system: t(f"system.{system}") for system in api.SYSTEMS})
st.dataframe(wide, hide_index=True, column_config={"name": t("col.unit_name"), "unit_code": t("col.unit_code")},
             key="health_grid")
st.caption(t("health.grid_note"))

st.subheader(t("health.details"))
st.dataframe(
    shown.assign(
        system=shown["system"].map(lambda v: t(f"system.{v}")),
        last_success=shown["last_success"].map(lambda v: fmt.moment(v, lang())),
        last_failure=shown["last_failure"].map(lambda v: fmt.moment(v, lang())),
        latency_ms=shown["last_duration_s"] * 1000,
    ),
    column_order=["name", "system", "last_success", "last_failure", "last_error", "latency_ms"],
    column_config={
        "name": t("col.unit_name"), "system": t("col.system"), "last_success": t("col.last_success"),
        "last_failure": t("col.last_failure"), "last_error": t("col.last_error"),
        "latency_ms": st.column_config.NumberColumn(t("col.latency_ms"), format="%.0f"),
    },
    hide_index=True,
)

st.subheader(t("health.stale_sources"))
if stale.empty:
    st.success(t("health.none_stale"))
else:
    st.dataframe(
        stale.assign(system=stale["system"].map(lambda v: t(f"system.{v}")),
                     last_success=stale["last_success"].map(lambda v: fmt.moment(v, lang()))),
        column_order=["name", "system", "last_success", "last_error"],
        column_config={"name": t("col.unit_name"), "system": t("col.system"),
                       "last_success": t("col.last_success"), "last_error": t("col.last_error")},
        hide_index=True,
    )

st.subheader(t("health.recent"))
st.dataframe(data.call("recent_attempts", 200), hide_index=True, key="health_recent")

st.subheader(t("health.quarantine"))
held: pd.DataFrame = data.call("quarantine", 200)
if held.empty:
    st.success(t("health.quarantine_empty"))
else:
    st.dataframe(held, hide_index=True, key="health_quarantine")
