"""Fixtures for the operations tests: a data folder as a running province leaves it (live database with
imported rows, a published snapshot, the workflow SQLite in WAL mode, an evidence file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from importers.pipeline import import_files
from metrics.db import CycleBatch, connect, publish_snapshot, write_cycle
from province.registry import load_registry
from tests.importers.samples import edxml_package
from workflows import open_store
from workflows.accounts import create_account

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "data" / "province.toml"
RUBRICS = ROOT / "rubrics"


def fill_data_dir(data_dir: Path, *, packages: int = 3) -> Path:
    """A data folder with documents ingested through the inbox by a daemon cycle, then published."""
    units = frozenset(load_registry(REGISTRY).codes())
    for number in range(packages):
        package = data_dir.parent / f"goi-{data_dir.name}-{number}.edxml"
        package.write_text(edxml_package(document_id=f"000.02.27.H27,2026/03/02,{number}/SNV"), encoding="utf-8")
        import_files("edxml", [package], data_dir=data_dir, known_units=units)
    con = connect(data_dir / "live.duckdb")
    try:
        now = datetime.now(UTC)
        write_cycle(con, CycleBatch("c1", "import", now), data_dir=data_dir, known_units=units)
        publish_snapshot(con, data_dir)
    finally:
        con.close()
    store = open_store(data_dir / "workflow.sqlite")
    create_account(store, "ubnd.sonoivu", "Mật-khẩu-đủ-dài-2026", "unit", "000.02.27.H27", "Sở Nội vụ")
    (store.evidence_dir / "bien-ban-kiem-tra.pdf").write_bytes(b"%PDF-1.4 evidence")
    return data_dir


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return fill_data_dir(tmp_path / "data")
