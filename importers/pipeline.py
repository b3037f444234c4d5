"""One import, all or nothing: parse every file, validate with the feeds' rules, hand one inbox file over.

Nothing reaches the inbox unless every file parses and every row passes `collectors.validation.validate`;
the refusal names the row, column or element. The source files' SHA-256 is part of the inbox file's name, so
the same files imported again are recognised (pending, ingested or in the snapshot) and nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from collectors.validation import validate
from importers.edxml import read_package
from importers.errors import ImportFileError
from importers.fields import to_arrow
from importers.mapping import load_mapping
from importers.postfix import load_mailbox_map, read_logs
from importers.rows import SourceRow
from importers.spreadsheet import read_export
from metrics.db import INBOX_DIR, INBOX_DONE_DIR, SNAPSHOT_NAME, open_snapshot, write_inbox_file
from metrics.schema import RAW_TABLE_KEYS

SELECT_INGESTED_LIKE = "SELECT count(*) FROM ingested_files WHERE contains(file_name, ?)"


class InboxWriteError(Exception):
    """The checked rows could not be written to the inbox (full disk, read-only folder); nothing was imported."""


@dataclass(frozen=True)
class ImportOptions:
    """What some kinds of file need besides the file itself."""

    mapping: Path | None = None
    mailboxes: Path | None = None
    year: int | None = None


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: the rows handed over, or that these files were imported before."""

    kind: str
    table: str
    rows: int
    inbox_file: Path | None
    already_imported: bool = False


Reader = Callable[[list[Path], ImportOptions, frozenset[str]], list[SourceRow]]


def _read_exports(paths: list[Path], options: ImportOptions, _units: frozenset[str]) -> list[SourceRow]:
    if options.mapping is None:
        raise ImportFileError(paths[0], ["an export needs its column mapping file: --mapping FILE.toml"])
    mapping = load_mapping(options.mapping)
    return [row for path in paths for row in read_export(path, mapping)]


def _read_edxml(paths: list[Path], _options: ImportOptions, units: frozenset[str]) -> list[SourceRow]:
    return [row for path in paths for row in read_package(path, units)]


def _read_postfix(paths: list[Path], options: ImportOptions, units: frozenset[str]) -> list[SourceRow]:
    if options.mailboxes is None:
        raise ImportFileError(paths[0], ["a mail log needs the mailbox map: --mailboxes FILE.toml"])
    return read_logs(paths, load_mailbox_map(options.mailboxes, units), year=options.year)


IMPORTERS: dict[str, Reader] = {"export": _read_exports, "edxml": _read_edxml, "postfix": _read_postfix}


def source_digest(paths: Iterable[Path], options: ImportOptions) -> str:
    """SHA-256 over the files and the option files, in order: the identity of one import."""
    digest = hashlib.sha256()
    for path in [*paths, options.mapping, options.mailboxes]:
        if path is not None:
            digest.update(Path(path).read_bytes())
    digest.update(str(options.year).encode())
    return digest.hexdigest()


def _already_imported(data_dir: Path, marker: str) -> bool:
    inbox = data_dir / INBOX_DIR
    for folder in (inbox, inbox / INBOX_DONE_DIR):
        if folder.is_dir() and any(marker in p.name for p in folder.glob("*.parquet")):
            return True
    snapshot = data_dir / SNAPSHOT_NAME
    if not snapshot.is_file():
        return False
    try:
        con = open_snapshot(snapshot)
    except duckdb.Error:
        return False  # a damaged snapshot is republished by the daemon; inbox/done/ above still answers
    try:
        (count,) = con.execute(SELECT_INGESTED_LIKE, [marker]).fetchone()  # type: ignore[misc]
    except duckdb.Error:
        return False
    finally:
        con.close()
    return bool(count)


def _refuse_quarantined(
    paths: list[Path], table: str, rows: list[SourceRow], quarantined: list[dict[str, str | None]]
) -> None:
    """Refuse the import naming each refused row's place in its file and the rule it broke."""
    keys = RAW_TABLE_KEYS[table]
    where = {"|".join(str(_key_text(r.record[k])) for k in keys): r.where for r in rows}
    problems = [f"{where.get(q['natural_key'] or '', q['natural_key'])}: {q['reason']}" for q in quarantined]
    raise ImportFileError(paths[0] if len(paths) == 1 else paths[0].parent, problems)


def _key_text(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def import_files(
    kind: str,
    paths: list[Path],
    *,
    data_dir: Path,
    known_units: frozenset[str],
    options: ImportOptions = ImportOptions(),
    write_inbox: Callable[..., Path] = write_inbox_file,
) -> ImportOutcome:
    """Import `paths` of one kind into the daemon's inbox, all or nothing (ImportFileError otherwise)."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind {kind!r}; valid kinds: {', '.join(IMPORTERS)}")
    paths = [Path(p) for p in paths]
    for path in paths:
        if not path.is_file():
            raise ImportFileError(path, ["the file does not exist"])
    rows = IMPORTERS[kind](paths, options, known_units)
    tables = {row.table for row in rows}
    if len(tables) != 1:
        raise ImportFileError(paths[0], ["no rows to import" if not tables else f"rows for several tables {tables}"])
    (table,) = tables
    arrow_rows = to_arrow(table, [row.record for row in rows])
    good, quarantined = validate(table, arrow_rows, known_units)
    if quarantined.num_rows:
        _refuse_quarantined(paths, table, rows, quarantined.to_pylist())
    marker = f"{kind}.{source_digest(paths, options)[:16]}."
    if _already_imported(Path(data_dir), marker):
        return ImportOutcome(kind, table, 0, None, already_imported=True)
    try:
        inbox_file = write_inbox(data_dir, table, arrow_rows, f"{marker}{paths[0].stem}")
    except OSError as exc:
        # A full or read-only disk leaves a hidden partial temp file; the daemon never reads those, remove ours.
        for partial in (Path(data_dir) / INBOX_DIR).glob(f".*{marker}*.tmp"):
            partial.unlink(missing_ok=True)
        raise InboxWriteError(
            f"cannot write the import into {Path(data_dir) / INBOX_DIR}: {exc}. Nothing was imported; "
            "free space or fix the folder's permissions, then import again."
        ) from None
    return ImportOutcome(kind, table, good.num_rows, inbox_file)
