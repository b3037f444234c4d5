"""The dashboard's entry point: page config, language switch, sign-in gate and the role's navigation."""

import streamlit as st

from ui import data, navigation, session
from ui.i18n import LANGUAGE_KEY, LANGUAGES, t
from workflows.accounts import AuthError, sign_out, validate_session

st.set_page_config(page_title=t("app.title"), page_icon=":material/leaderboard:", layout="wide")

with st.sidebar:
    st.segmented_control(t("app.language"), LANGUAGES, default="vi", key=LANGUAGE_KEY, required=True,
                         format_func={"vi": "Tiếng Việt", "en": "English"}.get)

who = session.identity()
if who is not None:
    try:
        # The server's accounts table, not what the session holds, decides role and unit on every run.
        who = validate_session(data.workflow_store(), who)
        st.session_state[session.IDENTITY_KEY] = who
    except AuthError:
        del st.session_state[session.IDENTITY_KEY]
        who = None
if who is None:
    sign_in = navigation.sign_in_page()
    if sign_in is None:
        st.error(t("app.sign_in_unavailable"))
        st.stop()
    page = st.navigation([sign_in], position="hidden")
else:
    with st.sidebar:
        st.caption(t("app.signed_in_as", name=who.display_name) + f" · {t(f'role.{who.role}')}")
        if st.button(t("app.sign_out"), key="app_sign_out"):
            sign_out(data.workflow_store(), who)
            del st.session_state[session.IDENTITY_KEY]
            st.rerun()
    page = st.navigation(navigation.build_pages(who.role))
page.run()
