"""Open data: two sandbox provinces publish and export; the national level merges them in one DuckDB query."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from metrics.db import connect, record_registry
from metrics.engine import refresh_scores
from metrics.opendata import OpenDataError, export_open_data, national_rankings
from metrics.publication import WORKFLOW_DB_NAME, publish
from metrics.rubric import load_rubrics
from province.registry import load_registry
from tests.ops.conftest import REGISTRY, fill_data_dir

PERIOD = "2026-03"
RUBRIC = "province-it"


def second_province(tmp_path: Path) -> Path:
    """The sandbox registry re-coded as another province (H44), as a second sandbox would be configured."""
    text = REGISTRY.read_text(encoding="utf-8").replace("H27", "H44").replace("Tỉnh Bắc Ninh", "Tỉnh Phú Thọ")
    path = tmp_path / "phu-tho.toml"
    path.write_text(text.replace('name = "Sở Nội vụ"', 'name = "=HYPERLINK(\\"http://x\\")"'), encoding="utf-8")
    return path


def publish_province(data_dir: Path, registry: Path) -> None:
    province = load_registry(registry)
    con = connect(data_dir / "live.duckdb")
    try:
        record_registry(con, province.units, province.registry_hash)
        refresh_scores(con, rubric_ids=[RUBRIC], periods=[PERIOD])
        publish(con, data_dir / WORKFLOW_DB_NAME, load_rubrics()[RUBRIC], PERIOD)
    finally:
        con.close()


def test_two_provinces_merge_in_one_query(tmp_path: Path) -> None:
    bac_ninh = fill_data_dir(tmp_path / "bac-ninh")
    publish_province(bac_ninh, REGISTRY)
    phu_tho_registry = second_province(tmp_path)
    phu_tho = tmp_path / "phu-tho"
    publish_province(phu_tho, phu_tho_registry)

    first = export_open_data(bac_ninh, REGISTRY, tmp_path / "export-bn")
    second = export_open_data(phu_tho, phu_tho_registry, tmp_path / "export-pt")
    assert first.rows["rankings"] > 100 and first.rows["metric_values"] > first.rows["rankings"]

    partition = tmp_path / "export-bn" / "parquet" / "rankings" / "province=000.00.00.H27" / f"rubric={RUBRIC}"
    assert (partition / f"period={PERIOD}" / "data_0.parquet").is_file()

    con = duckdb.connect()
    rows = national_rankings(con, [tmp_path / "export-bn", tmp_path / "export-pt"]).fetchall()
    assert len(rows) == first.rows["rankings"] + second.rows["rankings"]
    by_province = {r[0]: r[1] for r in rows}
    assert by_province == {"000.00.00.H27": "Tỉnh Bắc Ninh", "000.00.00.H44": "Tỉnh Phú Thọ"}
    names = {r[4]: r[5] for r in rows}
    assert names["000.02.27.H27"] == "Sở Nội vụ"
    assert names["000.02.27.H44"] == '=HYPERLINK("http://x")'  # Parquet keeps the value as published
    published = {r[4] for r in rows if r[0] == "000.00.00.H27"}
    assert published and published <= set(load_registry(REGISTRY).codes())

    merged_metrics = con.execute(
        "SELECT province, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL ORDER BY 1",
        [[str(tmp_path / d / "parquet" / "metric_values" / "**" / "*.parquet") for d in ("export-bn", "export-pt")]],
    ).fetchall()
    assert [count for _p, count in merged_metrics] == [first.rows["metric_values"], second.rows["metric_values"]]

    csv_file = next((tmp_path / "export-pt" / "csv" / "rankings").rglob("*.csv"))
    with open(csv_file, encoding="utf-8", newline="") as handle:
        cells = {row["unit_code"]: row["unit_name"] for row in csv.DictReader(handle)}
    assert cells["000.02.27.H44"] == "'=HYPERLINK(\"http://x\")"  # the CSV cell cannot run as a formula


def test_re_export_replaces_only_this_provinces_partition(tmp_path: Path) -> None:
    bac_ninh = fill_data_dir(tmp_path / "bac-ninh")
    publish_province(bac_ninh, REGISTRY)
    shared = tmp_path / "shared"
    other = shared / "parquet" / "rankings" / "province=000.00.00.H44" / "keep.parquet"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"another province's file")
    export_open_data(bac_ninh, REGISTRY, shared)
    export_open_data(bac_ninh, REGISTRY, shared)
    assert other.read_bytes() == b"another province's file"
    assert len(list((shared / "parquet" / "rankings" / "province=000.00.00.H27").rglob("*.parquet"))) == 1
    assert not [p for p in shared.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_nothing_published_yet(tmp_path: Path) -> None:
    with pytest.raises(OpenDataError) as excinfo:
        export_open_data(tmp_path, REGISTRY, tmp_path / "out")
    assert str(excinfo.value) == f"{tmp_path / 'workflow.sqlite'}: no workflow store, so nothing has been published yet"
