"""Dashboard fixtures: a seeded data directory with real accounts, and AppTest sessions signed in per role."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import streamlit as st
from streamlit.testing.v1 import AppTest

from province.registry import load_registry
from simulator.presets import TOKEN_ENV
from tests.dashboard.seed import SEARCH_UNIT, SILENT_UNIT, seed_snapshot
from ui.data import DATA_DIR_ENV, workflow_store_path
from ui.i18n import LANGUAGE_KEY
from ui.session import IDENTITY_KEY
from workflows import open_store
from workflows.accounts import Identity, authenticate, create_account

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")

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


@dataclass(frozen=True)
class PipelineData:
    """A data directory filled by the real pipeline, and the unit whose one-stop stopped reporting."""

    data_dir: Path
    silent_unit: str
    silent_level: str
    silent_since: datetime


def _start_simulator(registry_out: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--preset", "small", "--history-months", "3",
         "--registry-out", str(registry_out)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError("the simulator exited before it printed its port")
    return process, f"http://127.0.0.1:{json.loads(line)['port']}"


def _collect_once(registry: Path, data_dir: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "collectors", "--registry", str(registry), "--data-dir", str(data_dir),
                    "once"], cwd=REPO, env=env, check=True, timeout=600, capture_output=True)


@pytest.fixture(scope="session")
def pipeline_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineData]:
    """Simulator (small preset) → `python -m collectors once` (which scores and publishes the snapshot); then
    one unit's one-stop goes down and a second cycle records the failure. Accounts as in the seeded fixture."""
    data_dir = tmp_path_factory.mktemp("pipeline-data")
    registry = data_dir / "province.toml"
    env = {**os.environ, TOKEN_ENV: secrets.token_urlsafe(16)}
    process, base_url = _start_simulator(registry, env)
    try:
        _collect_once(registry, data_dir, env)
        first_cycle = datetime.now(UTC)
        silent = next(u for u in load_registry(registry).units
                      if u.level == "department" and "onestop" in u.endpoints and u.is_ranked)
        requests.post(f"{base_url}/_control/faults", json={"unit": silent.code, "system": "onestop", "fault": "down"},
                      timeout=10).raise_for_status()
        _collect_once(registry, data_dir, env)
    finally:
        process.terminate()
        process.wait(timeout=30)
    store = open_store(workflow_store_path(data_dir))
    for username, (role, unit_code, display_name) in ACCOUNTS.items():
        create_account(store, username, PASSWORD, role, silent.code if role == "unit" else unit_code, display_name)
    yield PipelineData(data_dir, silent.code, silent.level, first_cycle)


@pytest.fixture()
def pipeline_signed_in(pipeline_data: PipelineData, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """Like ``signed_in`` but on the real pipeline's data directory (unit accounts belong to the silent unit)."""
    monkeypatch.setenv(DATA_DIR_ENV, str(pipeline_data.data_dir))
    st.cache_data.clear()
    st.cache_resource.clear()

    def start(username: str, lang: str = "vi") -> AppTest:
        identity = authenticate(open_store(workflow_store_path(pipeline_data.data_dir)), username, PASSWORD)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state[IDENTITY_KEY] = identity
        at.session_state[LANGUAGE_KEY] = lang
        return at.run()

    yield start
    st.cache_data.clear()
    st.cache_resource.clear()
