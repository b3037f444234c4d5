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

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.presets import TOKEN_ENV
from simulator.process import SandboxHandle, start_sandbox

TEST_TOKEN = "sandbox-test-token"  # noqa: S105 - loopback test sandbox only
SMALL: dict[str, Any] = {"preset": "small", "end_date": "2025-09-30", "history_months": 6, "speed": 0.0,
                         "token": TEST_TOKEN}

__all__ = ["SMALL", "TEST_TOKEN", "SandboxHandle", "start_sandbox"]


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
                           history_months=24, speed=0.0, token=TEST_TOKEN)
    yield handle
    handle.stop()


@pytest.fixture
def sandbox_factory(tmp_path: Path, _sandbox_token: str) -> Iterator[Callable[..., SandboxHandle]]:
    started: list[SandboxHandle] = []

    def start(**options: Any) -> SandboxHandle:
        handle = start_sandbox(tmp_path / f"sandbox-{len(started)}", **{"token": TEST_TOKEN, **options})
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()
