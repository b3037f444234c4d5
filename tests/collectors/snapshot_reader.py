"""A dashboard-like reader process: opens the published snapshot read-only in a loop and queries it.

    python -m tests.collectors.snapshot_reader DATA_DIR SECONDS

Prints one JSON object: reads done, errors (with their messages) and partial cycles seen.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from metrics import db

READ_QUERIES = (
    "SELECT count(*) FROM dossiers",
    "SELECT unit_code, count(*) FROM attempts GROUP BY unit_code",
    "SELECT count(*) FROM documents WHERE direction = 'in'",
)
# A cycle is visible only whole: no attempt without its cycle row.
PARTIAL_CYCLES = "SELECT count(DISTINCT cycle_id) FROM attempts WHERE cycle_id NOT IN (SELECT cycle_id FROM cycles)"


def main(data_dir: Path, seconds: float) -> dict[str, object]:
    reads, errors, partial = 0, [], 0
    snapshot = data_dir / db.SNAPSHOT_NAME
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not snapshot.exists():
            time.sleep(0.05)
            continue
        try:
            con = db.open_snapshot(snapshot)
            try:
                cursor = con.cursor()
                for query in READ_QUERIES:
                    cursor.execute(query).fetchall()
                partial += cursor.execute(PARTIAL_CYCLES).fetchone()[0]
            finally:
                con.close()
            reads += 1
        except Exception as exc:  # noqa: BLE001 — every error is what this reader reports
            errors.append(f"{type(exc).__name__}: {exc}")
    return {"reads": reads, "errors": errors, "partial_cycles": partial}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), float(sys.argv[2]))))
