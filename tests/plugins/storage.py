"""Fixtures for the storage area: a real DuckDB file in a temp data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from metrics import db


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data directory (live DB, snapshot, inbox and status file go here)."""
    path = tmp_path / "runtime"
    path.mkdir()
    return path


@pytest.fixture
def live_db(data_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The live database of `data_dir`, migrated, opened read-write as the daemon does."""
    con = db.connect(data_dir / db.LIVE_DB_NAME)
    yield con
    con.close()
