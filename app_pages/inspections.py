"""Kiểm tra thực tế: the IT department records an on-site visit and follows its recommendations up."""

import math
from datetime import date

import pandas as pd
import streamlit as st

from ui import data
from ui.i18n import t
from workflows import inspections
from workflows.accounts import Identity
from workflows.inspections import ChecklistLine, Inspection
from workflows.page_kit import (
    attempt,
    current_user,
    flash_and_rerun,
    show_flash,
    status_label,
    store,
    succeeded,
    tr,
)

RUBRIC_ID = "province-it"


def measured_values(unit_code: str, period: str) -> dict[str, float | None]:
    card: pd.DataFrame = data.call("unit_card", RUBRIC_ID, unit_code, period)
    return {row.metric_id: None if row.value is None or pd.isna(row.value) else float(row.value)
            for row in card.itertuples()}


def pick_unit() -> tuple[str | None, dict[str, float | None]]:
    """The unit to inspect and its current measured values (empty when nothing is scored yet)."""
    try:
        periods = data.call("periods", RUBRIC_ID)
    except FileNotFoundError:
        periods = []
    if not periods:
        st.info(tr("wf.no_snapshot_prefill"))
        code = st.text_input(tr("wf.unit"), key="wf_in_unit_code").strip()
        return code or None, {}
    left, right = st.columns(2)
    period = left.selectbox(tr("wf.period"), periods, key="wf_in_period")
    units: pd.DataFrame = data.call("unit_list", RUBRIC_ID, period)
    names = dict(zip(units["unit_code"], units["name"], strict=True))
    code = right.selectbox(tr("wf.unit"), list(names), format_func=lambda c: f"{names[c]} ({c})", key="wf_in_unit")
    return code, measured_values(code, period) if code else {}


def record_form(user: Identity) -> None:
    st.subheader(tr("wf.inspection_new"))
    unit_code, measured = pick_unit()
    if not unit_code:
        return
    prefilled = inspections.prefilled_checklist(measured)
    with st.form("wf_in_form"):
        visit_date = st.date_input(tr("wf.visit_date"), value=store().clock().date(), format="DD/MM/YYYY",
                                   key="wf_in_date")
        summary = st.text_input(tr("wf.summary"), key="wf_in_summary")
        checklist = st.data_editor(
            pd.DataFrame({"metric_id": [line.metric_id for line in prefilled],
                          "measured": [line.measured_value for line in prefilled],
                          "observed": [None] * len(prefilled), "note": [""] * len(prefilled)}, dtype=object),
            disabled=["metric_id", "measured"], hide_index=True, key="wf_in_checklist",
            column_config={"metric_id": tr("wf.col.metric"), "measured": tr("wf.col.measured"),
                           "observed": st.column_config.NumberColumn(tr("wf.col.observed")),
                           "note": tr("wf.note")},
        )
        findings = st.text_area(tr("wf.findings"), key="wf_in_findings")
        recommendations = st.data_editor(
            pd.DataFrame({"text": pd.Series(dtype="string"), "deadline": pd.Series(dtype="object")}),
            num_rows="dynamic", hide_index=True, key="wf_in_recommendations",
            column_config={"text": tr("wf.col.text"),
                           "deadline": st.column_config.DateColumn(tr("wf.col.deadline"), format="DD/MM/YYYY")},
        )
        save = st.form_submit_button(tr("wf.record"), type="primary")
    if save:
        lines = [ChecklistLine(str(row.metric_id), _number(row.measured), _number(row.observed), str(row.note or ""))
                 for row in checklist.itertuples()]
        recs = [(str(row.text), _day(row.deadline)) for row in recommendations.itertuples()
                if isinstance(row.text, str) and row.text.strip()]
        inspection_id = attempt(lambda: inspections.record_inspection(
            store(), user, unit_code=unit_code, visit_date=visit_date, checklist=lines,
            findings=[f for f in findings.splitlines() if f.strip()], recommendations=recs, summary=summary))
        if inspection_id is not None:
            flash_and_rerun(tr("wf.recorded", id=inspection_id))


def _day(value: object) -> date | None:
    """A deadline from the editor (a date, or ISO text depending on the front end); None if empty or unreadable."""
    if isinstance(value, date):
        return value
    parsed = pd.to_datetime(str(value), errors="coerce") if value not in (None, "") else pd.NaT
    return None if pd.isna(parsed) else parsed.date()


def _number(value: object) -> float | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)  # type: ignore[arg-type]


def due_list(user: Identity) -> None:
    st.subheader(tr("wf.due"))
    due = inspections.due_follow_ups(store(), user, until=store().clock().date())
    if not due:
        st.info(tr("wf.none_due"))
        return
    st.dataframe(pd.DataFrame([{tr("wf.col.id"): r.id, tr("wf.col.unit"): r.unit_code, tr("wf.col.text"): r.text,
                                tr("wf.col.deadline"): r.deadline.strftime("%d/%m/%Y"),
                                tr("wf.col.status"): status_label(r.status)} for r in due]), hide_index=True)
    if user.role != "it_admin":
        return
    with st.form("wf_in_follow"):
        chosen = st.selectbox(tr("wf.follow_up"), due, format_func=lambda r: f"#{r.id} · {r.unit_code} · {r.text}",
                              key="wf_in_follow_pick")
        note = st.text_input(tr("wf.follow_up_note"), key="wf_in_follow_note")
        done = st.checkbox(tr("wf.follow_up_done"), key="wf_in_follow_done")
        save = st.form_submit_button(tr("wf.save"))
    if save and succeeded(lambda: inspections.record_follow_up(store(), user, chosen.id, note, done=done)):
        flash_and_rerun(tr("wf.follow_up_saved", id=chosen.id))


def inspection_list(user: Identity) -> None:
    st.subheader(tr("wf.inspections"))
    visits: list[Inspection] = inspections.list_inspections(store(), user)
    if not visits:
        st.info(tr("wf.no_inspections"))
    for visit in visits:
        with st.expander(f"#{visit.id} · {visit.unit_code} · {visit.visit_date.strftime('%d/%m/%Y')} · {visit.summary}"):
            st.dataframe(pd.DataFrame([{tr("wf.col.metric"): c.metric_id, tr("wf.col.measured"): c.measured_value,
                                        tr("wf.col.observed"): c.observed_value, tr("wf.note"): c.note}
                                       for c in visit.checklist]), hide_index=True)
            for finding in visit.findings:
                st.text(f"• {finding}")
            st.dataframe(pd.DataFrame([{tr("wf.col.text"): r.text, tr("wf.col.deadline"): r.deadline.strftime("%d/%m/%Y"),
                                        tr("wf.col.status"): status_label(r.status)} for r in visit.recommendations]),
                         hide_index=True)


st.title(t("page.inspections"))
viewer = current_user("it_admin", "leader", "unit")
show_flash()
if viewer.role == "it_admin":
    record_form(viewer)
due_list(viewer)
inspection_list(viewer)
