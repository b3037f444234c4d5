"""DuckDB storage: connect and migrate, the bulk upsert write path, inbox ingest, snapshot publish and open.

The daemon is the only process that opens `<data_dir>/live.duckdb` read-write (architecture.md, "Storage
concurrency"). Everyone else reads `<data_dir>/snapshot.duckdb` through `open_snapshot`, and CLI importers hand
their rows over as Parquet files in `<data_dir>/inbox/` through `write_inbox_file`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from metrics.schema import MIGRATIONS, RAW_TABLE_KEYS

log = logging.getLogger(__name__)

LIVE_DB_NAME = "live.duckdb"
SNAPSHOT_NAME = "snapshot.duckdb"
INBOX_DIR = "inbox"
INBOX_DONE_DIR = "done"
INBOX_REJECTED_DIR = "rejected"
INBOX_TABLE_METADATA_KEY = b"itmon.table"
INBOX_SOURCE_METADATA_KEY = b"itmon.source"
LOCAL_TIMEZONE = "Asia/Ho_Chi_Minh"

_SAFE_SOURCE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class StorageError(Exception):
    """A storage operation failed; the message names the file or table and what to do."""


class InboxError(StorageError):
    """A file handed to the inbox does not fit the table it claims to be for."""


# ---------------------------------------------------------------------------------------------- connect/migrate

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       VARCHAR PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL
)
"""
SELECT_APPLIED_MIGRATIONS = "SELECT name FROM schema_migrations"
INSERT_APPLIED_MIGRATION = "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)"


def connect(path: Path | str, *, migrations: list[tuple[str, str]] = MIGRATIONS) -> duckdb.DuckDBPyConnection:
    """Open the live database read-write and bring its schema up to date."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise StorageError(
            f"cannot open {path} for writing: {exc}. Only the collector daemon opens the live database; "
            "readers use the snapshot, importers use the inbox."
        ) from exc
    con.execute(f"SET TimeZone = '{LOCAL_TIMEZONE}'")
    migrate(con, migrations)
    return con


def migrate(con: duckdb.DuckDBPyConnection, migrations: list[tuple[str, str]] = MIGRATIONS) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; return the names applied."""
    con.execute(CREATE_MIGRATIONS_TABLE)
    applied = {name for (name,) in con.execute(SELECT_APPLIED_MIGRATIONS).fetchall()}
    newly_applied = []
    for name, sql in migrations:
        if name in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(INSERT_APPLIED_MIGRATION, [name, datetime.now(UTC)])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            rollback_quietly(con)
            raise StorageError(f"migration {name} failed: {exc}") from exc
        newly_applied.append(name)
    return newly_applied


# ------------------------------------------------------------------------------------------------- write path

# The raw tables carry no key index (schema migration 0002): this one writer keeps each natural key unique.
INSERT_TEMPLATE = """
INSERT INTO {table} BY NAME
SELECT * EXCLUDE (__pos), CAST(? AS TIMESTAMPTZ) AS collected_at
FROM {source} AS b
{unblocked}
"""
UNBLOCKED_TEMPLATE = "WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
DELETE_REPLACED_TEMPLATE = "DELETE FROM {table} AS t USING {source} AS b WHERE {match}{guard}"
DEDUPE_TEMPLATE = """
CREATE OR REPLACE TEMP TABLE __latest AS
SELECT * FROM __batch QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1
"""
DROP_DEDUPED = "DROP TABLE IF EXISTS __latest"
COUNT_DUPLICATE_KEYS_TEMPLATE = "SELECT count(*) - count(DISTINCT ({keys})) FROM __batch"
ANY_STORED_KEY_TEMPLATE = "SELECT EXISTS (SELECT 1 FROM __batch SEMI JOIN {table} USING ({keys}))"
COUNT_DUPLICATE_STORED_KEYS_TEMPLATE = "SELECT count(*) - count(DISTINCT ({keys})) FROM {table}"


@dataclass(frozen=True)
class _UpsertPlan:
    """The statements of one upsert; identifiers come from the schema's own catalogue, never from input."""

    dedupe: str | None
    delete: str | None
    insert: str


def upsert_records(
    con: duckdb.DuckDBPyConnection, table: str, records: pa.Table, collected_at: datetime
) -> int:
    """Store `records` in raw table `table` by natural key: the latest version of each record wins.

    Within the batch the row with the greatest `updated_at` (then the later row) is kept; against stored rows,
    an incoming version replaces the stored one unless it is older. Returns the number of rows inserted or
    replaced. Call it inside the caller's transaction: the delete and the insert must commit together.
    """
    if records.num_rows == 0:
        return 0
    if table not in RAW_TABLE_KEYS:
        raise StorageError(f"unknown raw table {table!r}; valid tables: {sorted(RAW_TABLE_KEYS)}")
    batch = records.append_column("__pos", pa.array(np.arange(records.num_rows, dtype=np.int64)))
    if "collected_at" in batch.column_names:
        batch = batch.drop_columns(["collected_at"])
    con.register("__batch", batch)
    try:
        keys = ", ".join(RAW_TABLE_KEYS[table])
        (duplicates,) = con.execute(COUNT_DUPLICATE_KEYS_TEMPLATE.format(keys=keys)).fetchone()  # type: ignore[misc]
        # First loads and backfills of new months touch no stored key: a plain append, no join.
        (overlaps,) = con.execute(ANY_STORED_KEY_TEMPLATE.format(table=table, keys=keys)).fetchone()  # type: ignore[misc]
        plan = _upsert_plan(table, tuple(records.column_names), dedupe=duplicates > 0, overlaps=overlaps)
        if plan.dedupe:
            con.execute(plan.dedupe)
        if plan.delete:
            con.execute(plan.delete)
        (stored,) = con.execute(plan.insert, [collected_at]).fetchone()  # type: ignore[misc]
        if plan.dedupe:
            con.execute(DROP_DEDUPED)
    finally:
        _release(con, "__batch")
    return int(stored)


def _upsert_plan(table: str, columns: tuple[str, ...], *, dedupe: bool, overlaps: bool) -> _UpsertPlan:
    keys = RAW_TABLE_KEYS.get(table)
    if keys is None:
        raise StorageError(f"unknown raw table {table!r}; valid tables: {sorted(RAW_TABLE_KEYS)}")
    known = set(table_columns(table))
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise StorageError(f"table {table}: unknown columns {unknown}; valid columns: {sorted(known)}")
    has_version = "updated_at" in columns
    source = "__latest" if dedupe else "__batch"
    order = ("updated_at DESC, " if has_version else "") + "__pos DESC"
    match = " AND ".join(f"t.{k} = b.{k}" for k in keys)
    delete = insert_guard = None
    if overlaps:
        delete = DELETE_REPLACED_TEMPLATE.format(
            table=table, source=source, match=match, guard=" AND t.updated_at <= b.updated_at" if has_version else "")
        # After the delete, a stored row left under an incoming key is a newer version: it blocks the insert.
        insert_guard = UNBLOCKED_TEMPLATE.format(table=table, match=match) if has_version else None
    return _UpsertPlan(
        dedupe=DEDUPE_TEMPLATE.format(keys=", ".join(keys), order=order) if dedupe else None,
        delete=delete,
        insert=INSERT_TEMPLATE.format(table=table, source=source, unblocked=insert_guard or ""),
    )


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per raw table that share a natural key with another row: 0 everywhere unless the write path broke."""
    found = {}
    for table, keys in RAW_TABLE_KEYS.items():
        (extra,) = con.execute(  # type: ignore[misc]
            COUNT_DUPLICATE_STORED_KEYS_TEMPLATE.format(table=table, keys=", ".join(keys))).fetchone()
        found[table] = int(extra)
    return found


_CATALOGUE: dict[str, list[tuple[str, str, bool]]] = {}

SELECT_TABLE_COLUMNS = """
SELECT table_name, column_name, data_type, NOT is_nullable
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main'
ORDER BY table_name, column_index
"""


def table_columns(table: str) -> list[str]:
    """Column names of a table of the current schema, in order."""
    return [name for name, _, _ in schema_catalogue()[table]]


def schema_catalogue() -> dict[str, list[tuple[str, str, bool]]]:
    """Every table of the migrated schema: (column, DuckDB type, not-null), read once from an in-memory DB."""
    if not _CATALOGUE:
        con = duckdb.connect()
        try:
            migrate(con)
            for table, column, data_type, not_null in con.execute(SELECT_TABLE_COLUMNS).fetchall():
                _CATALOGUE.setdefault(table, []).append((column, data_type, bool(not_null)))
        finally:
            con.close()
    return _CATALOGUE


# -------------------------------------------------------------------------------------------- the cycle write

ATTEMPT_SCHEMA = pa.schema(
    [
        ("attempt_id", pa.string()),
        ("cycle_id", pa.string()),
        ("unit_code", pa.string()),
        ("system", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("duration_s", pa.float64()),
        ("outcome", pa.string()),
        ("http_status", pa.int32()),
        ("error", pa.string()),
        ("records_read", pa.int32()),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("unit_code", pa.string()),
        ("feed", pa.string()),
        ("natural_key", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.string()),
    ]
)

INSERT_ATTEMPTS = "INSERT INTO attempts BY NAME SELECT * FROM __attempts"
INSERT_QUARANTINE = (
    "INSERT INTO quarantine BY NAME SELECT CAST(? AS TIMESTAMPTZ) AS quarantined_at, * FROM __quarantine"
)
UPSERT_CURSORS = """
INSERT INTO cursors (unit_code, system, feed, cursor, updated_at)
SELECT unit_code, system, feed, cursor, CAST(? AS TIMESTAMPTZ) FROM __cursors
ON CONFLICT (unit_code, system, feed) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
"""
CURSOR_SCHEMA = pa.schema([("unit_code", pa.string()), ("system", pa.string()), ("feed", pa.string()),
                           ("cursor", pa.string())])
INSERT_CYCLE = """
INSERT INTO cycles (cycle_id, started_at, finished_at, kind, records, quarantined) VALUES (?, ?, ?, ?, ?, ?)
"""
SELECT_CURSORS = "SELECT unit_code, system, feed, cursor FROM cursors"


@dataclass
class CycleBatch:
    """Everything one cycle stores, gathered before the write transaction opens."""

    cycle_id: str
    kind: str
    started_at: datetime
    attempts: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, list[pa.Table]] = field(default_factory=dict)
    quarantined: list[pa.Table] = field(default_factory=list)
    cursors: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CycleWritten:
    """What a cycle write stored: rows per raw table, quarantined rows, inbox files taken in."""

    records: dict[str, int]
    quarantined: int
    inbox_files: tuple[str, ...]
    rejected_files: tuple[str, ...]

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def write_cycle(
    con: duckdb.DuckDBPyConnection,
    batch: CycleBatch,
    *,
    data_dir: Path | None = None,
    known_units: frozenset[str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> CycleWritten:
    """Write one cycle in ONE transaction: attempts, raw upserts, cursors, quarantine, inbox files, cycle row.

    Inbox files (when `data_dir` is given) are ingested inside the same transaction and moved to
    `inbox/done/` only after the commit, so a crash leaves each file either pending or recorded, never both.
    """
    clock = clock or _utcnow
    now = clock()
    written: dict[str, int] = {}
    quarantined = 0
    inbox: list[_InboxFile] = []
    con.execute("BEGIN TRANSACTION")
    try:
        if batch.attempts:
            _insert_arrow(con, INSERT_ATTEMPTS, "__attempts", pa.Table.from_pylist(batch.attempts, ATTEMPT_SCHEMA))
        for table, parts in batch.records.items():
            for part in parts:
                written[table] = written.get(table, 0) + upsert_records(con, table, part, now)
        for part in batch.quarantined:
            quarantined += _insert_quarantine(con, part, now)
        if data_dir is not None:
            inbox = _ingest_inbox_files(con, Path(data_dir), known_units, now)
            for item in inbox:
                written[item.table] = written.get(item.table, 0) + item.good_rows
                quarantined += item.quarantined_rows
        if batch.cursors:
            cursors = pa.Table.from_pylist([dict(zip(CURSOR_SCHEMA.names, c, strict=True)) for c in batch.cursors],
                                           CURSOR_SCHEMA)
            _insert_arrow(con, UPSERT_CURSORS, "__cursors", cursors, now)
        con.execute(
            INSERT_CYCLE,
            [batch.cycle_id, batch.started_at, clock(), batch.kind, sum(written.values()), quarantined],
        )
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        raise
    for item in inbox:
        item.settle(Path(data_dir) / INBOX_DIR)  # type: ignore[arg-type]
    return CycleWritten(
        records=written,
        quarantined=quarantined,
        inbox_files=tuple(i.path.name for i in inbox if not i.rejected),
        rejected_files=tuple(i.path.name for i in inbox if i.rejected),
    )


def read_cursors(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], str]:
    """Every stored cursor, keyed by (unit_code, system, feed)."""
    return {(u, s, f): c for u, s, f, c in con.execute(SELECT_CURSORS).fetchall()}


def _release(con: duckdb.DuckDBPyConnection, name: str) -> None:
    try:
        con.unregister(name)
    except duckdb.ResourceInUseException:
        con.abort()  # a failed statement left its result open; the caller's exception is the one that matters
        con.unregister(name)


def _insert_arrow(con: duckdb.DuckDBPyConnection, sql: str, name: str, table: pa.Table, *params: Any) -> None:
    con.register(name, table)
    try:
        con.execute(sql, list(params))
    finally:
        con.unregister(name)


def _insert_quarantine(con: duckdb.DuckDBPyConnection, rows: pa.Table, now: datetime) -> int:
    if rows.num_rows == 0:
        return 0
    _insert_arrow(con, INSERT_QUARANTINE, "__quarantine", rows.select(QUARANTINE_SCHEMA.names), now)
    return rows.num_rows


def _utcnow() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------------------------------- inbox

SELECT_INGESTED_FILE = "SELECT 1 FROM ingested_files WHERE file_name = ?"
INSERT_INGESTED_FILE = """
INSERT INTO ingested_files (file_name, sha256, kind, rows, ingested_at) VALUES (?, ?, ?, ?, ?)
"""


def write_inbox_file(data_dir: Path | str, table: str, arrow_table: pa.Table, source_name: str) -> Path:
    """Hand rows for raw table `table` to the daemon: check them, write a temp file, rename into `inbox/`.

    The rows are checked against the table's columns and types here (a clear `InboxError` otherwise, and
    nothing is written); row-level rules (unknown unit, negative counts, …) are applied by the daemon when it
    ingests the file, which quarantines bad rows with their reason. Returns the path of the inbox file.
    """
    if table not in RAW_TABLE_KEYS:
        raise InboxError(f"{source_name}: unknown table {table!r}; valid tables: {sorted(RAW_TABLE_KEYS)}")
    arrow_table = _conform_to_table(table, arrow_table, source_name)
    inbox = Path(data_dir) / INBOX_DIR
    inbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    safe_source = _SAFE_SOURCE_NAME.sub("_", source_name)[:80] or "import"
    final = inbox / f"{table}--{safe_source}--{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = inbox / f".{final.name}.tmp"
    metadata = {INBOX_TABLE_METADATA_KEY: table.encode(), INBOX_SOURCE_METADATA_KEY: source_name.encode()}
    pq.write_table(arrow_table.replace_schema_metadata(metadata), tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    return final


def pending_inbox_files(data_dir: Path | str) -> list[Path]:
    """Inbox files waiting for the daemon, oldest name first (temp files excluded)."""
    inbox = Path(data_dir) / INBOX_DIR
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.glob("*.parquet") if p.is_file())


def _conform_to_table(table: str, arrow_table: pa.Table, source_name: str) -> pa.Table:
    columns = {name: (data_type, not_null) for name, data_type, not_null in schema_catalogue()[table]}
    unknown = [c for c in arrow_table.column_names if c not in columns]
    if unknown:
        raise InboxError(f"{source_name}: columns {unknown} are not in table {table}; valid: {sorted(columns)}")
    keys = RAW_TABLE_KEYS[table]
    missing = [c for c in keys if c not in arrow_table.column_names]
    if missing:
        raise InboxError(f"{source_name}: table {table} needs its natural key columns {list(keys)}; missing {missing}")
    return arrow_table


@dataclass
class _InboxFile:
    path: Path
    table: str = ""
    good_rows: int = 0
    quarantined_rows: int = 0
    rejected: bool = False
    already_recorded: bool = False

    def settle(self, inbox: Path) -> None:
        target = inbox / (INBOX_REJECTED_DIR if self.rejected else INBOX_DONE_DIR)
        target.mkdir(exist_ok=True)
        try:
            shutil.move(str(self.path), target / self.path.name)
        except FileNotFoundError:
            log.warning("inbox file %s vanished before it could be moved to %s", self.path, target)


def _ingest_inbox_files(
    con: duckdb.DuckDBPyConnection, data_dir: Path, known_units: frozenset[str] | None, now: datetime
) -> list[_InboxFile]:
    from collectors.validation import validate  # validation sits with the collectors; storage only calls it

    taken = []
    for path in pending_inbox_files(data_dir):
        item = _InboxFile(path)
        taken.append(item)
        if con.execute(SELECT_INGESTED_FILE, [path.name]).fetchone():
            item.already_recorded = True  # committed before a crash, never moved: only move it now
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            arrow_table = pq.read_table(path)
            metadata = arrow_table.schema.metadata or {}
            item.table = metadata.get(INBOX_TABLE_METADATA_KEY, path.name.split("--", 1)[0].encode()).decode()
            if item.table not in RAW_TABLE_KEYS:
                raise InboxError(f"unknown table {item.table!r}; valid tables: {sorted(RAW_TABLE_KEYS)}")
            good, bad = validate(item.table, arrow_table.drop_columns(
                [c for c in ("collected_at",) if c in arrow_table.column_names]), known_units)
        except (pa.ArrowException, OSError, InboxError, ValueError) as exc:
            item.rejected = True
            reason = f"inbox file {path.name} could not be read: {exc}"
            log.error(reason)
            rejected_row = {"source": f"inbox:{path.name}", "unit_code": None, "feed": item.table or "unknown",
                            "natural_key": None, "reason": reason, "payload": path.name}
            _insert_quarantine(con, pa.Table.from_pylist([rejected_row], QUARANTINE_SCHEMA), now)
            con.execute(INSERT_INGESTED_FILE, [path.name, digest, "rejected", 0, now])
            item.quarantined_rows = 1
            continue
        item.good_rows = upsert_records(con, item.table, good, now)
        bad = bad.set_column(bad.schema.get_field_index("source"), "source",
                             pa.array([f"inbox:{path.name}"] * bad.num_rows, pa.string()))
        item.quarantined_rows = _insert_quarantine(con, bad, now)
        con.execute(INSERT_INGESTED_FILE, [path.name, digest, item.table, good.num_rows, now])
    return taken


# -------------------------------------------------------------------------------------------------- snapshots

SELECT_CURRENT_DATABASE = "SELECT current_database()"


def publish_snapshot(con: duckdb.DuckDBPyConnection, data_dir: Path | str) -> Path:
    """Copy the live database to `<data_dir>/snapshot.duckdb` and swap it in atomically."""
    data_dir = Path(data_dir)
    final = data_dir / SNAPSHOT_NAME
    tmp = data_dir / f".{SNAPSHOT_NAME}.tmp"
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    (current,) = con.execute(SELECT_CURRENT_DATABASE).fetchone()  # type: ignore[misc]
    # ATTACH/COPY take no bind parameters: the path is quoted as a literal, the catalogue name as an identifier.
    con.execute(f"ATTACH {_sql_literal(str(tmp))} AS __snapshot_new")
    try:
        con.execute(f"COPY FROM DATABASE {_sql_identifier(current)} TO __snapshot_new")
    finally:
        con.execute("DETACH __snapshot_new")
    os.replace(tmp, final)
    return final


def open_snapshot(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open a published snapshot read-only (callers cache one instance per snapshot version)."""
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"no snapshot at {path} yet: the collector daemon publishes one after its first cycle")
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"SET TimeZone = '{LOCAL_TIMEZONE}'")
    return con


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------------------- registry

UPSERT_UNIT = """
INSERT INTO units (unit_code, dvcqg_code, name, level, parent_code, headcount, is_ranked, valid_from, valid_to,
                   predecessors, systems, registry_hash, loaded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (unit_code, valid_from) DO UPDATE SET
    dvcqg_code = excluded.dvcqg_code, name = excluded.name, level = excluded.level,
    parent_code = excluded.parent_code, headcount = excluded.headcount, is_ranked = excluded.is_ranked,
    valid_to = excluded.valid_to, predecessors = excluded.predecessors, systems = excluded.systems,
    registry_hash = excluded.registry_hash, loaded_at = excluded.loaded_at
"""
SELECT_REGISTRY_HASHES = "SELECT DISTINCT registry_hash FROM units"
SELECT_KNOWN_UNITS = "SELECT DISTINCT unit_code FROM units"


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure without hiding it: a failed COMMIT (a full disk) may leave nothing to roll back."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error as exc:
        log.debug("rollback after a failed transaction: %s", exc)


def record_registry(con: duckdb.DuckDBPyConnection, units: Iterable[Any], registry_hash: str) -> int:
    """Store the registry's units (history kept by `valid_from`); a no-op when this registry is stored already."""
    hashes = {h for (h,) in con.execute(SELECT_REGISTRY_HASHES).fetchall()}
    if hashes == {registry_hash}:
        return 0
    now = _utcnow()
    rows = [
        [u.code, u.dvcqg_code, u.name, u.level, u.parent, u.headcount, u.is_ranked, u.valid_from, u.valid_to,
         list(u.predecessors), sorted(u.endpoints), registry_hash, now]
        for u in units
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(UPSERT_UNIT, rows)  # a few hundred registry rows, once per registry change
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        raise
    return len(rows)


def known_units(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Every unit code the registry history knows."""
    return frozenset(code for (code,) in con.execute(SELECT_KNOWN_UNITS).fetchall())


def describe_counts(counts: Mapping[str, int]) -> str:
    """`documents=12, dossiers=3` — for log lines."""
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing"
