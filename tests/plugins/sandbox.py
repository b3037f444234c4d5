"""Fixtures for the sandbox area: the simulator as a real subprocess on a free loopback port.

- `sandbox` (function scope, shared process): the small province (14 units, 6 months to 2025-09-30, frozen
  clock). Faults set by a test are cleared after it. Do not advance its clock: use `fresh_sandbox`.
- `fresh_sandbox`: the same province in a process of its own, for tests that advance the clock.
- `default_sandbox` (session): the full default province (Bắc Ninh, 24 months), frozen clock.
- `sandbox_factory`: start any configuration, e.g. `sandbox_factory(preset="scale", units=50)`.

Each yields a `SandboxHandle` with `.base_url`, `.registry_path`, `.province`, `.token`, `.set_fault()`,
`.clear_faults()`, `.advance()`, `.health()` and `.get()`. The token is exported as ITMON_SANDBOX_TOKEN in
this process too, so `CredentialRef.resolve()` works for collectors under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from province.registry import Province, load_registry

REPO = Path(__file__).resolve().parents[2]
TOKEN_ENV = "ITMON_SANDBOX_TOKEN"
TEST_TOKEN = "sandbox-test-token"  # noqa: S105 - loopback test sandbox only
SMALL = {"preset": "small", "end_date": "2025-09-30", "history_months": 6, "speed": 0.0}
START_TIMEOUT_S = 60.0


@dataclass
class SandboxHandle:
    base_url: str
    registry_path: Path
    province: Province
    token: str
    process: subprocess.Popen[bytes]
    options: dict[str, Any] = field(default_factory=dict)
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, unit_code: str, system: str, path: str = "") -> str:
        return f"{self.base_url}/u/{unit_code}/{system}" + (f"/{path}" if path else "")

    def get(self, unit_code: str, system: str, path: str = "", timeout: float = 30.0,
            **params: Any) -> requests.Response:
        """An authorised GET on one unit's system, as a collector would send it."""
        return self.session.get(self.url(unit_code, system, path), params=params, timeout=timeout,
                                headers={"Authorization": f"Bearer {self.token}"})

    def set_fault(self, unit_code: str, system: str, fault: str, count: int | None = None, **params: float) -> None:
        body: dict[str, Any] = {"unit": unit_code, "system": system, "fault": fault, "params": params}
        if count is not None:
            body["count"] = count
        response = self.session.post(f"{self.base_url}/_control/faults", json=body, timeout=10)
        response.raise_for_status()

    def clear_faults(self, unit_code: str | None = None, system: str | None = None) -> None:
        params = {k: v for k, v in (("unit", unit_code), ("system", system)) if v}
        self.session.delete(f"{self.base_url}/_control/faults", params=params, timeout=10).raise_for_status()

    def advance(self, seconds: int = 0, minutes: int = 0, hours: int = 0, days: int = 0) -> str:
        """Move the simulated clock forward (the live trickle); returns the new simulated time."""
        total = seconds + 60 * minutes + 3600 * hours + 86400 * days
        response = self.session.post(f"{self.base_url}/_control/clock", json={"advance_seconds": total}, timeout=10)
        response.raise_for_status()
        return str(response.json()["sim_now"])

    def health(self) -> dict[str, Any]:
        response = self.session.get(f"{self.base_url}/_control/health", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _read_first_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else b""),
                              daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else b""


def start_sandbox(workdir: Path, *, preset: str = "small", seed: int = 766, end_date: str | None = None,
                  history_months: int = 24, speed: float = 0.0, latency_ms: float = 0.0,
                  units: int | None = None, faults_file: Path | None = None, token: str = TEST_TOKEN,
                  extra: tuple[str, ...] = ()) -> SandboxHandle:
    """Start `python -m simulator serve` on a free port and wait until it answers its health check."""
    workdir.mkdir(parents=True, exist_ok=True)
    registry = workdir / "province.toml"
    args = [sys.executable, "-m", "simulator", "serve", "--port", "0", "--seed", str(seed),
            "--registry-out", str(registry), "--preset", preset, "--history-months", str(history_months),
            "--speed", str(speed), "--latency-ms", str(latency_ms), *extra]
    if end_date:
        args += ["--end-date", end_date]
    if units is not None:
        args += ["--units", str(units)]
    if faults_file is not None:
        args += ["--faults", str(faults_file)]
    stderr = (workdir / "simulator.stderr").open("wb")
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr,
                               env={**os.environ, TOKEN_ENV: token})
    stderr.close()
    line = _read_first_line(process, START_TIMEOUT_S)
    if not line:
        process.kill()
        raise RuntimeError(f"simulator did not start: {(workdir / 'simulator.stderr').read_text()[-2000:]}")
    port = json.loads(line)["port"]
    handle = SandboxHandle(f"http://127.0.0.1:{port}", registry, load_registry(registry), token, process,
                           {"preset": preset, "seed": seed, "end_date": end_date})
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            handle.health()
            return handle
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                handle.stop()
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session", autouse=False)
def _sandbox_token() -> Iterator[str]:
    previous = os.environ.get(TOKEN_ENV)
    os.environ[TOKEN_ENV] = TEST_TOKEN
    yield TEST_TOKEN
    if previous is None:
        os.environ.pop(TOKEN_ENV, None)
    else:
        os.environ[TOKEN_ENV] = previous


@pytest.fixture(scope="session")
def sandbox_session(tmp_path_factory: pytest.TempPathFactory, _sandbox_token: str) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path_factory.mktemp("sandbox"), **SMALL)
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(sandbox_session: SandboxHandle) -> Iterator[SandboxHandle]:
    """The shared small sandbox; faults set by the test are cleared afterwards."""
    yield sandbox_session
    sandbox_session.clear_faults()


@pytest.fixture
def fresh_sandbox(tmp_path: Path, _sandbox_token: str) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path / "sandbox", **SMALL)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def default_sandbox(tmp_path_factory: pytest.TempPathFactory, _sandbox_token: str) -> Iterator[SandboxHandle]:
    handle = start_sandbox(tmp_path_factory.mktemp("sandbox-default"), preset="default", end_date="2026-10-31",
                           history_months=24, speed=0.0)
    yield handle
    handle.stop()


@pytest.fixture
def sandbox_factory(tmp_path: Path, _sandbox_token: str) -> Iterator[Callable[..., SandboxHandle]]:
    started: list[SandboxHandle] = []

    def start(**options: Any) -> SandboxHandle:
        handle = start_sandbox(tmp_path / f"sandbox-{len(started)}", **options)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()
