"""Kiến nghị, khiếu nại: a unit disputes one metric of its published score; the IT department decides."""

import pandas as pd
import streamlit as st

from ui.i18n import t
from workflows import disputes
from workflows.accounts import Identity
from workflows.disputes import Dispute, PublishedRun
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
from workflows.republish import Correction


def run_label(run: PublishedRun) -> str:
    return (f"#{run.publication_id} · {run.rubric_id} {run.rubric_version} · {run.period} · "
            f"{run.published_at.strftime('%d/%m/%Y')}")


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def disputes_frame(items: list[Dispute], with_unit: bool) -> pd.DataFrame:
    return pd.DataFrame([{
        tr("wf.col.id"): d.id,
        **({tr("wf.col.unit"): d.unit_code} if with_unit else {}),
        tr("wf.col.metric"): d.metric_id,
        tr("wf.col.published"): number(d.published_value),
        tr("wf.col.proposed"): number(d.proposed_value),
        tr("wf.col.explanation"): d.explanation,
        tr("wf.col.status"): status_label(d.status),
        tr("wf.col.decided_by"): d.decided_by or "",
        tr("wf.col.reason"): d.decision_reason or "",
        tr("wf.col.corrected"): number(d.corrected_value),
        tr("wf.col.version"): f"#{d.new_publication_id}" if d.new_publication_id else "",
    } for d in items])


def history(user: Identity, run: PublishedRun, unit_code: str | None) -> None:
    rows = disputes.published_history(store(), user, run.rubric_id, run.period, unit_code)
    st.subheader(tr("wf.published_history"))
    st.dataframe(pd.DataFrame([{
        tr("wf.col.version"): r["rubric_version"], tr("wf.col.published_at"): r["published_at"],
        tr("wf.col.index"): None if r["index_pct"] is None else round(float(r["index_pct"]), 2),
        tr("wf.col.rank"): r["rank"],
    } for r in rows]), hide_index=True)


def unit_view(user: Identity) -> None:
    runs = disputes.list_publications(store(), user, open_only=True)
    if not runs:
        st.info(tr("wf.no_open_publication"))
    else:
        run = st.selectbox(tr("wf.publication"), runs, format_func=run_label, key="wf_dp_run")
        st.caption(tr("wf.dispute_until", until=run.dispute_until.strftime("%d/%m/%Y %H:%M")))
        metrics = disputes.published_metrics(store(), user, run.publication_id)
        st.dataframe(pd.DataFrame([{
            tr("wf.col.metric"): m.metric_id, tr("wf.col.numerator"): m.numerator,
            tr("wf.col.denominator"): m.denominator, tr("wf.col.published"): m.value, tr("wf.col.points"): m.points,
            tr("wf.col.max"): m.max_points} for m in metrics]), hide_index=True)
        with st.form("wf_dp_form"):
            metric_id = st.selectbox(tr("wf.col.metric"), [m.metric_id for m in metrics], key="wf_dp_metric")
            explanation = st.text_area(tr("wf.explanation"), key="wf_dp_explanation")
            proposed = st.number_input(tr("wf.proposed_value"), min_value=0.0, value=None, key="wf_dp_proposed")
            send = st.form_submit_button(tr("wf.raise"), type="primary")
        if send:
            dispute_id = attempt(lambda: disputes.raise_dispute(store(), user, run.publication_id, metric_id,
                                                                explanation, proposed))
            if dispute_id is not None:
                flash_and_rerun(tr("wf.raised", id=dispute_id))
        history(user, run, None)
    st.subheader(tr("wf.my_disputes"))
    mine = disputes.list_disputes(store(), user)
    if mine:
        st.dataframe(disputes_frame(mine, with_unit=False), hide_index=True)
    else:
        st.info(tr("wf.no_disputes"))


def admin_view(user: Identity) -> None:
    everything = disputes.list_disputes(store(), user)
    st.subheader(tr("wf.disputes"))
    if not everything:
        st.info(tr("wf.no_disputes"))
        return
    st.dataframe(disputes_frame(everything, with_unit=True), hide_index=True)
    runs = {r.publication_id: r for r in disputes.list_publications(store(), user)}
    open_items = [d for d in everything if d.status == "open"]
    if user.role == "it_admin" and open_items:
        chosen = st.selectbox(tr("wf.dispute_pick"), open_items,
                              format_func=lambda d: f"#{d.id} · {d.unit_code} · {d.metric_id}", key="wf_dp_pick")
        published = {m.metric_id: m for m in disputes.published_metrics(store(), user, chosen.publication_id,
                                                                         chosen.unit_code)}
        current = published.get(chosen.metric_id)
        accept_col, reject_col = st.columns(2)
        numerator = accept_col.number_input(tr("wf.numerator"), min_value=0.0,
                                            value=float(current.numerator or 0) if current else 0.0, key="wf_dp_num")
        denominator = accept_col.number_input(tr("wf.denominator"), min_value=0.0,
                                              value=float(current.denominator or 0) if current else 0.0,
                                              key="wf_dp_den")
        if accept_col.button(tr("wf.accept"), type="primary", key="wf_dp_accept"):
            decided = attempt(lambda: disputes.decide_dispute(
                store(), user, chosen.id, accept=True, correction=Correction(numerator, denominator)))
            if decided is not None:
                flash_and_rerun(tr("wf.accepted", id=decided.new_publication_id))
        reason = reject_col.text_input(tr("wf.reason"), key="wf_dp_reason")
        if reject_col.button(tr("wf.reject"), key="wf_dp_reject") and succeeded(
                lambda: disputes.decide_dispute(store(), user, chosen.id, accept=False, reason=reason)):
            flash_and_rerun(tr("wf.dispute_rejected", id=chosen.id))
        if chosen.publication_id in runs:
            history(user, runs[chosen.publication_id], chosen.unit_code)
    elif everything[0].publication_id in runs:
        history(user, runs[everything[0].publication_id], everything[0].unit_code)


st.title(t("page.disputes"))
viewer = current_user("unit", "it_admin", "leader")
show_flash()
if viewer.role == "unit":
    unit_view(viewer)
else:
    admin_view(viewer)
