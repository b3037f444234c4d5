"""Đăng nhập: local account (argon2, lockout), or the province's OIDC provider when it is configured."""

import streamlit as st

from ui import session
from ui.i18n import lang
from workflows.accounts import AuthError, authenticate, identity_for_oidc
from workflows.page_kit import store, tr


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
    except Exception:  # noqa: BLE001 (Streamlit raises its own error type when no secrets file exists)
        return False


ERROR_KEY = "_itmon_sign_in_error"
PASSWORD_KEY = "wf_sign_in_password"


def _sign_in() -> None:
    """Form callback: it runs before the script, so a successful sign-in renders the first page in the same
    run (no second run through this page and ``st.rerun``)."""
    password = st.session_state.get(PASSWORD_KEY, "")
    # The password must not outlive the check in the server's session state (memory dumps, debug views).
    st.session_state[PASSWORD_KEY] = ""
    try:
        identity = authenticate(store(), st.session_state.get("wf_sign_in_username", ""), password)
    except AuthError as error:
        st.session_state[ERROR_KEY] = error
    else:
        st.session_state[session.IDENTITY_KEY] = identity


st.title(tr("wf.sign_in"))
st.caption(tr("wf.sign_in_intro"))

if oidc_configured():
    if st.user.is_logged_in:
        try:
            # The provider proves who this is; role and unit come only from the server-side accounts table.
            identity = identity_for_oidc(store(), str(st.user.get("sub", "")), st.user.get("email"))
        except AuthError as error:
            st.error(error.message(lang()))
            if st.button(tr("wf.sign_in_oidc"), key="wf_oidc_retry"):
                st.logout()
        else:
            st.session_state[session.IDENTITY_KEY] = identity
            st.rerun()
    elif st.button(tr("wf.sign_in_oidc"), key="wf_oidc"):
        st.login()

with st.form("wf_sign_in"):
    st.text_input(tr("wf.username"), autocomplete="username", key="wf_sign_in_username")
    st.text_input(tr("wf.password"), type="password", autocomplete="current-password", key=PASSWORD_KEY)
    st.form_submit_button(tr("wf.sign_in"), type="primary", on_click=_sign_in)

refused = st.session_state.pop(ERROR_KEY, None)
if refused is not None:
    st.error(refused.message(lang()), icon=":material/lock:")
