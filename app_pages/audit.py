"""Nhật ký: every sign-in, submission, decision, publication and registry or rubric change; exportable."""

import json

import pandas as pd
import streamlit as st

from ui.i18n import t
from workflows import audit
from workflows.page_kit import current_user, store, tr

ACTIONS = (
    audit.SIGN_IN, audit.SIGN_IN_FAILED, audit.SIGN_OUT, audit.PASSWORD_CHANGE, audit.ACCOUNT_CREATE,
    audit.ACCOUNT_UPDATE, audit.EVIDENCE_UPLOAD, audit.SELFREPORT_DRAFT, audit.SELFREPORT_SUBMIT,
    audit.SELFREPORT_VERIFY, audit.SELFREPORT_REJECT, audit.DISPUTE_RAISE, audit.DISPUTE_ACCEPT,
    audit.DISPUTE_REJECT, audit.PUBLICATION, audit.REGISTRY_CHANGE, audit.RUBRIC_CHANGE, audit.INSPECTION_RECORD,
    audit.FOLLOW_UP,
)


def state_text(state: dict[str, object] | None) -> str:
    return "" if state is None else json.dumps(state, ensure_ascii=False, sort_keys=True)


st.title(t("page.audit"))
viewer = current_user("it_admin", "leader")
chosen = st.selectbox(tr("wf.audit_filter"), [None, *ACTIONS], format_func=lambda a: tr("wf.all") if a is None else a,
                      key="wf_au_action")
events = audit.list_events(store(), viewer, action=chosen)
st.dataframe(pd.DataFrame([{
    tr("wf.col.id"): e.id, tr("wf.col.at"): e.at, tr("wf.col.actor"): e.actor, tr("wf.col.action"): e.action,
    tr("wf.col.target"): e.target, tr("wf.col.unit"): e.unit_code or "", tr("wf.col.before"): state_text(e.before),
    tr("wf.col.after"): state_text(e.after)} for e in events]), hide_index=True)
if viewer.role == "it_admin":
    left, right = st.columns(2)
    left.download_button(tr("wf.export_csv"), audit.export_csv(store(), viewer, action=chosen),
                         file_name="nhat-ky.csv", mime="text/csv", key="wf_au_csv")
    right.download_button(tr("wf.export_xlsx"), audit.export_xlsx(store(), viewer, action=chosen),
                          file_name="nhat-ky.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="wf_au_xlsx")
