"""Dashboard fixtures: a seeded data directory with real accounts, and AppTest sessions signed in per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.seed import SEARCH_UNIT, SILENT_UNIT, seed_snapshot
from ui.data import DATA_DIR_ENV, workflow_store_path
from ui.i18n import LANGUAGE_KEY
from ui.session import IDENTITY_KEY
from workflows import open_store
from workflows.accounts import Identity, authenticate, create_account

APP = str(Path(__file__).resolve().parents[2] / "app.py")

ACCOUNTS = {
    "lanhdao": ("leader", None, "Lãnh đạo UBND tỉnh"),
    "quantri": ("it_admin", None, "Sở Khoa học và Công nghệ"),
    "soyte": ("unit", SEARCH_UNIT, "Sở Y tế"),
    "giabinh": ("unit", SILENT_UNIT, "Xã Gia Bình"),
}
PASSWORD = "mat-khau-thu-nghiem-2026"


@pytest.fixture(scope="session")
def dashboard_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the seeded snapshot and one account per role."""
    directory = tmp_path_factory.mktemp("dashboard-data")
    seed_snapshot(directory)
    store = open_store(workflow_store_path(directory))
    for username, (role, unit_code, display_name) in ACCOUNTS.items():
        create_account(store, username, PASSWORD, role, unit_code, display_name)
    return directory


@pytest.fixture()
def dashboard_env(dashboard_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the dashboard at the seeded data directory; caches are cleared around each test."""
    monkeypatch.setenv(DATA_DIR_ENV, str(dashboard_data_dir))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield dashboard_data_dir
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture()
def signed_in(dashboard_env: Path) -> Callable[..., AppTest]:
    """``signed_in(username, lang="vi")`` -> an AppTest of app.py with a real, authenticated session."""

    def start(username: str, lang: str = "vi") -> AppTest:
        identity: Identity = authenticate(open_store(workflow_store_path(dashboard_env)), username, PASSWORD)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state[IDENTITY_KEY] = identity
        at.session_state[LANGUAGE_KEY] = lang
        return at.run()

    return start
