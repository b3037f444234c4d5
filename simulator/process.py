"""Run the simulator as a subprocess and talk to it: for the test fixtures, benchmarks and the launcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from province.registry import Province, load_registry
from simulator.presets import TOKEN_ENV

REPO = Path(__file__).resolve().parent.parent
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


def start_sandbox(workdir: Path, *, token: str, preset: str = "small", seed: int = 766, end_date: str | None = None,
                  history_months: int = 24, speed: float = 0.0, latency_ms: float = 0.0,
                  units: int | None = None, faults_file: Path | None = None,
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


