"""AppTest helpers for the workflow pages: a data directory with real accounts, sessions signed in per user."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.workflows.conftest import PASSWORDS
from ui.session import IDENTITY_KEY
from workflows import open_store
from workflows.accounts import authenticate, create_account

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = {name: f"app_pages/{name}.py" for name in (
    "sign_in", "self_assessment", "disputes", "inspections", "audit", "accounts")}

ACCOUNTS = (
    ("sokhcn", "it_admin", None, "Sở KH&CN"),
    ("lanhdao", "leader", None, "Phó Chủ tịch UBND tỉnh"),
    ("donvi.a", "unit", "SO-A", "Sở Tư pháp"),
    ("donvi.b", "unit", "XA-B", "Xã Bình Minh <script>alert(1)</script>"),
)


def seed_accounts(directory: Path) -> None:
    store = open_store(directory / "workflow.sqlite")
    for username, role, unit, name in ACCOUNTS:
        create_account(store, username, PASSWORDS[username], role, unit, name)


def signed_in(directory: Path, username: str, page: str | None = None, lang: str = "vi") -> AppTest:
    identity = authenticate(open_store(directory / "workflow.sqlite"), username, PASSWORDS[username])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[IDENTITY_KEY] = identity
    at.session_state["itmon_lang"] = lang
    at.run()
    if page:
        at.switch_page(PAGE[page]).run()
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "success", "error",
                                  "info", "warning") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)
