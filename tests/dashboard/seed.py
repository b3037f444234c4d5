"""A seeded snapshot for dashboard tests and the rankings benchmark.

Raw tables come from the real schema (metrics.db.connect runs the migrations); score tables carry the columns
created by metrics.engine.ensure_score_tables, filled here with known values so tests can assert exact
figures. One commune, "Xã Gia Bình", stopped reporting its one-stop system on 05/10/2026: its one-stop
metrics have no data (NULL, never 0) and it is provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from metrics.db import connect
from metrics.engine import ensure_score_tables
from metrics.rubric import load_rubrics

RUBRIC_ID = "province-it"
SILENT_UNIT = "000.00.62.H10"
SILENT_SINCE = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
SEARCH_UNIT = "000.00.01.H10"  # Sở Y tế
MONTHS = ("2026-08", "2026-09", "2026-10")
AGGREGATE_PERIODS = ("2026-Q3", "2026", "2026-YTD-10")

DEPARTMENTS = ("Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Tài chính", "Sở Nội vụ", "Sở Tư pháp",
               "Văn phòng Ủy ban nhân dân tỉnh")
COMMUNES = ("Phường Kinh Bắc", "Xã Đông Cứu", "Phường Đại Phúc", "Xã Tiên Du", "Phường Từ Sơn", "Xã Phù Đổng",
            "Xã Gia Bình")



@dataclass(frozen=True)
class SeedUnit:
    code: str
    name: str
    level: str


def sandbox_units() -> list[SeedUnit]:
    """The small province: six departments and seven communes with real Vietnamese names."""
    units = [SeedUnit(f"000.00.{i + 1:02d}.H10", name, "department") for i, name in enumerate(DEPARTMENTS)]
    units += [SeedUnit(f"000.00.{i + 56:02d}.H10", name, "commune") for i, name in enumerate(COMMUNES)]
    return units


def national_units(count: int) -> list[SeedUnit]:
    """``count`` units, a tenth of them departments, with Vietnamese names."""
    units = []
    for i in range(count):
        level = "department" if i % 10 == 0 else "commune"
        name = f"Sở Khoa học số {i}" if level == "department" else f"Xã Đồng Tiến số {i}"
        units.append(SeedUnit(f"N{i:05d}.H10", name, level))
    return units


def month_range(count: int, last: str = "2026-10") -> list[str]:
    """``count`` consecutive months ending with ``last``."""
    end = pd.Period(last, freq="M")
    return [str(end - offset) for offset in range(count - 1, -1, -1)]


def _class(index: float, bands: list[tuple[float, str]]) -> str:
    return next(label for minimum, label in bands if index >= minimum)


def build_scores(units: list[SeedUnit], periods: list[str], silent: str | None, seed: int = 7) -> dict[str, pd.DataFrame]:
    """metric_scores, unit_scores and block_scores frames with deterministic values (vectorised)."""
    rubric = load_rubrics()[RUBRIC_ID]
    bands = [(band.min_index, band.label_vi) for band in rubric.classes]
    metrics = pd.DataFrame([(m.id, m.block, m.max_points, ",".join(m.levels)) for m in rubric.metrics],
                           columns=["metric_id", "block", "max_points", "levels"])
    frame_units = pd.DataFrame([(u.code, u.level) for u in units], columns=["unit_code", "level"])
    rng = np.random.default_rng(seed)
    skill = pd.Series(rng.uniform(0.35, 0.98, len(units)), index=frame_units["unit_code"])
    grid = (frame_units.merge(pd.DataFrame({"period": periods}), how="cross").merge(metrics, how="cross"))
    grid = grid[[level in levels.split(",") for level, levels in zip(grid["level"], grid["levels"], strict=True)]]
    grid = grid.reset_index(drop=True)
    period_order = {p: i for i, p in enumerate(periods)}
    drift = grid["period"].map(period_order).to_numpy() * 0.01
    denominator = rng.integers(20, 400, len(grid)).astype(float)
    share = np.clip(grid["unit_code"].map(skill).to_numpy() + drift + rng.normal(0, 0.08, len(grid)), 0, 1)
    numerator = np.floor(denominator * share)
    value = numerator / denominator
    no_data = (grid["unit_code"] == silent).to_numpy() & grid["metric_id"].str.startswith("OS-").to_numpy()
    no_data &= grid["period"].isin(["2026-10", "2026-Q4", "2026", "2026-YTD-10"]).to_numpy()
    points = np.round(grid["max_points"].to_numpy() * value, 4)
    grid = grid.assign(
        rubric_id=RUBRIC_ID, rubric_version=rubric.version,
        numerator=np.where(no_data, np.nan, numerator), denominator=np.where(no_data, np.nan, denominator),
        value=np.where(no_data, np.nan, value), applicable=np.where(no_data, None, True),
        status=np.where(no_data, "no_data", "ok"), points=np.where(no_data, np.nan, points),
        computed_at=datetime(2026, 10, 20, 3, 0, tzinfo=UTC),
    )
    missing = np.ceil(denominator * 0.95) - numerator
    grid["gap_vi"] = np.where((missing > 0) & ~no_data, [f"cần thêm {int(n)} bản ghi đạt yêu cầu để đạt 95%"
                                                          for n in missing], None)
    grid["gap_en"] = np.where((missing > 0) & ~no_data, [f"{int(n)} more qualifying records reach 95%"
                                                          for n in missing], None)
    metric_scores = grid[["rubric_id", "rubric_version", "period", "unit_code", "metric_id", "block", "numerator",
                          "denominator", "value", "applicable", "status", "points", "max_points", "gap_vi", "gap_en",
                          "computed_at"]]

    scored = grid[~no_data]
    block_scores = (scored.groupby(["rubric_id", "rubric_version", "period", "unit_code", "block"], as_index=False)
                    .agg(points=("points", "sum"), max_points=("max_points", "sum")))
    unit_scores = (scored.groupby(["rubric_id", "rubric_version", "period", "unit_code", "level"], as_index=False)
                   .agg(points=("points", "sum"), applicable_max=("max_points", "sum")))
    unit_scores["index_pct"] = 100 * unit_scores["points"] / unit_scores["applicable_max"]
    unit_scores["rank"] = (unit_scores.assign(r=unit_scores["index_pct"].round(2))
                           .groupby(["period", "level"])["r"].rank(method="min", ascending=False).astype(int))
    previous = {p: periods[i - 1] for i, p in enumerate(periods) if i and len(p) == 7 and "Q" not in p}
    prev_rank = unit_scores.set_index(["period", "unit_code"])["rank"]
    unit_scores["rank_prev"] = [prev_rank.get((previous.get(p), u)) for p, u in
                                zip(unit_scores["period"], unit_scores["unit_code"], strict=True)]
    unit_scores["rank_prev"] = unit_scores["rank_prev"].astype("Int64")
    unit_scores["rank_change"] = unit_scores["rank_prev"] - unit_scores["rank"]
    unit_scores["class_label"] = unit_scores["index_pct"].map(lambda i: _class(i, bands))
    english = {band.label_vi: band.label_en for band in rubric.classes}
    unit_scores["class_label_en"] = unit_scores["class_label"].map(english)
    is_silent = (unit_scores["unit_code"] == silent) & unit_scores["period"].isin(["2026-10", "2026", "2026-YTD-10"])
    unit_scores["provisional"] = is_silent
    unit_scores["provisional_reason"] = np.where(is_silent, "onestop: không có dữ liệu", None)
    unit_scores["computed_at"] = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)
    return {"metric_scores": metric_scores, "unit_scores": unit_scores, "block_scores": block_scores}


def _raw_rows(units: list[SeedUnit], silent: str | None) -> dict[str, pd.DataFrame]:
    now = datetime(2026, 10, 20, 2, 0, tzinfo=UTC)
    unit_rows = pd.DataFrame({
        "unit_code": [u.code for u in units], "dvcqg_code": None, "name": [u.name for u in units],
        "level": [u.level for u in units], "parent_code": None, "headcount": 60, "is_ranked": True,
        "valid_from": date(2025, 7, 1), "valid_to": None, "predecessors": [[] for _ in units],
        "systems": [["eoffice", "onestop", "mail", "portal"] for _ in units], "registry_hash": "seed",
        "loaded_at": now,
    })
    attempts = []
    for unit in units:
        for system in ("eoffice", "onestop", "mail", "portal"):
            failing = unit.code == silent and system == "onestop"
            attempts.append((f"{unit.code}-{system}-1", "c1", unit.code, system, SILENT_SINCE, 0.21, "ok", 200, None, 40))
            attempts.append((f"{unit.code}-{system}-2", "c2", unit.code, system, now, 0.18 if not failing else 10.0,
                             "error" if failing else "ok", 503 if failing else 200,
                             "HTTP 503 Service Unavailable" if failing else None, 0 if failing else 12))
    attempt_rows = pd.DataFrame(attempts, columns=["attempt_id", "cycle_id", "unit_code", "system", "started_at",
                                                   "duration_s", "outcome", "http_status", "error", "records_read"])
    documents = pd.DataFrame([
        {"unit_code": SEARCH_UNIT, "doc_id": f"D{i}", "direction": "in", "so_ky_hieu": f"{100 + i}/UBND-VP",
         "loai_van_ban": "Công văn", "do_khan": 0, "do_mat": 0, "ngay_den": datetime(2026, 10, 1, 2, tzinfo=UTC),
         "han_xu_ly": date(2026, 10, 10), "ngay_hoan_thanh": None if i % 2 else datetime(2026, 10, 15, tzinfo=UTC),
         "trang_thai": "dang_xu_ly" if i % 2 else "hoan_thanh", "updated_at": now, "collected_at": now}
        for i in range(3)
    ])
    dossiers = pd.DataFrame([
        {"unit_code": SEARCH_UNIT, "ma_ho_so": "H44.07-261001-0001", "ma_tthc": "1.001234", "kenh": 2,
         "ngay_tiep_nhan": datetime(2026, 10, 1, 2, tzinfo=UTC), "ngay_hen_tra": datetime(2026, 10, 6, 9, tzinfo=UTC),
         "ngay_ket_thuc_xu_ly": datetime(2026, 10, 9, 9, tzinfo=UTC), "trang_thai": "da_tra_ket_qua",
         "co_phieu_xin_loi": False, "updated_at": now, "collected_at": now},
    ])
    quarantine = pd.DataFrame([{
        "quarantined_at": now, "source": "feed", "unit_code": SEARCH_UNIT, "feed": "dossiers",
        "natural_key": "H44.07-261001-0009", "reason": "ngay_ket_thuc_xu_ly: earlier than ngay_tiep_nhan",
        "payload": "{}",
    }])
    cycles = pd.DataFrame([{"cycle_id": "c2", "started_at": now, "finished_at": now + timedelta(seconds=30),
                            "kind": "poll", "records": 1000, "quarantined": 1}])
    return {"units": unit_rows, "attempts": attempt_rows, "documents": documents, "dossiers": dossiers,
            "quarantine": quarantine, "cycles": cycles}


def seed_snapshot(data_dir: Path, units: list[SeedUnit] | None = None, periods: list[str] | None = None,
                  silent: str | None = SILENT_UNIT) -> Path:
    """Write ``<data_dir>/snapshot.duckdb`` with raw and score tables; returns its path."""
    units = units if units is not None else sandbox_units()
    periods = periods if periods is not None else [*MONTHS, *AGGREGATE_PERIODS]
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "snapshot.duckdb"
    con = connect(path)
    try:
        ensure_score_tables(con)
        frames = {**_raw_rows(units, silent), **build_scores(units, periods, silent)}
        for table, frame in frames.items():
            columns = ", ".join(frame.columns)
            con.register("seed_frame", frame)
            con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM seed_frame")  # noqa: S608 (test seed)
            con.unregister("seed_frame")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path
