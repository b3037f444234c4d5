"""Bảng xếp hạng: one level's ranking for a period, with movement, blocks, provisional markers and exports."""

from functools import partial

import pandas as pd
import streamlit as st

from exports import tables
from metrics import api
from ui import data, session, views, widgets
from ui import formatting as fmt
from ui.i18n import lang, t


# The writers are imported when a download is clicked: openpyxl and fpdf stay off the page's first run.
def _ranking_xlsx(frame: pd.DataFrame, language: str, title: str, subtitle: str, sheet: str) -> bytes:
    from exports import xlsx

    return xlsx.workbook_bytes(tables.ranking_table(frame, language, title, subtitle), sheet)


def _ranking_pdf(frame: pd.DataFrame, language: str, title: str, subtitle: str) -> bytes:
    from exports import pdf

    return pdf.pdf_bytes(tables.ranking_table(frame, language, title, subtitle), language)


st.title(t("page.rankings"))
widgets.require_snapshot()
widgets.freshness_caption()

rubric_id = widgets.rubric_picker("rankings_rubric")
if rubric_id is None:
    st.stop()
unit_user = session.is_unit_user()
available = data.call_published("published_periods", rubric_id) if unit_user else data.call("periods", rubric_id)
if unit_user:
    st.caption(t("rankings.published_only"))
level = widgets.level_picker("rankings_level")
period = widgets.period_picker(available, "rankings")
if period is None:
    st.stop()

frame = views.ranking_view(rubric_id, level, period, lang(), unit_user)
if frame.empty:
    st.info(t("rankings.empty"))
    st.stop()

first, second, third = st.columns(3)
first.metric(t("rankings.units"), fmt.number(len(frame), lang(), 0), border=True)
second.metric(t("rankings.provisional"), fmt.number(int(frame["provisional"].sum()), lang(), 0), border=True)
third.metric(t("rankings.median_index"), fmt.fixed(frame["index_pct"].median(), lang()), border=True)

query = st.text_input(t("rankings.search"), key="rankings_search", placeholder=t("rankings.search_hint"))
shown = views.search(frame, query) if query else frame
if query:
    st.caption(t("rankings.search_found", count=len(shown)))

block_names = tables.block_columns(frame)
columns = ["rank", "movement", "name", "index_pct", "class_text", "points", "applicable_max", *block_names, "note"]
config = {
    "rank": st.column_config.NumberColumn(t("col.rank"), format="%d", width="small"),
    "movement": st.column_config.TextColumn(t("col.movement"), width="small"),
    "name": st.column_config.TextColumn(t("col.unit_name"), width="large"),
    "index_pct": st.column_config.ProgressColumn(t("col.index"), min_value=0, max_value=100, format="%.2f"),
    "class_text": st.column_config.TextColumn(t("col.class")),
    "points": st.column_config.NumberColumn(t("col.points"), format="%.2f"),
    "applicable_max": st.column_config.NumberColumn(t("col.applicable_max"), format="%.0f"),
    "note": st.column_config.TextColumn(t("col.note"), width="large"),
    **{name: st.column_config.NumberColumn(t("col.block", block=name.removeprefix("block_")), format="%.2f")
       for name in block_names},
}
# Only the shown columns (and the unit's code and provisional flag, hidden) go to the browser: a third fewer bytes.
clicked = st.dataframe(shown[[*columns, "unit_code", "provisional"]], column_order=columns, column_config=config,
                       hide_index=True, key="rankings_table", placeholder="—",
                       on_select="ignore" if unit_user else "rerun", selection_mode="single-row")

if not unit_user:
    if clicked and clicked.selection.rows:
        st.session_state[session.SELECTED_UNIT_KEY] = shown.iloc[clicked.selection.rows[0]]["unit_code"]
        st.switch_page("app_pages/unit_card.py")
    picked = st.selectbox(t("rankings.open_unit"), shown["unit_code"].tolist(), index=None,
                          format_func=dict(zip(shown["unit_code"], shown["name"], strict=True)).get,
                          placeholder=t("rankings.open_unit_hint"), key="rankings_open_unit")
    if picked and st.button(t("rankings.open_card"), key="rankings_open_card"):
        st.session_state[session.SELECTED_UNIT_KEY] = picked
        st.switch_page("app_pages/unit_card.py")

chart_rows = min(views.CHART_ROWS, int(shown["index_pct"].notna().sum()))
if chart_rows:
    st.altair_chart(views.ranking_chart(shown, t("rankings.chart_title", count=chart_rows), t("col.index"), lang()),
                    key="rankings_chart")

risers, fallers = api.movers(frame)
mover_columns = ["movement", "name", "index_pct"]
left, right = st.columns(2)
with left:
    st.subheader(t("rankings.risers"))
    st.dataframe(risers[mover_columns], column_config=config, hide_index=True)
with right:
    st.subheader(t("rankings.fallers"))
    st.dataframe(fallers[mover_columns], column_config=config, hide_index=True)

title = t("export.ranking_title", level=t(f"level.{level}"), period=fmt.period_label(period, lang()))
subtitle = t("export.ranking_subtitle", rubric=rubric_id, date=fmt.today_label(lang()))
file_stem = f"xep-hang-{level}-{period}"
left, right = st.columns(2)
left.download_button(
    t("export.xlsx"), partial(_ranking_xlsx, frame, lang(), title, subtitle, t("export.ranking_sheet")),
    file_name=f"{file_stem}.xlsx", on_click="ignore", icon=":material/table_view:", key="rankings_xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
right.download_button(
    t("export.pdf"), partial(_ranking_pdf, frame, lang(), title, subtitle), file_name=f"{file_stem}.pdf",
    mime="application/pdf", on_click="ignore", icon=":material/picture_as_pdf:", key="rankings_pdf",
)
