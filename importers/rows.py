"""What every importer produces: typed raw-table records, each with where in the file it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRow:
    """One raw-table record and its place in the source ("row 7", "line 1234", "pkg.edxml")."""

    table: str
    record: dict[str, object]
    where: str
