"""`python -m simulator serve`: bad input is refused with a message naming it; the scale preset serves."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.process import REPO, SandboxHandle


def serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulator", "serve", "--port", "0", "--registry-out",
                           str(tmp_path / "out.toml"), *args], cwd=REPO, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("content", "message"), [
    pytest.param("[{\"unit\": \"*\", \"system\": \"mail\"", "not valid JSON (line 1: Expecting ',' delimiter)",
                 id="not-json"),
    pytest.param("[{\"unit\": \"*\", \"system\": \"mail\", \"fault\": \"slow\", \"params\": {\"seconds\": \"5\"}}]",
                 "entry #1: params must be an object of numbers, e.g. {\"seconds\": 5}", id="string-param"),
    pytest.param("[{\"unit\": \"*\", \"system\": \"mail\", \"fault\": \"down\", \"count\": 0}]",
                 "entry #1: count must be a whole number ≥ 1 (or omitted for 'until cleared')", id="zero-count"),
])
def test_bad_fault_file_is_refused_naming_file_entry_and_fix(tmp_path: Path, content: str, message: str) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text(content)
    result = serve(tmp_path, "--preset", "small", "--faults", str(faults))
    assert result.returncode == 2
    assert result.stderr.strip() == f"simulator: {faults}{': ' if 'JSON' in message else ' '}{message}"
    assert not (tmp_path / "out.toml").exists()


def test_unknown_preset_is_refused_by_the_argument_parser(tmp_path: Path) -> None:
    result = serve(tmp_path, "--preset", "national")
    assert result.returncode == 2
    assert "argument --preset: invalid choice: 'national'" in result.stderr


def test_scale_preset_serves_its_units(sandbox_factory: Callable[..., SandboxHandle]) -> None:
    handle = sandbox_factory(preset="scale", units=60, end_date="2026-10-31", history_months=3)
    ranked = [u for u in handle.province.units if u.is_ranked]
    assert len(ranked) == 60 and handle.health()["units"] == 61
    body = handle.get(ranked[-1].code, "onestop", "dossiers", updated_since="2026-10-01").json()
    assert body["items"] and all(r["unit_code"] == ranked[-1].code for r in body["items"])


def test_without_the_variable_the_documented_sandbox_token_applies(tmp_path: Path) -> None:
    import os
    import urllib.request

    env = {k: v for k, v in os.environ.items() if k != "ITMON_SANDBOX_TOKEN"}
    process = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", "0", "--preset", "small",
                                "--history-months", "1", "--speed", "0", "--registry-out", str(tmp_path / "r.toml")],
                               cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["port"]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/u/000.09.27.H27/mail/mailboxes",
                                         headers={"Authorization": "Bearer sandbox-only-not-a-secret"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
