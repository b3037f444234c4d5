"""Phiếu điểm đơn vị: every metric of one unit, the gap to the next band, the records behind a number."""

from functools import partial

import pandas as pd
import plotly.express as px
import streamlit as st

from exports import pdf, tables, xlsx
from metrics import api
from ui import data, labels, rubric_text, session, views, widgets
from ui import formatting as fmt
from ui.i18n import lang, t

st.title(t("page.unit_card"))
widgets.require_snapshot()
widgets.freshness_caption()

rubric_id = widgets.rubric_picker("card_rubric")
if rubric_id is None:
    st.stop()
period = widgets.period_picker(data.call("periods", rubric_id), "card")
if period is None:
    st.stop()

own = session.own_unit()
if session.is_unit_user():
    # A unit user's card is always its own unit, whatever the session or URL says.
    unit_code = own
else:
    units: pd.DataFrame = data.call("unit_list", rubric_id, period)
    codes = units["unit_code"].tolist()
    names = dict(zip(units["unit_code"], units["name"], strict=True))
    preselected = st.session_state.get(session.SELECTED_UNIT_KEY)
    unit_code = st.selectbox(
        t("card.unit"), codes, index=codes.index(preselected) if preselected in codes else 0,
        format_func=lambda code: f"{names[code]} ({code})", key="card_unit",
    ) if codes else None
if not unit_code:
    st.info(t("card.no_unit"))
    st.stop()

summary: pd.DataFrame = data.call("unit_summary", rubric_id, unit_code, period)
if summary.empty:
    st.info(t("card.no_score"))
    st.stop()
head = summary.iloc[0]
st.header(head["name"])
level_text = t(f"level.{head['level']}")
version_text = t("card.rubric_version", rubric=rubric_id, version=head["rubric_version"])
st.caption(f"{unit_code} · {level_text} · {fmt.period_label(period, lang())} · {version_text}")

note = labels.provisional_note(head.to_dict(), lang())
if note:
    st.warning(note, icon=":material/warning:")

columns = st.columns(4)
columns[0].metric(t("col.index"), fmt.fixed(head["index_pct"], lang()), border=True)
rank_text = "—" if pd.isna(head["rank"]) else f"{fmt.number(head['rank'], lang(), 0)}/{head['units_in_level']}"
moved = None if pd.isna(head["places_gained"]) or head["places_gained"] == 0 else int(head["places_gained"])
columns[1].metric(t("col.rank"), rank_text, delta=moved, border=True,
                  help=t("card.rank_delta_help") if moved else None)
columns[2].metric(t("col.class"), labels.class_label(head["class_label"], lang(), head.get("class_label_en")), border=True)
columns[3].metric(t("card.points_of_max"),
                  f"{fmt.fixed(head['points'], lang())}/{fmt.fixed(head['applicable_max'], lang(), 0)}", border=True)

st.subheader(t("card.freshness"))
fresh: pd.DataFrame = data.call("unit_freshness", unit_code)
if fresh.empty:
    st.caption(t("card.never_polled"))
else:
    st.dataframe(
        fresh.assign(
            system=fresh["system"].map(lambda name: t(f"system.{name}")),
            last_success=fresh["last_success"].map(lambda v: fmt.moment(v, lang())),
            last_attempt=fresh["last_attempt"].map(lambda v: fmt.moment(v, lang())),
            state=fresh["last_outcome"].map(lambda v: t("health.ok") if v == api.SUCCESS_OUTCOME else t("health.failing")),
        ),
        column_order=["system", "state", "last_success", "last_attempt", "last_error"],
        column_config={
            "system": t("col.system"), "state": t("col.state"), "last_success": t("col.last_success"),
            "last_attempt": t("col.last_attempt"), "last_error": t("col.last_error"),
        },
        hide_index=True,
    )

st.subheader(t("card.metrics"))
metrics: pd.DataFrame = data.call("unit_card", rubric_id, unit_code, period)
metric_names = rubric_text.metric_names(rubric_id, lang())
history: pd.DataFrame = data.call("metric_history", rubric_id, unit_code)
sparks = history.groupby("metric_id")["value"].apply(lambda s: [None if pd.isna(v) else float(v) for v in s])
gap_column = "gap_vi" if lang() == "vi" else "gap_en"
view = metrics.assign(
    metric_name=metrics["metric_id"].map(lambda m: metric_names.get(m, "")),
    value_pct=metrics["value"] * 100,
    trend=metrics["metric_id"].map(lambda m: sparks.get(m, [])),
    gap=[
        t("status.no_data") if status == "no_data" else t("status.na") if status == "na" else (gap or "")
        for status, gap in zip(metrics["status"], metrics[gap_column].where(metrics[gap_column].notna(), None),
                               strict=True)
    ],
)
st.dataframe(
    view,
    column_order=["metric_id", "metric_name", "block", "numerator", "denominator", "value_pct", "points",
                  "max_points", "gap", "trend"],
    column_config={
        "metric_id": t("col.metric"), "metric_name": st.column_config.TextColumn(t("col.metric_name"), width="large"),
        "block": t("col.block", block=""),
        "numerator": st.column_config.NumberColumn(t("col.numerator"), format="localized"),
        "denominator": st.column_config.NumberColumn(t("col.denominator"), format="localized"),
        "value_pct": st.column_config.NumberColumn(t("col.value"), format="%.1f%%"),
        "points": st.column_config.NumberColumn(t("col.points"), format="%.2f"),
        "max_points": st.column_config.NumberColumn(t("col.max_points"), format="%.0f"),
        "gap": st.column_config.TextColumn(t("col.gap"), width="large"),
        "trend": st.column_config.LineChartColumn(t("col.trend"), y_min=0, y_max=1),
    },
    hide_index=True,
    key="card_metrics",
)

st.subheader(t("card.records"))
with_records = [m for m in metrics["metric_id"] if api.has_records(m)]
if with_records:
    metric_id = st.selectbox(
        t("card.records_metric"), with_records, key="card_records_metric",
        format_func=lambda m: f"{m} — {metric_names.get(m, '')}".rstrip(" —"),
    )
    records: pd.DataFrame = data.call("metric_records", unit_code, metric_id, period, 500)
    if records.empty:
        st.success(t("card.records_none"))
    else:
        st.caption(t("card.records_count", count=len(records)))
        st.dataframe(views.records_view(records, lang()), hide_index=True, key="card_records")

st.subheader(t("card.rank_history"))
ranks: pd.DataFrame = data.call("rank_history", rubric_id, unit_code)
if len(ranks) > 1:
    ranks = ranks.assign(period=ranks["period"].map(lambda p: fmt.period_label(p, lang())))
    figure = px.line(ranks, x="period", y="rank", markers=True, labels={"period": "", "rank": t("col.rank")})
    figure.update_yaxes(autorange="reversed", tickformat="d")
    figure.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis={"type": "category"})
    st.plotly_chart(figure, key="card_rank_history")
else:
    st.caption(t("card.rank_history_short"))

title = t("export.card_title", unit=head["name"], period=fmt.period_label(period, lang()))
subtitle = t("export.card_subtitle", index=fmt.fixed(head["index_pct"], lang()), rank=rank_text,
             rubric=rubric_id, date=fmt.today_label(lang()))
if note:
    subtitle = f"{subtitle}\n{note}"
export_table = tables.unit_card_table(metrics, metric_names, lang(), title, subtitle)
left, right = st.columns(2)
left.download_button(
    t("export.xlsx"), partial(xlsx.workbook_bytes, export_table, t("export.card_sheet")),
    file_name=f"phieu-diem-{unit_code}-{period}.xlsx", on_click="ignore", key="card_xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/table_view:",
)
right.download_button(
    t("export.pdf"), partial(pdf.pdf_bytes, export_table, lang(), landscape=False),
    file_name=f"phieu-diem-{unit_code}-{period}.pdf", mime="application/pdf", on_click="ignore",
    key="card_pdf", icon=":material/picture_as_pdf:",
)
