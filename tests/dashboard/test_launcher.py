"""The README's run command, exactly as written, brings up sandbox, daemon and dashboard with units ranked."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from province.registry import load_registry
from tests.plugins.browser import REPO, free_port, save_screenshot, wait_for_app_run, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

README_RUN_COMMAND = "scripts/start"
FIRST_RANKING_TIMEOUT_S = 600.0
LEADER_PASSWORD = "mat-khau-lanh-dao-2026"


def test_readme_command_is_the_one_tested() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)\n```", readme, re.S)
    assert first_block and first_block.group(1).strip() == README_RUN_COMMAND


def test_run_command_serves_the_sandbox_ranked(chromium: Browser, tmp_path: Path) -> None:
    data_dir = tmp_path / "runtime"
    port = free_port()
    # The default province, as the README runs it; only ports, data folder and one password are chosen here.
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("ITMON_")},
        "ITMON_DATA_DIR": str(data_dir), "ITMON_PORT": str(port), "ITMON_METRICS_PORT": str(free_port()),
        "ITMON_PASSWORD_LANHDAO": LEADER_PASSWORD,
    }
    log = (tmp_path / "launcher.log").open("wb")
    process = subprocess.Popen([README_RUN_COMMAND], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, shell=False)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/_stcore/health", timeout=2).text == "ok", FIRST_RANKING_TIMEOUT_S,
                   "the dashboard answering")
        departments = [u.name for u in load_registry(data_dir / "province.toml").units
                       if u.level == "department" and u.valid_to is None]
        page = chromium.new_page(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        page.goto(url)
        wait_for_app_run(page)
        page.get_by_label("Tên đăng nhập").fill("lanhdao")
        page.get_by_label("Mật khẩu").fill(LEADER_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        wait_for_app_run(page)
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        deadline = time.monotonic() + FIRST_RANKING_TIMEOUT_S
        while not chart.is_visible() and time.monotonic() < deadline:
            page.wait_for_timeout(3000)  # the first-load progress page refreshes itself
        expect(page.get_by_role("heading", name="Bảng xếp hạng")).to_be_visible()
        expect(chart).to_be_visible(timeout=30_000)
        chart_text = chart.inner_text()
        ranked = [name for name in departments if name in chart_text]
        assert ranked, f"no sandbox department in the ranking chart: {chart_text[:300]!r}"
        save_screenshot(page, "launcher-first-ranking")
        page.close()
    finally:
        process.send_signal(signal.SIGTERM)  # to the launcher alone: it must stop its three children itself
        try:
            code = process.wait(timeout=60)
        finally:
            log.close()
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing of the launcher's process group is left
    output = (tmp_path / "launcher.log").read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-3000:]
    assert "account lanhdao (leader) (from ITMON_PASSWORD_LANHDAO)" in output
    assert LEADER_PASSWORD not in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_stcore/health", timeout=2)
