"""Fixtures for the workflow tests: a real SQLite store in a tmp dir, a settable clock, seeded accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows import WorkflowStore, open_store
from workflows.accounts import Identity, authenticate, create_account

PASSWORDS = {
    "sokhcn": "quan-tri-2026!",
    "lanhdao": "lanh-dao-2026!",
    "donvi.a": "don-vi-a-2026!",
    "donvi.b": "don-vi-b-2026!",
}


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path, clock: FakeClock) -> WorkflowStore:
    return open_store(tmp_path / "workflow.sqlite", clock=clock)


@pytest.fixture
def seeded(store: WorkflowStore) -> WorkflowStore:
    create_account(store, "sokhcn", PASSWORDS["sokhcn"], "it_admin", display_name="Sở KH&CN")
    create_account(store, "lanhdao", PASSWORDS["lanhdao"], "leader", display_name="Phó Chủ tịch")
    create_account(store, "donvi.a", PASSWORDS["donvi.a"], "unit", "SO-A", display_name="Sở Tư pháp")
    create_account(store, "donvi.b", PASSWORDS["donvi.b"], "unit", "XA-B", display_name="Xã Bình Minh")
    return store


def sign_in(store: WorkflowStore, username: str) -> Identity:
    return authenticate(store, username, PASSWORDS[username])


@pytest.fixture
def admin(seeded: WorkflowStore) -> Identity:
    return sign_in(seeded, "sokhcn")


@pytest.fixture
def unit_a(seeded: WorkflowStore) -> Identity:
    return sign_in(seeded, "donvi.a")


@pytest.fixture
def unit_b(seeded: WorkflowStore) -> Identity:
    return sign_in(seeded, "donvi.b")


@pytest.fixture
def leader(seeded: WorkflowStore) -> Identity:
    return sign_in(seeded, "lanhdao")
