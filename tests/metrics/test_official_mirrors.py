"""The qd766 and dti-2022 rubrics reproduce published official figures from their inputs.

Sources:
- Decision 766, Phú Thọ (H44), timeType=year 2026: scoring-spec §6.1, from GitHub ChippedTopaz/qd766
  tests/fixtures (DVCQG reporting API captures), published ratio % and scores.
- Decision 766, Quảng Nam 2024: scoring-spec §4.2 (quangnam.gov.vn, S6): 13.2 + 18.4 + 7.7 + 7.6 + 17.6 + 15.6 = 80.1, "Tốt".
- DTI 2022: https://dti.gov.vn/xep-hang-2022 ("Xếp hạng chi tiết": the eight main indices and PDTI of the
  top five provinces); ties per scoring-spec §6 (Thanh Hóa and Yên Bái both 15th, Hậu Giang 17th).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from metrics.__main__ import main, read_counts_csv
from metrics.engine import score_counts
from metrics.rubric import load_rubrics

RUBRICS = load_rubrics()

# (unit_code, level, totalReceived, totalOnTime, published ratio %, published score)
PHU_THO_TIMELINESS = [
    ("H44", "province", 597918, 528684, 88.42, 17.68),
    ("H44.01", "department", 161, 156, 96.89, 19.38),
    ("H44.03", "department", 1840, 1689, 91.79, 18.36),
    ("H44.07", "department", 2270, 1652, 72.78, 14.56),
    ("H44.08", "department", 1120, 758, 67.68, 13.54),
    ("H44.13", "department", 5, 3, 60.00, 12.00),
    ("H44.19", "department", 150, 146, 97.33, 19.47),
    ("H44.20", "department", 371, 364, 98.11, 19.62),
    ("H44.22", "department", 4593, 4001, 87.11, 17.42),
    ("H44.23", "department", 0, 0, 0.0, 0.0),
]
# (unit, A num/den, B num/den, C num/den, published payment score); B and C share the denominator
PHU_THO_PAYMENT = [
    ("H44", (309542, 358625), (119, 313), (68, 313), 6.67),
    ("H44.03", (18, 18), (2, 3), (0, 3), 7.67),
    ("H44.07", (118, 118), (12, 13), (0, 13), 8.00),
]
PHU_THO_PUBLICATION = {  # province, year: PUBLISH_ON_TIME, PUBLIC_UPDATE_ON_TIME, PUBLIC_CONTENT_FULL, DOSSIER_SYNC
    "q_publish_on_time": 0, "q_publish_total": 89, "q_update_on_time": 0, "q_update_total": 70,
    "q_content_full": 87, "q_content_total": 89, "os_synced": 475053, "os_received_new": 475053,
}

DTI_2022 = [  # province, NT, TC, HT, NL, ATTT, CQS, KTS, XHS, published PDTI, published rank
    ("TP. Đà Nẵng", 1.0000, 0.9000, 0.8253, 0.8487, 0.7578, 0.8575, 0.7836, 0.5197, 0.8002, 1),
    ("TP. Hồ Chí Minh", 0.8917, 0.9000, 0.8258, 0.6267, 0.5580, 0.8406, 0.7611, 0.3590, 0.7163, 2),
    ("Quảng Ninh", 0.9581, 0.9000, 0.7648, 0.6250, 0.5382, 0.8385, 0.5904, 0.4505, 0.7024, 3),
    ("Thừa Thiên - Huế", 0.9500, 0.9000, 0.6823, 0.6794, 0.6423, 0.8262, 0.6787, 0.3001, 0.6975, 4),
    ("TP. Cần Thơ", 0.9000, 0.8000, 0.7233, 0.7376, 0.7226, 0.7325, 0.7556, 0.2947, 0.6924, 5),
]
DTI_NAMES = ["dti_nhan_thuc", "dti_the_che", "dti_ha_tang", "dti_nhan_luc", "dti_attt", "dti_cqs", "dti_kts", "dti_xhs"]


def _write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["unit_code", "unit_name", "level", "period", "name", "value"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def phu_tho_csv(tmp_path: Path) -> Path:
    rows: list[dict[str, object]] = []
    for code, level, received, on_time, _pct, _score in PHU_THO_TIMELINESS:
        for name, value in (("os_total_received", received), ("os_total_on_time", on_time)):
            rows.append({"unit_code": code, "level": level, "period": "2026", "name": name, "value": value})
    for code, a, b, c, _score in PHU_THO_PAYMENT:
        level = "province" if code == "H44" else "department"
        for name, value in (("os_paid_online", a[0]), ("os_fee", a[1]), ("os_fee_tthc_paid_online", b[0]),
                            ("os_tthc_fee", b[1]), ("os_fee_tthc_with_dossiers", c[0])):
            rows.append({"unit_code": code, "level": level, "period": "2026", "name": name, "value": value})
    for name, value in PHU_THO_PUBLICATION.items():
        rows.append({"unit_code": "H44", "unit_name": "Tỉnh Phú Thọ", "level": "province", "period": "2026",
                     "name": name, "value": value})
    return _write_csv(tmp_path / "phu_tho_2026.csv", rows)


def _score_csv(path: Path, rubric_id: str, period: str) -> pd.DataFrame:
    counts, units = read_counts_csv(path)
    units = units.assign(period=period)
    return score_counts(RUBRICS[rubric_id], counts, units, [period]).metrics


def test_qd766_timeliness_reproduces_phu_tho_to_two_decimals(phu_tho_csv: Path) -> None:
    metrics = _score_csv(phu_tho_csv, "qd766", "2026").set_index(["unit_code", "metric_id"])
    for code, _level, _received, _on_time, pct, score in PHU_THO_TIMELINESS:
        row = metrics.loc[(code, "2.1")]
        assert round(row["points"], 2) == score, code
        ratio_pct = 0.0 if pd.isna(row["value"]) else 100 * row["value"]
        assert round(ratio_pct, 2) == pct, code


def test_qd766_zero_over_zero_scores_zero_like_dvcqg(phu_tho_csv: Path) -> None:
    row = _score_csv(phu_tho_csv, "qd766", "2026").set_index(["unit_code", "metric_id"]).loc[("H44.23", "2.1")]
    assert row["status"] == "ok" and row["applicable"] and row["points"] == 0.0
    assert row["denominator"] == 0 and pd.isna(row["value"])


def test_qd766_payment_reproduces_phu_tho_with_the_cap(phu_tho_csv: Path) -> None:
    metrics = _score_csv(phu_tho_csv, "qd766", "2026").set_index(["unit_code", "metric_id"])
    for code, _a, _b, _c, score in PHU_THO_PAYMENT:
        assert round(metrics.loc[(code, "3P"), "points"], 2) == score, code
    # H44.07: 6·1 + min(2, 2.5·12/13 = 2.31) + 0 = 8 — without the term cap it would be 8.31
    assert metrics.loc[("H44.07", "3P"), "points"] == pytest.approx(8.0)


def test_qd766_transparency_group_of_phu_tho_is_7_96_and_children_inherit_it(phu_tho_csv: Path) -> None:
    counts, units = read_counts_csv(phu_tho_csv)
    scores = score_counts(RUBRICS["qd766"], counts, units.assign(period="2026"), ["2026"])
    blocks = scores.blocks.set_index(["unit_code", "block"])
    assert round(blocks.loc[("H44", "G1"), "points"], 2) == 7.96
    metrics = scores.metrics.set_index(["unit_code", "metric_id"])
    assert round(metrics.loc[("H44", "1.3"), "points"], 2) == 1.96
    assert metrics.loc[("H44.07", "1.3"), "points"] == metrics.loc[("H44", "1.3"), "points"]
    assert metrics.loc[("H44.07", "1.1"), "denominator"] == 89


def test_qd766_cli_scores_the_counts_file(phu_tho_csv: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "metrics", "score", "--rubric", "qd766", "--counts", str(phu_tho_csv),
         "--period", "2026", "--format", "json"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
    )
    rows = {r["unit_code"]: r for r in json.loads(done.stdout)}
    assert rows["H44"]["name"] == "Tỉnh Phú Thọ"
    assert rows["H44"]["provisional"] is True  # the digitisation and satisfaction counts were not given
    assert rows["H44.01"]["rank"] is not None


def _quang_nam_counts() -> list[tuple[str, float]]:
    return [
        # G1 13.2 = 6·1 + 4·0.45 + 2·0.45 + 6·48/64
        ("q_publish_on_time", 10), ("q_publish_total", 10), ("q_update_on_time", 9), ("q_update_total", 20),
        ("q_content_full", 9), ("q_content_total", 20), ("os_synced", 48), ("os_received_new", 64),
        # G2 18.4 = 20 · 92/100
        ("os_total_on_time", 92), ("os_total_received", 100),
        # G3 7.7 = min(2, 2·0.8/0.8) + 4·(24/80) + min(6, 6·(24/64)/0.5)
        ("os_tthc_online", 80), ("os_tthc_total", 100), ("os_online", 24),
        # G3' 7.6 = 6·1 + min(2, 2.5·0.4) + 2.5·0.24
        ("os_paid_online", 50), ("os_fee", 50), ("os_fee_tthc_paid_online", 10), ("os_tthc_fee", 25),
        ("os_fee_tthc_with_dossiers", 6),
        # G4 15.6 = 6 + 4 + 2 + 2 + 4·0.4 + 0 + 0
        ("os_e_result", 40), ("os_resolved", 40), ("os_digitised", 32), ("q_certified_copy_e", 8),
        ("q_certified_copy_total", 10), ("q_reused", 4), ("q_reusable", 5), ("q_personal_storage_synced", 2),
        ("q_personal_storage_total", 5), ("q_citizen_data_dossiers", 0), ("q_citizen_data_dossier_total", 5),
        ("q_citizen_data_tthc", 0), ("q_citizen_data_tthc_total", 5),
        # G5 17.6 = 6 (no feedback → full) + 6 (no ratings → full) + min(6, 6·0.84/0.9)
        ("pakn_done_on_time", 0), ("pakn_done_late", 0), ("pakn_open_in_time", 0), ("pakn_open_overdue", 0),
        ("q_pakn_satisfied", 0), ("q_pakn_rated", 0), ("os_satisfied", 84), ("os_rated", 100),
    ]


def test_qd766_six_groups_of_quang_nam_sum_to_80_1_and_class_tot() -> None:
    counts = pd.DataFrame([("QNM", "2024", n, v) for n, v in _quang_nam_counts()],
                          columns=["unit_code", "period", "name", "value"])
    units = pd.DataFrame([{"unit_code": "QNM", "period": "2024", "level": "province", "is_ranked": True}])
    scores = score_counts(RUBRICS["qd766"], counts, units, ["2024"])
    blocks = scores.blocks.set_index("block")["points"].round(2).to_dict()
    assert blocks == {"G1": 13.2, "G2": 18.4, "G3": 7.7, "G3P": 7.6, "G4": 15.6, "G5": 17.6}
    maxima = {b.id: b.max_points for b in RUBRICS["qd766"].blocks}
    assert maxima == {"G1": 18, "G2": 20, "G3": 12, "G3P": 10, "G4": 22, "G5": 18}
    unit = scores.units.iloc[0]
    assert round(unit["points"], 2) == 80.1 and unit["applicable_max"] == 100
    assert round(unit["index_pct"], 2) == 80.1 and unit["class_label"] == "Tốt" and not unit["provisional"]


def _dti_frame(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts = pd.DataFrame(
        [(r[0], "2022", name, value) for r in rows for name, value in zip(DTI_NAMES, r[1:9], strict=True)],
        columns=["unit_code", "period", "name", "value"])
    units = pd.DataFrame([{"unit_code": r[0], "period": "2022", "level": "province", "is_ranked": True} for r in rows])
    return counts, units


def test_dti_2022_reproduces_published_pdti_to_four_decimals_and_ranks() -> None:
    counts, units = _dti_frame(DTI_2022)
    scores = score_counts(RUBRICS["dti-2022"], counts, units, ["2022"]).units.set_index("unit_code")
    for province, *_indices, pdti, rank in DTI_2022:
        computed = scores.loc[province, "index_value"]
        # The eight indices are published rounded to 4 decimals, and so is PDTI: |computed − published| ≤ 1e-4.
        assert abs(computed - pdti) <= 1e-4, province
        if province != "TP. Hồ Chí Minh":  # 0.716355 from the rounded indices; published 0.7163
            assert round(computed, 4) == pdti, province
        assert scores.loc[province, "rank"] == rank, province
        assert scores.loc[province, "applicable_max"] == 1000


def test_dti_2022_ties_share_a_rank_and_skip_the_next() -> None:
    # Two provinces whose PDTI differ only beyond the 4th decimal share a rank, the next is skipped (1-2-2-4),
    # like Thanh Hóa and Yên Bái (both 15th) before Hậu Giang (17th) in the published table.
    rows = [
        ("A", 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9),           # 0.9000
        ("B", 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.70002),       # 0.700003 → 0.7000
        ("C", 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.70001, 0.7),       # 0.7000015 → 0.7000
        ("D", 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6),           # 0.6000
    ]
    counts, units = _dti_frame(rows)
    ranks = score_counts(RUBRICS["dti-2022"], counts, units, ["2022"]).units.set_index("unit_code")["rank"]
    assert ranks.to_dict() == {"A": 1, "B": 2, "C": 2, "D": 4}


def test_cli_reports_a_bad_counts_file_with_file_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_code,period,name,value\nH44,2026,os_fee,12\nH44,2026-13,os_fee,3\n", encoding="utf-8")
    assert main(["score", "--rubric", "qd766", "--counts", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv line 3" in err and "column period" in err and "2026-13" in err
    bad.write_text("unit_code,period,name,value\nH44,2026,os_fee,abc\n", encoding="utf-8")
    assert main(["score", "--rubric", "qd766", "--counts", str(bad)]) == 2
    assert "line 2: column value: 'abc' is not a number" in capsys.readouterr().err


def test_cli_csv_output_is_safe_against_formula_injection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = tmp_path / "inject.csv"
    counts.write_text("unit_code,unit_name,level,period,name,value\n"
                      "H44.23,=HYPERLINK(\"http://x\"),department,2026,os_total_received,0\n", encoding="utf-8")
    assert main(["score", "--rubric", "qd766", "--counts", str(counts), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out and ",=HYPERLINK" not in out
