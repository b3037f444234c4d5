"""Xu hướng: province-wide series of the indicators, a units × metrics heatmap, distributions, two periods compared."""

import pandas as pd
import plotly.express as px
import streamlit as st

from ui import data, rubric_text, widgets
from ui import formatting as fmt
from ui.i18n import lang, t

HEATMAP_ROWS = 40

st.title(t("page.trends"))
widgets.require_snapshot()
widgets.freshness_caption()

rubric_id = widgets.rubric_picker("trends_rubric")
if rubric_id is None:
    st.stop()
level = widgets.level_picker("trends_level")
names = rubric_text.metric_names(rubric_id, lang())
separators = ",." if lang() == "vi" else ".,"

st.subheader(t("trends.index"))
index_series: pd.DataFrame = data.call("index_trend", rubric_id, level)
if index_series.empty:
    st.info(t("trends.no_months"))
else:
    index_series = index_series.assign(period=index_series["period"].map(lambda p: fmt.period_label(p, lang())))
    figure = px.line(index_series, x="period", y=["median_index", "mean_index"], markers=True,
                     labels={"period": "", "value": t("col.index"), "variable": ""})
    figure.for_each_trace(lambda trace: trace.update(name=t(f"trends.{trace.name}")))
    figure.update_layout(height=320, separators=separators, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         xaxis={"type": "category"})
    st.plotly_chart(figure, key="trends_index")

st.subheader(t("trends.metrics"))
series: pd.DataFrame = data.call("trends", rubric_id, level)
if not series.empty:
    metric_ids = sorted(series["metric_id"].unique())
    chosen = st.multiselect(t("trends.pick_metrics"), metric_ids, default=metric_ids[:4], key="trends_metrics",
                            format_func=lambda m: f"{m} — {names.get(m, '')}".rstrip(" —"))
    picked = series[series["metric_id"].isin(chosen)].assign(
        value_pct=lambda f: f["value"] * 100, period=lambda f: f["period"].map(lambda p: fmt.period_label(p, lang())))
    figure = px.line(picked, x="period", y="value_pct", color="metric_id", markers=True,
                     labels={"period": "", "value_pct": t("col.value"), "metric_id": t("col.metric")})
    figure.update_layout(height=360, separators=separators, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         xaxis={"type": "category"})
    st.plotly_chart(figure, key="trends_metric_lines")

periods = data.call("periods", rubric_id)
st.subheader(t("trends.heatmap"))
period = widgets.period_picker(periods, "trends_heatmap")
if period is not None:
    cells: pd.DataFrame = data.call("heatmap", rubric_id, level, period)
    if cells.empty:
        st.info(t("rankings.empty"))
    else:
        order = list(dict.fromkeys(cells["name"]))
        scope = st.radio(t("trends.heatmap_scope"), ["top", "bottom"], horizontal=True, key="trends_scope",
                         format_func={s: t(f"trends.scope_{s}", count=HEATMAP_ROWS) for s in ("top", "bottom")}.get)
        shown_units = order[:HEATMAP_ROWS] if scope == "top" else order[-HEATMAP_ROWS:]
        grid = (cells[cells["name"].isin(shown_units)]
                .pivot_table(index="name", columns="metric_id", values="share", aggfunc="first", dropna=False)
                .reindex(shown_units))
        figure = px.imshow(grid, color_continuous_scale="RdYlGn", zmin=0, zmax=1, aspect="auto",
                           labels={"color": t("trends.share"), "x": "", "y": ""})
        figure.update_layout(height=max(360, 18 * len(shown_units)), margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(figure, key="trends_heatmap_chart")
        st.caption(t("trends.heatmap_note"))

    st.subheader(t("trends.distribution"))
    left, right = st.columns(2)
    values: pd.DataFrame = data.call("index_values", rubric_id, period)
    with left:
        figure = px.histogram(values.assign(level=values["level"].map(lambda v: t(f"level.{v}"))), x="index_pct",
                              color="level", nbins=20, barmode="overlay",
                              labels={"index_pct": t("col.index"), "level": t("filter.level")})
        figure.update_layout(height=320, separators=separators, margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(figure, key="trends_histogram")
    with right:
        classes: pd.DataFrame = data.call("level_distribution", rubric_id, period)
        st.dataframe(
            classes.assign(level=classes["level"].map(lambda v: t(f"level.{v}"))),
            column_config={"level": t("filter.level"), "class_label": t("col.class"), "units": t("rankings.units")},
            hide_index=True,
        )

st.subheader(t("trends.compare"))
if len(periods) >= 2:
    left, right = st.columns(2)
    label = {p: fmt.period_label(p, lang()) for p in periods}.get
    period_a = left.selectbox(t("trends.period_a"), periods, index=1, format_func=label, key="trends_a")
    period_b = right.selectbox(t("trends.period_b"), periods, index=0, format_func=label, key="trends_b")
    compared: pd.DataFrame = data.call("compare_periods", rubric_id, level, period_a, period_b)
    st.dataframe(
        compared,
        column_order=["name", "index_a", "index_b", "index_change", "rank_a", "rank_b"],
        column_config={
            "name": t("col.unit_name"),
            "index_a": st.column_config.NumberColumn(f"{t('col.index')} {label(period_a)}", format="%.2f"),
            "index_b": st.column_config.NumberColumn(f"{t('col.index')} {label(period_b)}", format="%.2f"),
            "index_change": st.column_config.NumberColumn(t("trends.change"), format="%+.2f"),
            "rank_a": st.column_config.NumberColumn(f"{t('col.rank')} {label(period_a)}", format="%d"),
            "rank_b": st.column_config.NumberColumn(f"{t('col.rank')} {label(period_b)}", format="%d"),
        },
        hide_index=True,
        key="trends_compare_table",
    )
else:
    st.caption(t("trends.compare_needs_two"))
