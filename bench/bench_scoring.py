"""Scoring benchmark: the full province-it rubric over raw records, province and national scale.

Data is generated directly in DuckDB with SQL (deterministic hashes, no Python loop):
- province: --units units (20 departments, the rest communes), 24 months, --docs documents and --dossiers
  dossiers (≥ 5 million together by default), plus procedures, feedback, mailboxes, daily mail activity,
  portal probes and items;
- national: --national-units units (5,000), 12 months, lighter volumes per unit.
The engine (`refresh_scores`: counts for every month, quarter, year and YTD with data, then all 30 metrics,
units, blocks, ranks, stored) is timed on each. Baseline measured in the same run, on the province data: two
metrics (EO-01 signed outgoing share, OS-01 on-time dossiers) for every month, scored with a straightforward
pandas row loop (`itertuples`) — the ratio says how much faster the set-based engine does all 30.
Last line: one JSON object.

    python3 bench/bench_scoring.py [--docs 3000000] [--dossiers 2100000] [--skip-national]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metrics.engine import refresh_scores  # noqa: E402
from metrics.schema import MIGRATIONS  # noqa: E402

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)

GEN_UNITS = """
INSERT INTO units (unit_code, name, level, headcount, is_ranked, valid_from, registry_hash, loaded_at)
SELECT printf('U%05d', i), printf('Đơn vị %d', i), CASE WHEN i < ? THEN 'department' ELSE 'commune' END,
       20 + i % 40, TRUE, DATE '2020-01-01', 'bench', now()
FROM range(?) t(i)
"""
GEN_DOCUMENTS = """
INSERT INTO documents
SELECT printf('U%05d', h % $units), 'd' || i,
       CASE WHEN h % 2 = 0 THEN 'out' ELSE 'in' END, NULL, NULL,
       CASE WHEN (h >> 4) % 10 = 0 THEN 1 ELSE 0 END, CASE WHEN (h >> 8) % 50 = 0 THEN 1 ELSE 0 END,
       t::DATE, t, t + to_days(CAST((h >> 12) % 3 AS INTEGER)), t, t + to_days(CAST((h >> 14) % 3 AS INTEGER)),
       t + to_days(CAST((h >> 16) % 3 AS INTEGER)),
       CASE WHEN (h >> 18) % 3 = 0 THEN t::DATE + 10 END,
       CASE WHEN (h >> 20) % 20 <> 0 THEN t + to_days(CAST((h >> 22) % 14 AS INTEGER)) END,
       'hoan_thanh', (h >> 26) % 10 <> 0, (h >> 28) % 8 = 0,
       CASE (h >> 30) % 4 WHEN 0 THEN 'noi_bo' WHEN 1 THEN 'lgsp' WHEN 2 THEN 'truc_lien_thong' ELSE 'giay' END,
       (h >> 32) % 5 <> 0, NULL, NULL, t, t
FROM (SELECT i, hash(i) AS h,
             $start + to_seconds(CAST(hash(i * 31 + 7) % ($days * 600) AS BIGINT) * 144) AS t
      FROM range($n) r(i))
"""
GEN_DOSSIERS = """
INSERT INTO dossiers
SELECT printf('U%05d', h % $units), 'h' || i, 'T' || ((h >> 4) % 40), 1 + (h >> 8) % 3, t,
       t + to_days(CAST(5 + (h >> 10) % 10 AS INTEGER)),
       CASE WHEN (h >> 14) % 25 <> 0 THEN t + to_days(CAST((h >> 16) % 16 AS INTEGER)) END, NULL,
       CASE WHEN (h >> 14) % 25 <> 0 THEN 'da_tra_ket_qua' ELSE 'dang_xu_ly' END,
       (h >> 20) % 3, (h >> 22) % 3, (h >> 24) % 2 = 0, (h >> 26) % 3 = 0, (h >> 28) % 2 = 0,
       (h >> 30) % 10 <> 0, (h >> 32) % 3 <> 0, (h >> 34) % 4 <> 0,
       CASE WHEN (h >> 36) % 3 <> 0 THEN 1 + (h >> 38) % 5 END, t, t
FROM (SELECT i, hash(i + 1000000000) AS h,
             $start + to_seconds(CAST(hash(i * 17 + 3) % ($days * 600) AS BIGINT) * 144) AS t
      FROM range($n) r(i))
"""
GEN_SMALL = """
INSERT INTO procedures SELECT printf('U%05d', u), 'T' || k, 'Thủ tục', CASE k % 3 WHEN 0 THEN 'toan_trinh'
    WHEN 1 THEN 'mot_phan' ELSE 'khong' END, k % 2 = 0, now(), now()
FROM range($units) a(u), range(40) b(k);
INSERT INTO feedback SELECT printf('U%05d', i % $units), 'p' || i, t, CAST(t AS DATE) + 15,
    CASE WHEN i % 7 <> 0 THEN t + to_days(CAST(i % 20 AS INTEGER)) END,
    CASE WHEN i % 7 <> 0 THEN 'da_xu_ly' ELSE 'dang_xu_ly' END, t, t
FROM (SELECT i, $start + to_hours(CAST(i % ($days * 24) AS BIGINT)) AS t FROM range($units * 20) r(i));
INSERT INTO mailboxes SELECT printf('U%05d', u), printf('m%05d-%02d', u, k), k < 25, k % 13 <> 0,
    TIMESTAMPTZ '2024-01-01 00:00:00+07', now(), now()
FROM range($units) a(u), range(30) b(k);
INSERT INTO mail_activity SELECT printf('U%05d', u), printf('m%05d-%02d', u, k), d, (u + k + w) % 4 <> 0,
    (u * k + w) % 9, (u + k * w) % 11, now()
FROM range($units) a(u), range(30) b(k),
     (SELECT w, $start::DATE + CAST(w * 7 AS INTEGER) AS d FROM range(CAST($days / 7 AS INTEGER)) c(w));
INSERT INTO portal_probes SELECT printf('U%05d', u), $start + to_hours(CAST(p * 6 AS BIGINT)),
    'https://u' || u || '.tinh.gov.vn/', (u + p) % 97 <> 0, 200, 120.0, TRUE, u % 3 <> 0,
    ['gioi_thieu', 'tin_tuc', 'van_ban', 'lien_he'], NULL, NULL, now()
FROM range($units) a(u), range($days * 4) b(p);
INSERT INTO portal_items SELECT printf('U%05d', u), 'https://u' || u || '/tin/' || k, 'Tin',
    $start + to_days(CAST(k * 3 + u % 3 AS INTEGER)), 'rss', now()
FROM range($units) a(u), range(CAST($days / 3 AS INTEGER)) b(k);
INSERT INTO attempts SELECT printf('U%05d', u) || s, NULL, printf('U%05d', u), s, TIMESTAMPTZ '2026-11-20 08:00:00+07',
    0.1, 'success', 200, NULL, 1
FROM range($units) a(u), (SELECT unnest(['eoffice', 'onestop', 'mail', 'portal']) AS s);
"""


def generate(path: Path, units: int, departments: int, docs: int, dossiers: int, months: int) -> float:
    """Create the raw tables and fill them with SQL; returns the seconds it took."""
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    for _name, sql in MIGRATIONS:
        con.execute(sql)
    start = "TIMESTAMPTZ '2025-11-01 00:00:00+07'" if months == 12 else "TIMESTAMPTZ '2024-11-01 00:00:00+07'"
    days = 365 if months == 12 else 730
    con.execute(GEN_UNITS, [departments, units])
    params = {"units": units, "days": days}
    for template, n in ((GEN_DOCUMENTS, docs), (GEN_DOSSIERS, dossiers)):
        con.execute(template.replace("$start", start), {**params, "n": n})
    for statement in GEN_SMALL.replace("$start", start).split(";\n"):
        if statement.strip():
            con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    con.close()
    return time.perf_counter() - started


def time_engine(path: Path) -> tuple[float, float, int, int]:
    """Wall seconds and CPU seconds (all threads of this process) of one refresh_scores run."""
    con = duckdb.connect(str(path))
    started, cpu_started = time.perf_counter(), time.process_time()
    written = refresh_scores(con, ["province-it"], clock=lambda: NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    metric_rows = con.execute("SELECT count(*) FROM metric_scores").fetchone()[0]
    con.close()
    return elapsed, cpu, written["province-it"], metric_rows


# The row loop gets local days already computed by DuckDB (as the engine does), so it measures the loop itself.
BASELINE_DOCS = """
SELECT unit_code, strftime(DATE '1970-01-01' + CAST((epoch_us(ngay_ky) + 25200000000) // 86400000000 AS INTEGER),
                           '%Y-%m') AS month, ky_so
FROM documents
WHERE direction = 'out' AND coalesce(do_mat, 0) = 0 AND trang_thai IS DISTINCT FROM 'da_huy'
"""
BASELINE_DOSSIERS = """
SELECT unit_code, trang_thai, so_lan_bo_sung, coalesce(tong_ngay_tam_dung, 0) AS paused,
       CAST((epoch_us(ngay_ket_thuc_xu_ly) + 25200000000) // 86400000000 AS INTEGER) AS end_day,
       CAST((epoch_us(ngay_hen_tra) + 25200000000) // 86400000000 AS INTEGER) AS due_day,
       strftime(DATE '1970-01-01' + CAST((epoch_us(ngay_ket_thuc_xu_ly) + 25200000000) // 86400000000 AS INTEGER),
                '%Y-%m') AS end_month
FROM dossiers
"""
END_STATUSES = {"da_xu_ly_xong", "da_tra_ket_qua", "tu_choi", "dung_xu_ly", "cong_dan_rut"}


def pandas_row_loop(path: Path) -> tuple[float, float, int]:
    """EO-01 and OS-01 per unit and month with a plain row loop over pandas frames (the baseline)."""
    con = duckdb.connect(str(path), read_only=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    docs = con.execute(BASELINE_DOCS).df()
    dossiers = con.execute(BASELINE_DOSSIERS).df()
    con.close()
    signed: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in docs.itertuples(index=False):
        key = (row.unit_code, row.month)
        signed[key][1] += 1
        signed[key][0] += bool(row.ky_so)
    timely: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in dossiers.itertuples(index=False):
        if row.trang_thai not in END_STATUSES or pd.isna(row.end_day):
            continue
        key = (row.unit_code, row.end_month)
        timely[key][1] += 1
        timely[key][0] += row.end_day <= row.due_day + row.paused and row.so_lan_bo_sung <= 1
    points = [6 * min(1.0, (s / t) / 0.95) for s, t in signed.values() if t]
    points += [10 * on / total for on, total in timely.values() if total]
    return time.perf_counter() - started, time.process_time() - cpu_started, len(points)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=120)
    parser.add_argument("--docs", type=int, default=3_000_000)
    parser.add_argument("--dossiers", type=int, default=2_100_000)
    parser.add_argument("--national-units", type=int, default=5000)
    parser.add_argument("--national-docs", type=int, default=2_000_000)
    parser.add_argument("--national-dossiers", type=int, default=1_000_000)
    parser.add_argument("--skip-national", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        province = Path(tmp) / "province.duckdb"
        gen = generate(province, args.units, 20, args.docs, args.dossiers, 24)
        print(f"province data: {args.units} units, 24 months, {args.docs + args.dossiers:,} documents+dossiers "
              f"(generated in {gen:.1f} s)")
        engine_s, engine_cpu, unit_rows, metric_rows = time_engine(province)
        print(f"engine, province-it, every month/quarter/year/YTD: {engine_s:.2f} s wall, {engine_cpu:.2f} s CPU "
              f"({unit_rows:,} unit rows, {metric_rows:,} metric rows; target < 5 s)")
        loop_s, loop_cpu, loop_rows = pandas_row_loop(province)
        print(f"baseline, pandas row loop, 2 metrics × months only: {loop_s:.2f} s wall, {loop_cpu:.2f} s CPU "
              f"({loop_rows:,} scores)")
        ratio = loop_s / engine_s
        print(f"ratio baseline / engine: {ratio:.1f}× wall, {loop_cpu / engine_cpu:.1f}× CPU "
              "(the engine does all 30 metrics over every period)")
        national_s = None
        if not args.skip_national:
            national = Path(tmp) / "national.duckdb"
            gen = generate(national, args.national_units, args.national_units // 5, args.national_docs,
                           args.national_dossiers, 12)
            print(f"national data: {args.national_units:,} units, 12 months, "
                  f"{args.national_docs + args.national_dossiers:,} documents+dossiers (generated in {gen:.1f} s)")
            national_s, national_cpu, unit_rows, metric_rows = time_engine(national)
            print(f"engine, national: {national_s:.2f} s wall, {national_cpu:.2f} s CPU ({unit_rows:,} unit rows, "
                  f"{metric_rows:,} metric rows; target < 60 s)")
    load = os.getloadavg()[0]
    print(f"machine load average during the run: {load:.1f} on {os.cpu_count()} cores (shared machine)")
    print(json.dumps({"name": "scoring_province_24_months", "value": round(engine_s, 3), "unit": "s",
                      "cpu_s": round(engine_cpu, 3),
                      "baseline_pandas_row_loop_s": round(loop_s, 3), "ratio": round(ratio, 1),
                      "national_5000_units_s": None if national_s is None else round(national_s, 3),
                      "records": args.docs + args.dossiers, "load_average": round(load, 1)}))


if __name__ == "__main__":
    main()
