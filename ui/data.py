"""Snapshot access for pages: one read-only DuckDB instance per snapshot version, a cursor per query.

The snapshot's mtime is its version: a new snapshot gets a new instance (the old one keeps serving the file
it opened until then), and every cached query result carries the version in its key. Query results are
role-neutral; pages filter per user outside the cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from metrics import api
from metrics.db import open_snapshot
from metrics.publication import WORKFLOW_DB_NAME
from workflows import WorkflowStore, open_store

DATA_DIR_ENV = "ITMON_DATA_DIR"
DEFAULT_DATA_DIR = Path("data/runtime")
SNAPSHOT_NAME = "snapshot.duckdb"
DAEMON_STATUS_NAME = "daemon-status.json"

# Only these read-API functions may be called through the cache, by name.
CACHEABLE: dict[str, Callable[..., Any]] = {
    name: getattr(api, name)
    for name in (
        "rubrics", "periods", "ranking", "unit_summary", "unit_card", "unit_blocks",
        "metric_history", "rank_history", "unit_freshness", "metric_records", "trends", "index_trend",
        "heatmap", "level_distribution", "index_values", "compare_periods", "collector_grid",
        "recent_attempts", "quarantine", "freshness", "unit_list",
    )
}


PUBLISHED: dict[str, Callable[..., Any]] = {
    "published_periods": api.published_periods,
    "published_ranking": api.published_ranking,
}


def data_dir() -> Path:
    """The data directory: ``$ITMON_DATA_DIR`` or ``data/runtime``."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def snapshot_path(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / SNAPSHOT_NAME


def workflow_store_path(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / WORKFLOW_DB_NAME


def snapshot_version(path: Path | None = None) -> int | None:
    """The snapshot's mtime in nanoseconds, or None before the first snapshot exists."""
    try:
        return (path or snapshot_path()).stat().st_mtime_ns
    except FileNotFoundError:
        return None


@st.cache_resource(max_entries=2, show_spinner=False)
def _database(path: str, version: int) -> duckdb.DuckDBPyConnection:
    return open_snapshot(path)


@st.cache_resource(show_spinner=False)
def _workflow_store(path: str) -> WorkflowStore:
    return open_store(path)


def workflow_store() -> WorkflowStore:
    """The workflow store (accounts, sessions, self-assessment…) of this data directory."""
    return _workflow_store(str(workflow_store_path().resolve()))


@st.cache_data(ttl="10m", max_entries=256, show_spinner=False)
def _cached_call(function: str, path: str, version: int, args: tuple[Any, ...]) -> Any:
    con = _database(path, version)
    return CACHEABLE[function](con, *args)


def call(function: str, *args: Any) -> Any:
    """Run read-API ``function`` on the current snapshot, cached per snapshot version and arguments.

    Raises FileNotFoundError when there is no snapshot yet (pages show the first-load progress instead).
    """
    path = snapshot_path()
    version = snapshot_version(path)
    if version is None:
        raise FileNotFoundError(path)
    return _cached_call(function, str(path.resolve()), version, tuple(args))


def call_published(function: str, *args: Any) -> Any:
    """Run a publication read (``api.published_periods`` / ``api.published_ranking``) on the workflow store,
    cached per snapshot version and the store's own version."""
    path = snapshot_path()
    version = snapshot_version(path)
    if version is None:
        raise FileNotFoundError(path)
    store = workflow_store_path().resolve()
    store_version = snapshot_version(store) or 0
    wal = snapshot_version(store.with_name(store.name + "-wal")) or 0
    return _cached_published(function, str(path.resolve()), version, str(store), (store_version, wal), tuple(args))


@st.cache_data(ttl="10m", max_entries=64, show_spinner=False)
def _cached_published(function: str, path: str, version: int, store: str, store_version: tuple[int, int],
                      args: tuple[Any, ...]) -> Any:
    return PUBLISHED[function](_database(path, version), Path(store), *args)


def versions() -> tuple[int, ...]:
    """The snapshot's and the workflow store's versions, for caches built on both."""
    store = workflow_store_path()
    return (snapshot_version() or 0, snapshot_version(store) or 0,
            snapshot_version(store.with_name(store.name + "-wal")) or 0)


def has_snapshot() -> bool:
    return snapshot_version() is not None


def daemon_status() -> dict[str, Any] | None:
    """The daemon's first-load progress (phase, units done/total, records), or None when it wrote none."""
    try:
        return json.loads((data_dir() / DAEMON_STATUS_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
