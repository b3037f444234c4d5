"""Tự đánh giá (block E): a unit drafts and submits with evidence; the IT department verifies or returns."""

from datetime import date

import pandas as pd
import streamlit as st

from metrics.rubric import load_rubrics
from ui import formatting as fmt
from ui.i18n import lang, t
from workflows import selfreport
from workflows.accounts import Identity
from workflows.evidence import MAX_EVIDENCE_BYTES, read_evidence, store_evidence
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
from workflows.selfreport import ITEMS, SelfReport


@st.cache_resource(show_spinner=False)
def item_names() -> dict[str, tuple[str, str]]:
    rubric = load_rubrics()["province-it"]
    return {m.id: (m.name_vi, m.name_en) for m in rubric.metrics if m.id in ITEMS}


def item_label(item_id: str) -> str:
    vi, en = item_names().get(item_id, (item_id, item_id))
    return f"{item_id} · {vi if lang() == 'vi' else en}"


def reports_frame(reports: list[SelfReport], with_unit: bool) -> pd.DataFrame:
    rows = [{
        tr("wf.col.id"): r.id,
        **({tr("wf.col.unit"): r.unit_code} if with_unit else {}),
        tr("wf.col.period"): r.period,
        tr("wf.col.item"): r.item_id,
        tr("wf.col.values"): ", ".join(f"{k} = {v:g}" for k, v in r.values.items()),
        tr("wf.col.status"): status_label(r.status),
        tr("wf.col.evidence"): r.doc_number or (tr("wf.attached") if r.evidence_id else ""),
        tr("wf.col.submitted_at"): fmt.moment(r.submitted_at, lang()),
        tr("wf.col.decided_by"): r.decided_by or "",
        tr("wf.col.reason"): r.decision_reason or "",
    } for r in reports]
    return pd.DataFrame(rows)


def evidence_download(user: Identity, reports: list[SelfReport], key: str) -> None:
    with_files = [r for r in reports if r.evidence_id]
    if not with_files:
        return
    chosen = st.selectbox(tr("wf.col.evidence"), with_files, format_func=lambda r: f"#{r.id} · {r.item_id}", key=key)
    loaded = attempt(lambda: read_evidence(store(), user, chosen.evidence_id))
    if loaded:
        info, content = loaded
        st.download_button(tr("wf.evidence_download", name=info.original_name), content, file_name=info.original_name,
                           mime=info.media_type, key=f"{key}_download")


def unit_view(user: Identity) -> None:
    item_id = st.selectbox(tr("wf.item"), list(ITEMS), format_func=item_label, key="wf_sa_item")
    item = ITEMS[item_id]
    with st.form("wf_sa_form", clear_on_submit=False):
        period = st.text_input(tr("wf.period"), value=str(date.today().year), key="wf_sa_period")
        values = {name: st.number_input(tr(f"wf.count.{name}"), min_value=0, step=1, value=0, key=f"wf_sa_{name}",
                                        help=name)
                  for name in item.counts}
        left, right = st.columns(2)
        doc_number = left.text_input(tr("wf.doc_number"), key="wf_sa_doc_number")
        doc_date = right.date_input(tr("wf.doc_date"), value=None, format="DD/MM/YYYY", key="wf_sa_doc_date")
        upload = st.file_uploader(tr("wf.evidence_file", limit=f"{MAX_EVIDENCE_BYTES // 1024 // 1024} MB"),
                                  key="wf_sa_file")
        note = st.text_area(tr("wf.note"), key="wf_sa_note")
        save = st.form_submit_button(tr("wf.save_draft"), type="primary")
    if save:
        evidence_id = None
        if upload is not None:
            evidence = attempt(lambda: store_evidence(store(), user, upload.name, upload.getvalue()))
            if evidence is None:
                return
            evidence_id = evidence.id
        report_id = attempt(lambda: selfreport.save_draft(
            store(), user, period=period, item_id=item_id, values=values, doc_number=doc_number,
            doc_date=doc_date, evidence_id=evidence_id, note=note))
        if report_id is not None:
            flash_and_rerun(tr("wf.saved", id=report_id))

    reports = selfreport.list_reports(store(), user)
    drafts = [r for r in reports if r.status == "draft"]
    if drafts:
        st.subheader(tr("wf.drafts"))
        draft = st.selectbox(tr("wf.draft_pick"), drafts, format_func=lambda r: f"#{r.id} · {r.period} · {r.item_id}",
                             key="wf_sa_draft")
        if st.button(tr("wf.submit"), key="wf_sa_submit") and succeeded(
                lambda: selfreport.submit(store(), user, draft.id)):
            flash_and_rerun(tr("wf.submitted", id=draft.id))
    st.subheader(tr("wf.my_reports"))
    if reports:
        st.dataframe(reports_frame(reports, with_unit=False), hide_index=True)
        evidence_download(user, reports, "wf_sa_evidence")
    else:
        st.info(tr("wf.no_reports"))


def admin_view(user: Identity) -> None:
    st.subheader(tr("wf.queue"))
    queue = selfreport.list_reports(store(), user, status="submitted")
    if not queue:
        st.info(tr("wf.queue_empty"))
    else:
        st.dataframe(reports_frame(queue, with_unit=True), hide_index=True)
        chosen = st.selectbox(tr("wf.report_pick"), queue,
                              format_func=lambda r: f"#{r.id} · {r.unit_code} · {r.period} · {r.item_id}",
                              key="wf_sa_queue_pick")
        evidence_download(user, [chosen], "wf_sa_queue_evidence")
        verify_col, reject_col = st.columns(2)
        if verify_col.button(tr("wf.verify"), type="primary", key="wf_sa_verify") and succeeded(
                lambda: selfreport.verify(store(), user, chosen.id)):
            flash_and_rerun(tr("wf.verified", id=chosen.id))
        reason = reject_col.text_input(tr("wf.reason"), key="wf_sa_reason")
        if reject_col.button(tr("wf.reject"), key="wf_sa_reject") and succeeded(
                lambda: selfreport.reject(store(), user, chosen.id, reason)):
            flash_and_rerun(tr("wf.rejected", id=chosen.id))
    history_view(user)


def history_view(user: Identity) -> None:
    st.subheader(tr("wf.history"))
    reports = selfreport.list_reports(store(), user)
    if reports:
        st.dataframe(reports_frame(reports, with_unit=True), hide_index=True)
    else:
        st.info(tr("wf.no_reports"))


st.title(t("page.self_assessment"))
viewer = current_user("unit", "it_admin", "leader")
show_flash()
if viewer.role == "unit":
    unit_view(viewer)
elif viewer.role == "it_admin":
    admin_view(viewer)
else:
    history_view(viewer)
