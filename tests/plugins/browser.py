"""Fixtures for the browser area: Debian's Chromium through Playwright, and `streamlit run app.py` servers.

- `chromium` (session): a headless /usr/bin/chromium (never `playwright install`).
- `streamlit_server`: factory ``streamlit_server(data_dir) -> base URL``; the server binds 127.0.0.1 on a free
  port, reads ``data_dir`` through ITMON_DATA_DIR, and is stopped after the test.
- `wait_for_app_run(page)`: wait until the script run triggered by the last action has finished.
- `save_screenshot(page, name)`: writes test-artifacts/<name>.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT_S = 90.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not happen within {timeout_s:.0f} s")


def streamlit_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless=true",
            f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none"]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def streamlit_server() -> Iterator[Callable[[Path], str]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(data_dir: Path) -> str:
        port = free_port()
        env = {**os.environ, "ITMON_DATA_DIR": str(data_dir)}
        process = subprocess.Popen(streamlit_command(port), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{url}/_stcore/health", timeout=1).text == "ok", SERVER_START_TIMEOUT_S,
                   f"streamlit on {url} answering its health check")
        return url

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_app_run(page: Page, timeout_ms: int = 60_000) -> None:
    """Wait for the rerun the last action triggered (Streamlit's own e2e signal, after a debounce pause)."""
    page.wait_for_timeout(300)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout_ms)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout_ms)


def save_screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
