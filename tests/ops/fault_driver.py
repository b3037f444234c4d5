"""Runs one storage fault inside a private user+mount namespace and prints what happened as one JSON line.

The test starts it as `unshare --user --map-root-user --mount python -m tests.ops.fault_driver SCENARIO WORKDIR`:
inside, mounts are private to this process tree, so a tiny tmpfs (a really full disk, ENOSPC) or a read-only
bind mount (EROFS) needs no privileges on the host and disappears when the driver exits.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "data" / "province.toml"
COUNT_DOCUMENTS = "SELECT count(*) FROM documents"


def sums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*")) if p.is_file()}


def tiny_disk(mount: Path, size: str = "32m") -> None:
    mount.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)


def fill(mount: Path) -> None:
    with open(mount / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    try:
        with open(mount / "filler-tail", "wb") as handle:
            while True:
                handle.write(b"\0" * 512)
                handle.flush()
    except OSError:
        pass


def read_only(folder: Path) -> None:
    subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], check=True)


def run(*args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    return {"rc": done.returncode, "stderr": done.stderr.strip(), "stdout": done.stdout.strip()}


def documents(data_dir: Path) -> int:
    con = duckdb.connect(str(data_dir / "live.duckdb"), read_only=True)
    try:
        return con.execute(COUNT_DOCUMENTS).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()


def import_cmd(package: Path, data_dir: Path) -> list[str]:
    return ["-m", "collectors", "import", "edxml", str(package), "--data-dir", str(data_dir), "--registry", str(REGISTRY)]


def full_import(work: Path) -> dict[str, object]:
    mount = work / "disk"
    tiny_disk(mount)
    shutil.copytree(work / "data", mount / "data")
    before = sums(mount / "data")
    fill(mount)
    result = run(*import_cmd(work / "new.edxml", mount / "data"))
    inbox = mount / "data" / "inbox"
    return {**result, "unchanged": sums(mount / "data") == before,
            "inbox": sorted(p.name for p in inbox.iterdir() if p.is_file()) if inbox.is_dir() else []}


def full_backup(work: Path) -> dict[str, object]:
    mount = work / "disk"
    tiny_disk(mount)
    shutil.copytree(work / "backups", mount / "backups")
    earlier = sorted(p.name for p in (mount / "backups").iterdir())
    fill(mount)
    result = run("-m", "metrics.backup", "backup", "--data-dir", str(work / "data"), "--registry", str(REGISTRY),
                 "--rubrics", str(ROOT / "rubrics"), "--to", str(mount / "backups"))
    return {**result, "earlier": earlier, "after": sorted(p.name for p in (mount / "backups").iterdir())}


def full_daemon(work: Path) -> dict[str, object]:
    """The daemon ingests a pending import on a full disk, then again once space is freed."""
    mount = work / "disk"
    tiny_disk(mount, "64m")
    shutil.copytree(work / "data", mount / "data")
    data_dir = mount / "data"
    committed = documents(data_dir)
    handed = run(*import_cmd(work / "new.edxml", data_dir))
    fill(mount)
    daemon = ["-m", "collectors", "--registry", str(REGISTRY), "--data-dir", str(data_dir), "import-inbox"]
    failed = run(*daemon)
    after_failure = documents(data_dir)
    (mount / "filler").unlink()
    recovered = run(*daemon)
    return {"committed": committed, "handed": handed, "failed": failed, "after_failure": after_failure, "recovered": recovered,
            "after_recovery": documents(data_dir)}


def read_only_import(work: Path) -> dict[str, object]:
    data_dir = work / "data"
    before = sums(data_dir)
    read_only(data_dir)
    result = run(*import_cmd(work / "new.edxml", data_dir))
    return {**result, "unchanged": sums(data_dir) == before}


def read_only_restore(work: Path) -> dict[str, object]:
    data_dir = work / "data"
    before = sums(data_dir)
    read_only(data_dir)
    backup = next((work / "backups").iterdir())
    result = run("-m", "metrics.backup", "restore", str(backup), "--data-dir", str(data_dir),
                 "--registry", str(work / "restored.toml"), "--rubrics", str(work / "restored-rubrics"))
    return {**result, "unchanged": sums(data_dir) == before}


SCENARIOS = {
    "full-import": full_import,
    "full-backup": full_backup,
    "full-daemon": full_daemon,
    "read-only-import": read_only_import,
    "read-only-restore": read_only_restore,
}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](Path(sys.argv[2])), ensure_ascii=False))
