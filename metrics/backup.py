"""Backup and restore: a dated folder that holds everything a province needs to start again.

    python -m metrics.backup backup  --data-dir data/runtime --to /srv/backups
    python -m metrics.backup verify  /srv/backups/itmon-backup-2026-11-22T031500Z
    python -m metrics.backup restore /srv/backups/itmon-backup-2026-11-22T031500Z --data-dir data/runtime

A backup folder holds `data/` (every table of the published snapshot as Parquet, through DuckDB's own
EXPORT DATABASE), `workflow/` (the accounts and workflow SQLite files, copied with SQLite's online backup so a
busy dashboard is no problem), `evidence/`, `registry/province.toml`, `rubrics/*.toml`, `MANIFEST.json` (row
counts per table) and `SHA256SUMS` (`sha256sum -c` can check it too). It is written under a temporary name and
renamed when complete, so a folder with the final name is always whole.

Restore checks the folder first (checksums, manifest, that the tables load and their row counts match) into a
staging folder; only then are the current files moved aside into `pre-restore-<time>/` (never deleted) and the
restored ones moved in. The daemon must be stopped: a restore refuses while the live database is locked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from metrics.db import LIVE_DB_NAME, SNAPSHOT_NAME, StorageError, connect, publish_snapshot

FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
CHECKSUMS = "SHA256SUMS"
DATA, WORKFLOW, EVIDENCE, REGISTRY, RUBRICS = "data", "workflow", "evidence", "registry", "rubrics"
FOLDER_PREFIX = "itmon-backup-"
DEFAULT_REGISTRY = Path("data/province.toml")
DEFAULT_RUBRICS = Path("rubrics")

SELECT_TABLES = """
SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'
ORDER BY table_name
"""
# Table names come from the database's own catalogue and are quoted as identifiers.
COUNT_ROWS_TEMPLATE = 'SELECT count(*) FROM "{table}"'


class BackupError(Exception):
    """A backup or restore that did not happen; the message names the file and what to do. Nothing was changed."""


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    tables: dict[str, int]
    files: int


def _now() -> datetime:
    return datetime.now(UTC)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [name for (name,) in con.execute(SELECT_TABLES).fetchall()]
    return {t: con.execute(COUNT_ROWS_TEMPLATE.format(table=t.replace('"', '""'))).fetchone()[0] for t in tables}  # type: ignore[index]


def _export_snapshot(snapshot: Path, target: Path) -> dict[str, int]:
    if not snapshot.is_file():
        raise BackupError(f"{snapshot}: no snapshot to back up yet; the daemon publishes one after its first cycle")
    try:
        con = duckdb.connect(str(snapshot), read_only=True)
    except duckdb.Error as exc:
        raise BackupError(
            f"{snapshot}: not a readable DuckDB database ({exc}); the daemon publishes a fresh snapshot after its "
            "next cycle, then run the backup again"
        ) from None
    try:
        counts = _table_counts(con)
        # EXPORT takes no bind parameters; the path is a quoted literal of our own folder.
        con.execute(f"EXPORT DATABASE {_quote(str(target))} (FORMAT parquet)")
    finally:
        con.close()
    return counts


def _copy_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _write_checksums(folder: Path) -> int:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS)
    lines = [f"{_sha256(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    (folder / CHECKSUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(files)


def backup(
    data_dir: Path,
    dest_root: Path,
    *,
    registry: Path = DEFAULT_REGISTRY,
    rubrics_dir: Path = DEFAULT_RUBRICS,
    clock: Callable[[], datetime] = _now,
) -> BackupReport:
    """Write a complete, checksummed backup folder under `dest_root`; its name carries the UTC time."""
    data_dir, dest_root = Path(data_dir), Path(dest_root)
    created = clock()
    name = f"{FOLDER_PREFIX}{created.strftime('%Y-%m-%dT%H%M%SZ')}"
    final = dest_root / name
    if final.exists():
        raise BackupError(f"{final}: a backup with this time exists already; nothing was written")
    staging = dest_root / f".{name}.partial"
    try:
        dest_root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        tables = _export_snapshot(data_dir / SNAPSHOT_NAME, staging / DATA)
        (staging / WORKFLOW).mkdir()
        for database in sorted(data_dir.glob("*.sqlite")):
            _copy_sqlite(database, staging / WORKFLOW / database.name)
        if (data_dir / EVIDENCE).is_dir():
            shutil.copytree(data_dir / EVIDENCE, staging / EVIDENCE)
        (staging / REGISTRY).mkdir()
        shutil.copy2(registry, staging / REGISTRY / registry.name)
        shutil.copytree(rubrics_dir, staging / RUBRICS, ignore=shutil.ignore_patterns("__pycache__"))
        manifest = {"format": FORMAT_VERSION, "created_at": created.isoformat(), "tables": tables,
                    "registry": registry.name}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        files = _write_checksums(staging)
        os.replace(staging, final)
    except BackupError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (OSError, duckdb.Error, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(
            f"backup to {dest_root} failed and was removed, nothing else changed: {exc}. "
            "Check free space and write permission there."
        ) from None
    return BackupReport(final, tables, files)


def verify(folder: Path) -> dict[str, object]:
    """Check a backup folder's checksums and manifest; returns the manifest or raises BackupError naming the file."""
    folder = Path(folder)
    sums = folder / CHECKSUMS
    if not sums.is_file():
        raise BackupError(f"{folder}: not a backup folder ({CHECKSUMS} is missing)")
    listed: set[str] = set()
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, relative = line.partition("  ")
        if not sep or len(digest) != 64:
            raise BackupError(f"{sums}: line {number} is not '<sha256>  <file>'")
        path = folder / relative
        if not path.is_file():
            raise BackupError(f"{folder}: {relative} is listed in {CHECKSUMS} but missing")
        if _sha256(path) != digest:
            raise BackupError(f"{folder}: {relative} is damaged (its SHA-256 differs from {CHECKSUMS})")
        listed.add(relative)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS}
    if extra := sorted(present - listed):
        raise BackupError(f"{folder}: {extra[0]} is not listed in {CHECKSUMS}; the folder was changed after backup")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder}: {MANIFEST} cannot be read ({exc})") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{folder}: backup format {manifest.get('format')!r}; this version restores {FORMAT_VERSION}")
    return manifest


def _stage_database(folder: Path, staging: Path, tables: dict[str, int]) -> None:
    live = staging / LIVE_DB_NAME
    con = duckdb.connect(str(live))
    try:
        con.execute(f"IMPORT DATABASE {_quote(str(folder / DATA))}")
        restored = _table_counts(con)
    finally:
        con.close()
    for table, rows in tables.items():
        if restored.get(table) != rows:
            raise BackupError(f"{folder}: table {table} restored {restored.get(table)} rows, the manifest says {rows}")
    con = connect(live)  # applies migrations newer than the backup: an old backup restores into the new schema
    try:
        publish_snapshot(con, staging)
    finally:
        con.close()


def _refuse_if_daemon_running(data_dir: Path) -> None:
    live = data_dir / LIVE_DB_NAME
    if not live.exists():
        return
    try:
        duckdb.connect(str(live), read_only=True).close()
    except duckdb.IOException as exc:
        raise BackupError(
            f"{live} is in use ({exc}); stop the daemon first (systemctl stop itmon-daemon), then restore"
        ) from None
    except duckdb.Error:
        return  # a damaged live file is exactly what a restore replaces; it is moved aside, not deleted


def restore(
    folder: Path,
    data_dir: Path,
    *,
    registry: Path = DEFAULT_REGISTRY,
    rubrics_dir: Path = DEFAULT_RUBRICS,
    clock: Callable[[], datetime] = _now,
) -> Path | None:
    """Restore a backup into `data_dir` (and the registry and rubrics paths); returns where the old files went."""
    folder, data_dir = Path(folder), Path(data_dir)
    manifest = verify(folder)
    _refuse_if_daemon_running(data_dir)
    stamp = clock().strftime("%Y-%m-%dT%H%M%SZ")
    staging = data_dir / f".restore-{stamp}"
    aside = data_dir / f"pre-restore-{stamp}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        _stage_database(folder, staging, dict(manifest["tables"]))  # type: ignore[arg-type]
        for database in sorted((folder / WORKFLOW).glob("*.sqlite")):
            _copy_sqlite(database, staging / database.name)
        if (folder / EVIDENCE).is_dir():
            shutil.copytree(folder / EVIDENCE, staging / EVIDENCE)
    except BackupError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (OSError, duckdb.Error, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"restore into {data_dir} failed before anything was replaced: {exc}") from None
    moves = [(staging / item.name, data_dir / item.name) for item in sorted(staging.iterdir())]
    moves.append((folder / REGISTRY / str(manifest.get("registry", "province.toml")), Path(registry)))
    moves.append((folder / RUBRICS, Path(rubrics_dir)))
    moved_aside = False
    for source, target in moves:
        if target.exists() or target.with_name(target.name + ".wal").exists():
            aside.mkdir(parents=True, exist_ok=True)
            for old in (target, target.with_name(target.name + ".wal")):
                if old.exists():
                    shutil.move(str(old), aside / old.name)
            moved_aside = True
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_relative_to(staging):
            os.replace(source, target)
        elif source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    staging.rmdir()
    return aside if moved_aside else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.backup", description="Back up or restore itmon's data.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup", help="write a dated backup folder")
    make.add_argument("--to", type=Path, required=True, help="folder that receives the dated backup folders")
    check = sub.add_parser("verify", help="check a backup folder's checksums and manifest")
    check.add_argument("folder", type=Path)
    back = sub.add_parser("restore", help="check a backup, then put it in place (the daemon must be stopped)")
    back.add_argument("folder", type=Path)
    for command in (make, back):
        command.add_argument("--data-dir", type=Path, default=Path("data/runtime"))
        command.add_argument("--registry", type=Path, default=DEFAULT_REGISTRY)
        command.add_argument("--rubrics", type=Path, default=DEFAULT_RUBRICS)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            report = backup(args.data_dir, args.to, registry=args.registry, rubrics_dir=args.rubrics)
            rows = sum(report.tables.values())
            print(f"Backup written: {report.folder} ({len(report.tables)} tables, {rows} rows, {report.files} files)")
        elif args.command == "verify":
            manifest = verify(args.folder)
            print(f"Backup intact: {args.folder} (made {manifest['created_at']})")
        else:
            aside = restore(args.folder, args.data_dir, registry=args.registry, rubrics_dir=args.rubrics)
            kept = f"; the previous files are kept in {aside}" if aside else ""
            print(f"Restored {args.folder} into {args.data_dir}{kept}. Start the daemon again.")
    except (BackupError, StorageError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
