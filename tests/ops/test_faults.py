"""Storage faults: a full disk, a read-only data folder and a corrupt snapshot each give a clear message and
lose no committed data.

The full disk is a real one: a 32–64 MiB tmpfs filled to the last byte (ENOSPC), and the read-only folder a
read-only bind mount (EROFS), both inside a private user+mount namespace (`unshare`), so no host mount and no
root are needed and nothing outlives the test. Where the kernel forbids user namespaces the test is skipped
with that reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from importers.pipeline import import_files
from metrics.backup import BackupError, backup
from metrics.db import open_snapshot
from province.registry import load_registry
from tests.importers.samples import edxml_package
from tests.ops.conftest import REGISTRY, ROOT, RUBRICS, fill_data_dir

SELECT_DOCUMENTS = "SELECT count(*) FROM documents"


def namespaces_work() -> bool:
    tool = shutil.which("unshare")
    if tool is None:
        return False
    probe = subprocess.run([tool, "--user", "--map-root-user", "--mount", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(not namespaces_work(), reason="user namespaces are not allowed here")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("faults")
    fill_data_dir(work / "data")
    (work / "new.edxml").write_text(edxml_package(document_id="000.02.27.H27,2026/03/09,99/SNV"), encoding="utf-8")
    backup(work / "data", work / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    return work


def scenario(name: str, work: Path) -> dict:
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m", "tests.ops.fault_driver", name,
         str(work)], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@needs_namespaces
def test_full_disk_import_is_refused_and_leaves_the_inbox_clean(work: Path) -> None:
    result = scenario("full-import", work)
    assert result["rc"] == 2
    assert result["stderr"].startswith(f"cannot write the import into {work}/disk/data/inbox: ")
    assert "No space left on device" in result["stderr"] and "Nothing was imported" in result["stderr"]
    assert result["unchanged"] and result["inbox"] == []  # no half-written file, not even a hidden temp


@needs_namespaces
def test_full_disk_backup_is_removed_and_earlier_backups_stay(work: Path) -> None:
    result = scenario("full-backup", work)
    assert result["rc"] == 2
    assert result["stderr"].startswith(f"backup to {work}/disk/backups failed and was removed, nothing else changed")
    assert "No space left on device" in result["stderr"]
    assert result["after"] == result["earlier"] != []


@pytest.fixture(scope="module")
def daemon_on_full_disk(work: Path) -> dict:
    return scenario("full-daemon", work)


@needs_namespaces
def test_full_disk_daemon_keeps_committed_rows_and_ingests_after_space_is_freed(daemon_on_full_disk: dict) -> None:
    result = daemon_on_full_disk
    assert result["handed"]["rc"] == 0
    assert result["failed"]["rc"] != 0
    assert result["after_failure"] == result["committed"] == 6  # nothing committed was lost
    assert result["recovered"]["rc"] == 0, result["recovered"]["stderr"]
    assert result["after_recovery"] == result["committed"] + 2  # the pending import waited and then landed


@needs_namespaces
def test_full_disk_daemon_says_so_clearly(daemon_on_full_disk: dict) -> None:
    result = daemon_on_full_disk
    assert "Traceback" not in result["failed"]["stderr"]
    assert "No space left on device" in result["failed"]["stderr"]


@needs_namespaces
def test_read_only_data_folder_import(work: Path) -> None:
    result = scenario("read-only-import", work)
    assert result["rc"] == 2 and result["unchanged"]
    assert result["stderr"].startswith(f"cannot write the import into {work}/data/inbox: ")
    assert "Read-only file system" in result["stderr"]


@needs_namespaces
def test_read_only_data_folder_restore(work: Path) -> None:
    result = scenario("read-only-restore", work)
    assert result["rc"] == 2 and result["unchanged"]
    assert result["stderr"].startswith(f"restore into {work}/data failed before anything was replaced: ")
    assert "Read-only file system" in result["stderr"]


def test_corrupt_snapshot_clear_message_and_the_next_cycle_republishes(tmp_path: Path) -> None:
    data_dir = fill_data_dir(tmp_path / "data")
    snapshot = data_dir / "snapshot.duckdb"
    snapshot.write_bytes(b"\x00garbage" * 4096)

    with pytest.raises(BackupError) as excinfo:
        backup(data_dir, tmp_path / "backups", registry=REGISTRY, rubrics_dir=RUBRICS)
    assert str(excinfo.value).startswith(f"{snapshot}: not a readable DuckDB database (")
    assert str(excinfo.value).endswith("the daemon publishes a fresh snapshot after its next cycle, then run the "
                                       "backup again")
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())
    with pytest.raises(duckdb.Error, match="not a valid DuckDB database file"):
        open_snapshot(snapshot)
    package = tmp_path / "new.edxml"
    package.write_text(edxml_package(document_id="000.02.27.H27,2026/03/09,7/SNV"), encoding="utf-8")
    handed = import_files("edxml", [package], data_dir=data_dir, known_units=frozenset(load_registry(REGISTRY).codes()))
    assert handed.rows == 2  # imports go on while the snapshot is damaged

    done = subprocess.run(
        [sys.executable, "-m", "collectors", "--registry", str(REGISTRY), "--data-dir", str(data_dir), "import-inbox"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    con = open_snapshot(snapshot)
    try:
        assert con.execute(SELECT_DOCUMENTS).fetchone() == (8,)  # every committed row and the new import
    finally:
        con.close()
