"""What the workflow pages share: the store, the server-checked user, texts and error display."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ui import data, session
from ui.i18n import lang
from workflows import WorkflowStore
from workflows.accounts import AuthError, Identity, validate_session
from workflows.texts import WorkflowError, t

T = TypeVar("T")


def tr(key: str, **values: object) -> str:
    """A workflow text in the session's language."""
    return t(key, lang(), **values)


def store() -> WorkflowStore:
    """The workflow store of this data directory."""
    return data.workflow_store()


def current_user(*roles: str) -> Identity:
    """The signed-in user as the server sees it now; stops the page for anyone else or any other role."""
    try:
        user = validate_session(store(), session.identity())
    except AuthError as error:
        st.session_state.pop(session.IDENTITY_KEY, None)
        st.error(error.message(lang()))
        st.stop()
    if roles and user.role not in roles:
        st.error(tr("wf.forbidden"))
        st.stop()
    return user


def attempt(action: Callable[[], T]) -> T | None:
    """Run a workflow call; a refusal is shown as an error with its own message and yields None."""
    try:
        return action()
    except WorkflowError as error:
        st.error(error.message(lang()), icon=":material/error:")
        return None


def succeeded(action: Callable[[], object]) -> bool:
    """Run a workflow call for its effect; True if it went through, else its refusal is shown."""
    try:
        action()
    except WorkflowError as error:
        st.error(error.message(lang()), icon=":material/error:")
        return False
    return True


FLASH_KEY = "_wf_flash"


def flash_and_rerun(message: str) -> None:
    """Show ``message`` after a rerun, so every list on the page reflects the change just made."""
    st.session_state[FLASH_KEY] = message
    st.rerun()


def show_flash() -> None:
    """The message left by :func:`flash_and_rerun`, once."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def status_label(status: str) -> str:
    """The status in words."""
    return tr(f"wf.status.{status}")
