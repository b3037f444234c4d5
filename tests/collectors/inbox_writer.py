"""A CLI importer process: writes dossier files into the inbox while the daemon runs.

    python -m tests.collectors.inbox_writer DATA_DIR UNIT_CODE SECONDS

Every file carries 20 new dossiers; every third file repeats the previous file's dossiers with a later
`updated_at` (a re-import must replace, never double). Prints one JSON object: files written, distinct keys.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from metrics import db

PER_FILE = 20


def dossiers(unit: str, batch: int, version: int) -> pa.Table:
    received = datetime(2025, 9, 1, 8, tzinfo=UTC)
    return pa.Table.from_pylist([
        {"unit_code": unit, "ma_ho_so": f"IMP-{batch:04d}-{i:02d}", "kenh": 1 + i % 3,
         "ngay_tiep_nhan": received, "trang_thai": "dang_xu_ly", "so_lan_bo_sung": 0,
         "updated_at": received + timedelta(hours=version)}
        for i in range(PER_FILE)
    ])


def main(data_dir: Path, unit: str, seconds: float) -> dict[str, int]:
    files, batch = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if files % 3 == 2:
            db.write_inbox_file(data_dir, "dossiers", dossiers(unit, batch - 1, 2), f"reimport-{files}.xlsx")
        else:
            db.write_inbox_file(data_dir, "dossiers", dossiers(unit, batch, 1), f"export-{files}.xlsx")
            batch += 1
        files += 1
        time.sleep(0.4)
    return {"files": files, "keys": batch * PER_FILE}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]))))
