"""Ingest benchmark: records/s of the storage path (validate + Arrow upsert in one cycle transaction).

Three write shapes are timed: new rows into an empty table (the headline figure, against the target), a later
version of every row (a full re-poll), and 5,000 later versions into the full table (an ordinary cycle).
Baseline in the same run: `executemany` of the same rows into the same table. `executemany` is too slow to
run on all rows (about 6k rows/s), so it is timed on a sample of `--sample` rows and the rate is extrapolated;
the output says so. Last line: one JSON object.

    python3 bench/bench_ingest.py [--rows 1000000] [--sample 5000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collectors.validation import validate  # noqa: E402
from metrics import db  # noqa: E402

UNITS = [f"000.{i // 100:02d}.{i % 100:02d}.H10" for i in range(1000)]
INSERT_DOSSIER = """
INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, kenh, ngay_tiep_nhan, ngay_hen_tra, trang_thai,
    so_lan_bo_sung, tong_ngay_tam_dung, co_phieu_xin_loi, co_nghia_vu_tai_chinh, da_dong_bo_dvcqg,
    so_hoa_ho_so, danh_gia_hai_long, updated_at, collected_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def make_dossiers(n: int) -> pa.Table:
    """`n` realistic dossier rows as an Arrow table (the shape an importer or a parsed feed hands over)."""
    base = datetime(2025, 1, 1, 8, tzinfo=UTC)
    received = [base + timedelta(minutes=7 * i) for i in range(n)]
    return pa.table(
        {
            "unit_code": [UNITS[i % len(UNITS)] for i in range(n)],
            "ma_ho_so": [f"H{i:09d}" for i in range(n)],
            "ma_tthc": [f"1.{i % 500:06d}" for i in range(n)],
            "kenh": pa.array([1 + i % 3 for i in range(n)], pa.int8()),
            "ngay_tiep_nhan": pa.array(received, pa.timestamp("us", tz="UTC")),
            "ngay_hen_tra": pa.array([r + timedelta(days=10) for r in received], pa.timestamp("us", tz="UTC")),
            "trang_thai": ["da_tra_ket_qua" if i % 4 else "dang_xu_ly" for i in range(n)],
            "so_lan_bo_sung": pa.array([i % 3 for i in range(n)], pa.int32()),
            "tong_ngay_tam_dung": pa.array([i % 5 for i in range(n)], pa.int32()),
            "co_phieu_xin_loi": [i % 17 == 0 for i in range(n)],
            "co_nghia_vu_tai_chinh": [i % 2 == 0 for i in range(n)],
            "da_dong_bo_dvcqg": [i % 9 != 0 for i in range(n)],
            "so_hoa_ho_so": [i % 4 != 0 for i in range(n)],
            "danh_gia_hai_long": pa.array([None if i % 3 else 1 + i % 5 for i in range(n)], pa.int8()),
            "updated_at": pa.array([r + timedelta(days=1) for r in received], pa.timestamp("us", tz="UTC")),
        }
    )


def time_storage_path(data_dir: Path, rows: pa.Table) -> dict[str, tuple[float, int]]:
    """Validate and write through `write_cycle`, as the daemon does: (seconds, rows stored) for
    - `new`: `rows` into the empty table (a first load or a backfill of new months);
    - `replace`: a later version of every row into the now full table (a full re-poll);
    - `small`: 5,000 later versions into it (an ordinary cycle)."""
    con = db.connect(data_dir / "path.duckdb")
    later = rows.set_column(rows.schema.get_field_index("updated_at"), "updated_at",
                            pc.add(rows.column("updated_at"), pa.scalar(timedelta(hours=1))))
    timings = {}
    for name, part in (("new", rows), ("replace", later), ("small", later.slice(later.num_rows // 2, 5_000))):
        start = time.perf_counter()
        good, bad = validate("dossiers", part, set(UNITS))
        batch = db.CycleBatch(name, "bench", datetime.now(UTC), records={"dossiers": [good]}, quarantined=[bad])
        written = db.write_cycle(con, batch)
        timings[name] = (time.perf_counter() - start, written.total_records)
    (stored,) = con.execute("SELECT count(*) FROM dossiers").fetchone()  # type: ignore[misc]
    if stored != rows.num_rows or db.duplicate_keys(con)["dossiers"]:
        raise SystemExit(f"{stored} rows stored for {rows.num_rows} keys: the write path double counts")
    con.close()
    return timings


def time_executemany(data_dir: Path, rows: pa.Table) -> float:
    """Seconds for `executemany` of `rows` inside one transaction."""
    con = db.connect(data_dir / "baseline.duckdb")
    now = datetime.now(UTC)
    tuples = [(*row.values(), now) for row in rows.to_pylist()]
    start = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    con.executemany(INSERT_DOSSIER, tuples)
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5_000, help="rows timed for the executemany baseline")
    args = parser.parse_args()
    rows = make_dossiers(args.rows)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        timings = time_storage_path(Path(tmp), rows)
        seconds, stored = timings["new"]
        sample = rows.slice(0, min(args.sample, args.rows))
        baseline_seconds = time_executemany(Path(tmp), sample)
    if stored != args.rows:
        raise SystemExit(f"storage path stored {stored} of {args.rows} rows: the benchmark data is wrong")
    rate = args.rows / seconds
    baseline_rate = sample.num_rows / baseline_seconds
    print(f"storage path (validate + Arrow upsert, one transaction): {args.rows:,} dossiers in {seconds:.2f} s "
          f"= {rate:,.0f} records/s")
    print(f"executemany baseline: {sample.num_rows:,} rows (a sample, extrapolated) in {baseline_seconds:.2f} s "
          f"= {baseline_rate:,.0f} records/s")
    replace_seconds, _ = timings["replace"]
    small_seconds, small_rows = timings["small"]
    print(f"full re-poll (a later version of every row, into the full table): {replace_seconds:.2f} s "
          f"= {args.rows / replace_seconds:,.0f} records/s")
    print(f"ordinary cycle ({small_rows:,} later versions into {args.rows:,} stored rows): {small_seconds:.3f} s")
    print(f"speed-up: {rate / baseline_rate:,.1f}x; target >= 500,000 records/s: "
          f"{'met' if rate >= 500_000 else 'NOT met'}")
    print(json.dumps({
        "name": "ingest_records_per_second", "value": round(rate), "unit": "records/s",
        "rows": args.rows, "seconds": round(seconds, 3),
        "baseline_executemany_records_per_second": round(baseline_rate),
        "baseline_sample_rows": sample.num_rows, "baseline_extrapolated": True,
        "ratio": round(rate / baseline_rate, 1), "target": 500_000,
        "replace_records_per_second": round(args.rows / replace_seconds),
        "small_cycle_seconds": round(small_seconds, 3), "small_cycle_rows": small_rows,
    }))


if __name__ == "__main__":
    main()
