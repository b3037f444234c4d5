"""Helpers for the collector tests: a daemon over a few units of the real sandbox, on a real DuckDB file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from prometheus_client import CollectorRegistry

from collectors.daemon import Daemon, DaemonConfig
from collectors.http import HttpSettings
from collectors.instrumentation import make_instruments
from province.registry import Province, load_registry

# A department, a commune and a merged commune: enough to see "the others are unaffected".
UNITS = ("000.01.27.H27", "001.50.27.H27", "037.50.27.H27")
AFFECTED = UNITS[0]
RAW_TABLES = ("documents", "dossiers", "procedures", "feedback", "onestop_stats", "mailboxes", "mail_activity",
              "portal_items")
TEST_HTTP = HttpSettings(read_timeout=5.0, retries=2, backoff_factor=0.05, max_retry_after=1.0)

COUNT_BY_UNIT = "SELECT unit_code, count(*) FROM {table} GROUP BY unit_code"


def only_units(codes: Iterable[str]) -> Callable[[Path], Province]:
    """A registry loader that keeps the given units (polling the whole sandbox is not needed to test one)."""
    wanted = set(codes)

    def load(path: Path) -> Province:
        province = load_registry(path)
        return dataclasses.replace(province, units=tuple(u for u in province.units if u.code in wanted))

    return load


def sim_clock(sandbox: object) -> Callable[[], datetime]:
    """The sandbox's frozen simulated time, as the daemon's clock."""
    now = datetime.fromisoformat(sandbox.health()["sim_now"])  # type: ignore[attr-defined]
    return lambda: now


def make_daemon(sandbox: object, data_dir: Path, units: Iterable[str] = UNITS, **config: object) -> Daemon:
    settings = {"max_workers": 8, "page_size": 50, "http": TEST_HTTP, **config}
    return Daemon(
        DaemonConfig(sandbox.registry_path, data_dir, **settings),  # type: ignore[arg-type, attr-defined]
        clock=sim_clock(sandbox), instruments=make_instruments(CollectorRegistry()), scoring_hook=None,
        registry_loader=only_units(units),
    )


def counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """Stored rows per (table, unit)."""
    result = {}
    for table in RAW_TABLES:
        for unit, n in con.execute(COUNT_BY_UNIT.format(table=table)).fetchall():
            result[(table, unit)] = n
    return result


@pytest.fixture(scope="session")
def reference_counts(sandbox_session: object, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], int]:
    """What one clean cycle stores for the test units: the yardstick for "nothing lost, nothing doubled"."""
    daemon = make_daemon(sandbox_session, tmp_path_factory.mktemp("reference"))
    try:
        report = daemon.run_cycle()
        assert report.failed == 0, report
        return counts(daemon.con)
    finally:
        daemon.close()
