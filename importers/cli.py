"""`python -m collectors import <kind> FILE ...`: hand vendor files to the daemon's inbox, all or nothing.

    python -m collectors import export  vb-2026-03.xlsx --mapping data/mappings/eoffice-vnpt.toml
    python -m collectors import edxml   goi-tin/*.edxml
    python -m collectors import postfix /var/log/mail.log.1 /var/log/mail.log --mailboxes mail-units.toml --year 2026

Exit status: 0 imported (or already imported before), 2 refused (the message says what and where).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from importers.errors import ImportFileError
from importers.pipeline import IMPORTERS, ImportOptions, InboxWriteError, import_files
from metrics.db import StorageError
from province.registry import RegistryError, load_registry

DEFAULT_DATA_DIR = Path("data/runtime")
DEFAULT_REGISTRY = Path("data/province.toml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m collectors import",
        description="Import files from systems without a feed; the collector daemon ingests them on its next cycle.",
    )
    parser.add_argument("kind", choices=sorted(IMPORTERS), help="export (xlsx/csv), edxml or postfix")
    parser.add_argument("files", nargs="+", type=Path, help="the files; rotated mail logs oldest first")
    parser.add_argument("--mapping", type=Path, help="column mapping file (kind export)")
    parser.add_argument("--mailboxes", type=Path, help="mail domain/address → unit file (kind postfix)")
    parser.add_argument("--year", type=int, help="year of the first line of a syslog without years (kind postfix)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the daemon's data folder")
    parser.add_argument("--registry", type=Path, default=DEFAULT_REGISTRY, help="the province registry")
    return parser


def main(argv: list[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run one import; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        units = frozenset(load_registry(args.registry).codes())
        outcome = import_files(
            args.kind,
            args.files,
            data_dir=args.data_dir,
            known_units=units,
            options=ImportOptions(mapping=args.mapping, mailboxes=args.mailboxes, year=args.year),
        )
    except (ImportFileError, InboxWriteError, RegistryError, StorageError) as exc:
        print(exc, file=err)
        return 2
    except OSError as exc:
        print(f"{exc.filename}: {exc.strerror}; nothing was imported.", file=err)
        return 2
    if outcome.already_imported:
        print(f"Already imported: these files were handed over before; nothing changed ({outcome.table}).", file=out)
    else:
        print(f"Handed {outcome.rows} {outcome.table} rows to the daemon: {outcome.inbox_file}", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
