"""The workflow store: one SQLite file in WAL mode, many writers, read-your-writes.

Every operation opens its own short-lived connection: Streamlit runs each session in its own thread and
sqlite3 connections must not cross threads. Writes use ``BEGIN IMMEDIATE`` so a writer takes the write
lock up front and waits (``busy_timeout``) instead of failing half-way through a transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from metrics.publication import PUBLICATION_DDL

Clock = Callable[[], datetime]

BUSY_TIMEOUT_MS = 15_000


def utc_now() -> datetime:
    """The production clock."""
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    """Store instants as ISO 8601 UTC text so they sort and compare as strings."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: the workflow store needs timezone-aware instants")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """Inverse of :func:`to_text`."""
    return datetime.fromisoformat(text)


MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "001_accounts",
        """
        CREATE TABLE accounts (
            username TEXT PRIMARY KEY,
            password_hash TEXT,
            role TEXT NOT NULL CHECK (role IN ('leader', 'it_admin', 'unit')),
            unit_code TEXT,
            display_name TEXT NOT NULL DEFAULT '',
            oidc_subject TEXT UNIQUE,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            password_changed_at TEXT,
            CHECK ((role = 'unit') = (unit_code IS NOT NULL))
        );
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES accounts(username),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX sessions_by_user ON sessions(username);
        """,
    ),
    (
        "002_audit",
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            unit_code TEXT,
            before_json TEXT,
            after_json TEXT
        );
        CREATE INDEX audit_by_time ON audit_log(at);
        """,
    ),
    (
        "003_evidence_selfreport",
        """
        CREATE TABLE evidence (
            id TEXT PRIMARY KEY,
            unit_code TEXT NOT NULL,
            original_name TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            uploaded_by TEXT NOT NULL,
            uploaded_at TEXT NOT NULL
        );
        CREATE TABLE self_reports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            unit_code TEXT NOT NULL,
            period TEXT NOT NULL,
            item_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'verified', 'rejected')),
            doc_number TEXT,
            doc_date TEXT,
            evidence_id TEXT REFERENCES evidence(id),
            note TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            submitted_by TEXT,
            submitted_at TEXT,
            decided_by TEXT,
            decided_at TEXT,
            decision_reason TEXT
        );
        CREATE INDEX self_reports_by_unit ON self_reports(unit_code, period, item_id);
        CREATE TABLE self_report_values (
            report_id INTEGER NOT NULL REFERENCES self_reports(id),
            count_name TEXT NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (report_id, count_name)
        );
        """,
    ),
    (
        "004_disputes",
        """
        CREATE TABLE disputes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            publication_id TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            metric_id TEXT NOT NULL,
            published_value REAL,
            proposed_value REAL,
            explanation TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
            raised_by TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            decision_reason TEXT,
            corrected_value REAL,
            new_publication_id TEXT
        );
        CREATE INDEX disputes_by_unit ON disputes(unit_code);
        """,
    ),
    (
        "005_inspections",
        """
        CREATE TABLE inspections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            unit_code TEXT NOT NULL,
            visit_date TEXT NOT NULL,
            inspector TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE inspection_checklist (
            inspection_id INTEGER NOT NULL REFERENCES inspections(id),
            metric_id TEXT NOT NULL,
            measured_value REAL,
            observed_value REAL,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (inspection_id, metric_id)
        );
        CREATE TABLE inspection_findings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            inspection_id INTEGER NOT NULL REFERENCES inspections(id),
            text TEXT NOT NULL
        );
        CREATE TABLE recommendations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            inspection_id INTEGER NOT NULL REFERENCES inspections(id),
            text TEXT NOT NULL,
            deadline TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'done')) DEFAULT 'open'
        );
        CREATE TABLE follow_ups (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recommendation_id INTEGER NOT NULL REFERENCES recommendations(id),
            at TEXT NOT NULL,
            by_user TEXT NOT NULL,
            note TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'done'))
        );
        """,
    ),
)

CREATE_MIGRATIONS_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS workflow_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)
"""
APPLIED_MIGRATIONS_SQL = "SELECT name FROM workflow_migrations"
RECORD_MIGRATION_SQL = "INSERT INTO workflow_migrations (name, applied_at) VALUES (?, ?)"


@dataclass(frozen=True)
class WorkflowStore:
    """Where the workflow data lives; open connections with :meth:`read` and :meth:`write`."""

    path: Path
    clock: Clock = utc_now
    # Held open for the store's lifetime: when the last connection to a WAL database closes, SQLite
    # checkpoints and deletes the WAL, which made every short-lived connection pay a checkpoint on close.
    keeper: sqlite3.Connection | None = field(default=None, compare=False, repr=False)

    @property
    def evidence_dir(self) -> Path:
        """Uploaded evidence, beside the database and outside any served path."""
        return self.path.parent / "evidence"

    def connect(self) -> sqlite3.Connection:
        """A new autocommit connection with WAL, busy timeout and foreign keys on."""
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        con.execute("PRAGMA foreign_keys = ON")
        return con

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; committed on success, rolled back on any error."""
        con = self.connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads; it sees every committed write."""
        con = self.connect()
        try:
            yield con
        finally:
            con.close()


def open_store(path: str | Path, *, clock: Clock = utc_now) -> WorkflowStore:
    """Open (creating and migrating if needed) the workflow store at ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / "evidence").mkdir(parents=True, exist_ok=True)
    keeper = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    keeper.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    mode = keeper.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        keeper.close()
        raise RuntimeError(f"{target}: SQLite refused WAL mode (got {mode!r}); is it on a network share?")
    keeper.execute(CREATE_MIGRATIONS_TABLE_SQL)
    keeper.executescript(PUBLICATION_DDL)
    store = WorkflowStore(target, clock=clock, keeper=keeper)
    with store.write() as con:
        applied = {row["name"] for row in con.execute(APPLIED_MIGRATIONS_SQL)}
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            for statement in sql.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(RECORD_MIGRATION_SQL, (name, to_text(clock())))
    return store
