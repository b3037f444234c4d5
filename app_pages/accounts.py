"""Tài khoản: the IT department manages accounts; everyone may change their own password here."""

import pandas as pd
import streamlit as st

from ui import session
from ui.i18n import t
from workflows import accounts
from workflows.accounts import ROLES, Identity
from workflows.page_kit import attempt, current_user, flash_and_rerun, show_flash, store, succeeded, tr


def manage(admin: Identity) -> None:
    rows = accounts.list_accounts(store(), admin)
    st.subheader(tr("wf.accounts"))
    st.dataframe(pd.DataFrame([{
        tr("wf.username"): a.username, tr("wf.col.role"): t(f"role.{a.role}"), tr("wf.col.unit"): a.unit_code or "",
        tr("wf.col.name"): a.display_name, tr("wf.col.locked"): a.locked, tr("wf.col.disabled"): a.disabled,
    } for a in rows]), hide_index=True)

    with st.form("wf_ac_new", clear_on_submit=True):
        st.subheader(tr("wf.account_new"))
        username = st.text_input(tr("wf.username"), key="wf_ac_new_username")
        role = st.selectbox(tr("wf.role"), ROLES, format_func=lambda r: t(f"role.{r}"), key="wf_ac_new_role")
        unit_code = st.text_input(tr("wf.unit_code"), key="wf_ac_new_unit")
        display_name = st.text_input(tr("wf.display_name"), key="wf_ac_new_name")
        password = st.text_input(tr("wf.new_password"), type="password", key="wf_ac_new_password")
        create = st.form_submit_button(tr("wf.create"), type="primary")
    if create and attempt(lambda: accounts.create_account(store(), username, password, role, unit_code or None,
                                                           display_name, actor=admin.username)):
        flash_and_rerun(tr("wf.created", username=username))

    st.subheader(tr("wf.account_edit"))
    by_name = {a.username: a for a in rows}
    picked = st.selectbox(tr("wf.account_pick"), list(by_name), key="wf_ac_pick")
    current = by_name[picked]
    with st.form("wf_ac_edit"):
        role = st.selectbox(tr("wf.role"), ROLES, index=ROLES.index(current.role), format_func=lambda r: t(f"role.{r}"),
                            key="wf_ac_edit_role")
        unit_code = st.text_input(tr("wf.unit_code"), value=current.unit_code or "", key="wf_ac_edit_unit")
        display_name = st.text_input(tr("wf.display_name"), value=current.display_name, key="wf_ac_edit_name")
        disabled = st.checkbox(tr("wf.disabled"), value=current.disabled, key="wf_ac_edit_disabled")
        save = st.form_submit_button(tr("wf.save"))
    if save and succeeded(lambda: accounts.update_account(store(), admin, picked, role=role, unit_code=unit_code or None,
                                                          display_name=display_name, disabled=disabled)):
        flash_and_rerun(tr("wf.account_saved", username=picked))
    with st.form("wf_ac_reset", clear_on_submit=True):
        new_password = st.text_input(tr("wf.new_password"), type="password", key="wf_ac_reset_password")
        reset = st.form_submit_button(tr("wf.reset_password"))
    if reset and succeeded(lambda: accounts.reset_password(store(), admin, picked, new_password)):
        flash_and_rerun(tr("wf.password_reset", username=picked))


def change_own_password(user: Identity) -> None:
    with st.form("wf_ac_own", clear_on_submit=True):
        st.subheader(tr("wf.change_password"))
        old = st.text_input(tr("wf.old_password"), type="password", key="wf_ac_own_old")
        new = st.text_input(tr("wf.new_password"), type="password", key="wf_ac_own_new")
        change = st.form_submit_button(tr("wf.change_password"))
    if change:
        renewed = attempt(lambda: accounts.change_password(store(), user, old, new))
        if renewed is not None:
            st.session_state[session.IDENTITY_KEY] = renewed
            flash_and_rerun(tr("wf.password_changed"))


st.title(t("page.accounts"))
viewer = current_user()
show_flash()
if viewer.role == "it_admin":
    manage(viewer)
change_own_password(viewer)
