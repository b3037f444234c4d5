"""Who is signed in and in which language, read from server-side session state only."""

from __future__ import annotations

from typing import Any

import streamlit as st

IDENTITY_KEY = "_itmon_identity"
SELECTED_UNIT_KEY = "_itmon_selected_unit"


def identity() -> Any | None:
    """The authenticated Identity(username, role, unit_code, display_name), or None."""
    return st.session_state.get(IDENTITY_KEY)


def role() -> str | None:
    who = identity()
    return getattr(who, "role", None)


def own_unit() -> str | None:
    """The unit code of a unit user (None for province-wide roles)."""
    who = identity()
    return getattr(who, "unit_code", None) if getattr(who, "role", None) == "unit" else None


def is_unit_user() -> bool:
    return role() == "unit"
