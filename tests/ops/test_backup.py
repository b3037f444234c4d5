"""Backup → restore into an empty folder → every table, the workflow store, evidence, registry and rubrics equal."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from metrics.backup import CHECKSUMS, BackupError, backup, main, restore
from tests.ops.conftest import REGISTRY, RUBRICS, fill_data_dir

SELECT_TABLES = "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
SELECT_ALL = 'SELECT * FROM "{table}" ORDER BY ALL'
SELECT_ACCOUNTS = "SELECT * FROM accounts ORDER BY 1"


def tables_of(path: Path) -> dict[str, object]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [n for (n,) in con.execute(SELECT_TABLES).fetchall()]
        return {n: con.sql(SELECT_ALL.format(table=n)).to_arrow_table() for n in names}
    finally:
        con.close()


def accounts_of(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return [tuple(r) for r in con.execute(SELECT_ACCOUNTS).fetchall()]
    finally:
        con.close()


def test_round_trip_into_an_empty_folder(data_dir: Path, tmp_path: Path) -> None:
    report = backup(data_dir, tmp_path / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    assert report.folder.name.startswith("itmon-backup-") and report.tables["documents"] == 6
    assert sorted(p.name for p in (report.folder / "data").glob("*.parquet"))  # the data travels as Parquet

    target = tmp_path / "restored"
    aside = restore(report.folder, target / "data", registry=target / "province.toml",
                    rubrics_dir=target / "rubrics")
    assert aside is None  # nothing was there to move aside

    original, restored = tables_of(data_dir / "snapshot.duckdb"), tables_of(target / "data" / "live.duckdb")
    assert original.keys() == restored.keys()
    for name, table in original.items():
        assert restored[name].equals(table), name
    assert tables_of(target / "data" / "snapshot.duckdb")["documents"].equals(original["documents"])
    assert accounts_of(target / "data" / "workflow.sqlite") == accounts_of(data_dir / "workflow.sqlite") != []
    assert (target / "data" / "evidence" / "bien-ban-kiem-tra.pdf").read_bytes() == b"%PDF-1.4 evidence"
    assert (target / "province.toml").read_bytes() == REGISTRY.read_bytes()
    assert sorted(p.name for p in (target / "rubrics").glob("*.toml")) == sorted(p.name for p in RUBRICS.glob("*.toml"))


def test_restore_over_existing_data_keeps_the_old_files_aside(data_dir: Path, tmp_path: Path) -> None:
    report = backup(data_dir, tmp_path / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    other = fill_data_dir(tmp_path / "other", packages=1)
    before = (other / "live.duckdb").read_bytes()
    aside = restore(report.folder, other, registry=tmp_path / "p.toml", rubrics_dir=tmp_path / "r",
                    clock=lambda: datetime(2026, 11, 22, 4, 0, tzinfo=UTC))
    assert aside == other / "pre-restore-2026-11-22T040000Z"
    assert (aside / "live.duckdb").read_bytes() == before
    assert tables_of(other / "live.duckdb")["documents"].num_rows == 6


def test_a_damaged_backup_is_refused_before_anything_is_replaced(data_dir: Path, tmp_path: Path) -> None:
    report = backup(data_dir, tmp_path / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    damaged = next((report.folder / "data").glob("documents*.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    target = fill_data_dir(tmp_path / "target", packages=1)
    before = {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()}

    with pytest.raises(BackupError) as excinfo:
        restore(report.folder, target, registry=tmp_path / "p.toml", rubrics_dir=tmp_path / "r")
    assert str(excinfo.value) == (
        f"{report.folder}: data/{damaged.name} is damaged (its SHA-256 differs from {CHECKSUMS})"
    )
    assert {p.name: p.read_bytes() for p in target.iterdir() if p.is_file()} == before
    assert not (tmp_path / "p.toml").exists()


def test_restore_refuses_while_the_daemon_holds_the_live_database(data_dir: Path, tmp_path: Path) -> None:
    report = backup(data_dir, tmp_path / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1]); print('held', flush=True); input()",
         str(data_dir / "live.duckdb")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(BackupError, match=r"is in use .*stop the daemon first \(systemctl stop itmon-daemon\)"):
            restore(report.folder, data_dir, registry=tmp_path / "p.toml", rubrics_dir=tmp_path / "r")
    finally:
        holder.communicate("\n", timeout=30)


def test_cli_verify_and_a_folder_changed_after_backup(data_dir: Path, tmp_path: Path, capsys) -> None:
    report = backup(data_dir, tmp_path / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    assert main(["verify", str(report.folder)]) == 0
    assert "Backup intact" in capsys.readouterr().out
    (report.folder / "data" / "extra.parquet").write_bytes(b"x")
    assert main(["verify", str(report.folder)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{report.folder}: data/extra.parquet is not listed in {CHECKSUMS}; the folder was changed after backup"
    )
