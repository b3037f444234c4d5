"""Open data: published (frozen) rankings and metric values as hive-partitioned Parquet and CSV.

    python -m metrics.opendata --data-dir data/runtime --registry data/province.toml --out /srv/opendata

Layout, the same in every province so the national level can merge them:

    <out>/parquet/rankings/province=<code>/rubric=<id>/period=<period>/data_0.parquet
    <out>/parquet/metric_values/province=<code>/rubric=<id>/period=<period>/data_0.parquet
    <out>/csv/rankings/…/data_0.csv        (same rows; text cells safe to open in a spreadsheet)
    <out>/csv/metric_values/…/data_0.csv

Every file also carries its partition columns, so a plain `read_parquet` works as well as a hive-partitioned
one. Merging provinces is one query over their folders side by side (see NATIONAL_RANKINGS_QUERY). Only
published rankings are exported: they are frozen, so a published figure never changes under a reader. An
export replaces only this province's partitions, atomically per dataset, so several provinces can share an
output folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from metrics.publication import WORKFLOW_DB_NAME
from province.registry import Province, RegistryError, load_registry
from workflows.safe_cells import safe_cell

FORMATS = ("parquet", "csv")
PARTITIONS = ("province", "rubric", "period")

SELECT_PUBLISHED_UNITS = """
SELECT r.rubric_id, r.rubric_version, r.period, r.published_at, r.input_hash, u.unit_code, u.level, u.points,
       u.applicable_max, u.index_pct, u.rank, u.rank_change, u.class_label, u.provisional
FROM publication_unit_scores u JOIN publication_runs r USING (publication_id)
ORDER BY r.rubric_id, r.period, r.rubric_version, u.unit_code
"""
SELECT_PUBLISHED_METRICS = """
SELECT r.rubric_id, r.rubric_version, r.period, r.published_at, m.unit_code, m.metric_id, m.block, m.numerator,
       m.denominator, m.value, m.applicable, m.status, m.points, m.max_points
FROM publication_metric_scores m JOIN publication_runs r USING (publication_id)
ORDER BY r.rubric_id, r.period, r.rubric_version, m.unit_code, m.metric_id
"""
SELECT_PUBLICATION_TABLES = "SELECT count(*) FROM sqlite_master WHERE name = 'publication_runs'"

IDENTITY = [("province", pa.string()), ("province_name", pa.string()), ("rubric", pa.string())]
RANKING_SCHEMA = pa.schema([
    *IDENTITY, ("rubric_version", pa.string()), ("period", pa.string()), ("published_at", pa.string()),
    ("input_hash", pa.string()), ("unit_code", pa.string()), ("unit_name", pa.string()), ("level", pa.string()),
    ("points", pa.float64()), ("applicable_max", pa.float64()), ("index_pct", pa.float64()), ("rank", pa.int32()),
    ("rank_change", pa.int32()), ("class_label", pa.string()), ("provisional", pa.bool_()),
])
METRIC_SCHEMA = pa.schema([
    *IDENTITY, ("rubric_version", pa.string()), ("period", pa.string()), ("published_at", pa.string()),
    ("unit_code", pa.string()), ("unit_name", pa.string()), ("metric_id", pa.string()), ("block", pa.string()),
    ("numerator", pa.float64()), ("denominator", pa.float64()), ("value", pa.float64()), ("applicable", pa.bool_()),
    ("status", pa.string()), ("points", pa.float64()), ("max_points", pa.float64()),
])
DATASETS = {"rankings": (SELECT_PUBLISHED_UNITS, RANKING_SCHEMA), "metric_values": (SELECT_PUBLISHED_METRICS, METRIC_SCHEMA)}

# Partition columns stay in the files and the folder names say the same, so both reads agree.
COPY_TEMPLATE = "COPY __rows TO {target} (FORMAT {fmt}, {header}PARTITION_BY (province, rubric, period), WRITE_PARTITION_COLUMNS true)"

NATIONAL_RANKINGS_QUERY = """
SELECT province, province_name, rubric, period, unit_code, unit_name, level, index_pct, rank, class_label
FROM read_parquet(?, hive_partitioning = true, union_by_name = true)
ORDER BY province, rubric, period, level, rank, unit_code
"""


class OpenDataError(Exception):
    """An export that did not happen; the message names the file. Earlier exports are unchanged."""


@dataclass(frozen=True)
class OpenDataReport:
    out: Path
    rows: dict[str, int]


def _read_published(workflow_db: Path, province: Province) -> dict[str, pa.Table]:
    if not workflow_db.is_file():
        raise OpenDataError(f"{workflow_db}: no workflow store, so nothing has been published yet")
    names = {u.code: u.name for u in province.units}
    con = sqlite3.connect(f"file:{workflow_db}?mode=ro", uri=True)
    try:
        if not con.execute(SELECT_PUBLICATION_TABLES).fetchone()[0]:
            raise OpenDataError(f"{workflow_db}: no ranking has been published yet; publish a period first")
        tables = {}
        for dataset, (sql, schema) in DATASETS.items():
            cursor = con.execute(sql)
            columns = [c[0] for c in cursor.description]
            rows = []
            for values in cursor.fetchall():
                row = dict(zip(columns, values, strict=True))
                row["rubric"] = row.pop("rubric_id")
                row.update(province=province.code, province_name=province.name, unit_name=names.get(row["unit_code"]))
                for flag in ("provisional", "applicable"):
                    if row.get(flag) is not None:
                        row[flag] = bool(row[flag])
                rows.append(row)
            tables[dataset] = pa.Table.from_pylist(rows, schema=schema)
    except sqlite3.Error as exc:
        raise OpenDataError(f"{workflow_db}: cannot read the published rankings ({exc})") from None
    finally:
        con.close()
    return tables


def _spreadsheet_safe(table: pa.Table) -> pa.Table:
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_string(field.type):
            column = pa.array([safe_cell(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write(table: pa.Table, target: Path, fmt: str) -> None:
    con = duckdb.connect()
    try:
        con.register("__rows", table if fmt == "parquet" else _spreadsheet_safe(table))
        header = "HEADER, " if fmt == "csv" else ""
        con.execute(COPY_TEMPLATE.format(target=_quote(str(target)), fmt=fmt, header=header))
    finally:
        con.close()


def _swap_in(staged: Path, final: Path) -> None:
    """Replace one province's partition folder: rename the old aside, rename the new in, then delete the old."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    os.replace(staged, final)
    shutil.rmtree(old, ignore_errors=True)


def export_open_data(data_dir: Path, registry: Path, out: Path) -> OpenDataReport:
    """Export this province's published rankings and metric values under `out` (Parquet and CSV)."""
    data_dir, out = Path(data_dir), Path(out)
    try:
        province = load_registry(registry)
    except RegistryError as exc:
        raise OpenDataError(str(exc)) from None
    tables = _read_published(data_dir / WORKFLOW_DB_NAME, province)
    partition = f"province={province.code}"
    staging = out / f".staging-{uuid.uuid4().hex[:8]}"
    try:
        for dataset, table in tables.items():
            for fmt in FORMATS:
                target = staging / fmt / dataset
                target.mkdir(parents=True)
                if table.num_rows:
                    _write(table, target, fmt)
                else:
                    (target / partition).mkdir()
        for dataset in tables:
            for fmt in FORMATS:
                _swap_in(staging / fmt / dataset / partition, out / fmt / dataset / partition)
    except (OSError, duckdb.Error) as exc:
        raise OpenDataError(f"open-data export to {out} failed: {exc}. Earlier exports are unchanged.") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return OpenDataReport(out, {dataset: table.num_rows for dataset, table in tables.items()})


def national_rankings(con: duckdb.DuckDBPyConnection, export_roots: list[Path]):
    """The national level's one query over several provinces' export folders (returns a DuckDB relation)."""
    globs = [str(Path(root) / "parquet" / "rankings" / "**" / "*.parquet") for root in export_roots]
    return con.execute(NATIONAL_RANKINGS_QUERY, [globs])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metrics.opendata", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data/runtime"))
    parser.add_argument("--registry", type=Path, default=Path("data/province.toml"))
    parser.add_argument("--out", type=Path, required=True, help="the open-data folder (shared folders are fine)")
    args = parser.parse_args(argv)
    try:
        report = export_open_data(args.data_dir, args.registry, args.out)
    except OpenDataError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"Open data written to {report.out}: " + ", ".join(f"{k} {v} rows" for k, v in report.rows.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
