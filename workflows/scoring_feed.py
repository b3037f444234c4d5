"""Verified self-reports into the scoring engine: the daemon's scoring hook reads them on every refresh."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from metrics.engine import refresh_scores
from workflows.selfreport import verified_counts
from workflows.store import open_store


def refresh_with_self_reports(con: duckdb.DuckDBPyConnection, store_path: Path | str, **options: Any) -> dict[str, int]:
    """``metrics.engine.refresh_scores`` with the store's verified self-report counts (read now, not cached)."""
    return refresh_scores(con, self_reports=verified_counts(open_store(store_path)), **options)


def scoring_hook(store_path: Path | str) -> Callable[[duckdb.DuckDBPyConnection], dict[str, int]]:
    """A ``Daemon(scoring_hook=...)`` that scores with the verified self-reports of ``store_path``."""

    def hook(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        return refresh_with_self_reports(con, store_path)

    return hook
