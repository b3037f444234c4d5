"""explain matches the stored metric_scores row; publish freezes a ranking; the CLI works on a real DuckDB file."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.__main__ import main
from metrics.counts import combine, raw_counts
from metrics.engine import UNITS_FOR_PERIODS, refresh_scores
from metrics.explain import explain_metric
from metrics.periods import Period
from metrics.publication import PublicationError, compare_versions, publish, published_ranking
from metrics.rubric import load_rubric, load_rubrics
from tests.metrics.hand_province import C1, D1, D2, NOW, SELF_REPORTS, build

REPO = Path(__file__).resolve().parents[2]
RUBRICS = load_rubrics()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("explain")) / "snapshot.duckdb"
    con = build(path)
    refresh_scores(con, ["province-it", "qd766"], clock=lambda: NOW, self_reports=SELF_REPORTS)
    con.close()
    return path


def _stored(db: Path, unit: str, metric: str, period: str) -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM metric_scores WHERE rubric_id = 'province-it' AND unit_code = ? "
                           "AND metric_id = ? AND period = ?", [unit, metric, period]).df().iloc[0].to_dict()
    finally:
        con.close()


def _explain(db: Path, unit: str, metric: str, period: str):  # noqa: ANN202
    con = duckdb.connect(str(db), read_only=True)
    try:
        span = Period.parse(period)
        counts, _ = raw_counts(con, [span, span.previous()], today=NOW.date())
        units = con.execute(UNITS_FOR_PERIODS).df()
    finally:
        con.close()
    reports = pd.DataFrame([(u, period, n, v) for u, _p, n, v in SELF_REPORTS],
                           columns=["unit_code", "period", "name", "value"])
    counts = combine(counts, reports)
    return explain_metric(RUBRICS["province-it"], counts, units, unit, metric, period)


@pytest.mark.parametrize(("unit", "metric"), [(D1, "EO-01"), (D1, "EO-06"), (D1, "ML-03"), (D2, "ML-03"),
                                              (D1, "PT-01"), (D1, "SR-01"), (D2, "PT-02"), (C1, "OS-07")])
def test_explain_matches_the_stored_row_the_dashboard_shows(db: Path, unit: str, metric: str) -> None:
    stored = _stored(db, unit, metric, "2026-04")
    explanation = _explain(db, unit, metric, "2026-04")
    for key in ("numerator", "denominator", "value", "points", "status", "gap_vi", "gap_en"):
        want, got = stored[key], explanation.row[key]
        if pd.isna(want):
            assert pd.isna(got), key
        elif isinstance(want, float):
            assert got == pytest.approx(want, abs=1e-12), key
        else:
            assert got == want, key
    text = explanation.text()
    assert f"points {_fmt(stored['points'])}" in text
    assert metric in text and unit in text


def _fmt(points: object) -> str:
    if pd.isna(points):
        return "NULL (no data)"
    value = float(points)  # type: ignore[arg-type]
    return f"{value:.0f}" if value.is_integer() else f"{value:.6f}".rstrip("0")


def test_explain_spells_out_counts_and_arithmetic(db: Path) -> None:
    text = _explain(db, D1, "EO-01", "2026-04").text()
    assert "eo_out_signed = 5" in text and "eo_out_total = 6" in text
    assert "Value = numerator ÷ denominator = 0.833333" in text
    assert "linear_target (target 0.95): points = 6 × min(1, 0.833333 / 0.95) = 5.263158" in text
    assert "cần thêm 1 văn bản đi được ký số để đạt 95%" in text
    assert "NULL (no data)" in _explain(db, D2, "PT-02", "2026-04").text()


def test_cli_explain_on_the_database(db: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "metrics", "explain", D1, "EO-03", "--period", "2026-04",
                           "--rubric", "province-it", "--db", str(db)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "eo_out_issued_on_time = 3" in done.stdout and "points 0 of 3" in done.stdout


def test_cli_score_on_the_database_as_csv(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "self_reports.csv"
    pd.DataFrame(SELF_REPORTS, columns=["unit_code", "period", "name", "value"]).to_csv(reports, index=False)
    argv = ["score", "--rubric", "province-it", "--db", str(db), "--period", "2026-04", "--format", "csv"]
    assert main([*argv, "--self-reports", str(reports)]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("unit_code")
    assert set(frame.index) == {D1, D2, C1}
    assert frame.loc[D2, "rank"] == 1 and frame.loc[D1, "rank"] == 2
    assert main(argv) == 0  # without the self-reports block E has no data: D2 falls below 60 applicable points
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("unit_code")
    assert pd.isna(frame.loc[D2, "rank"]) and frame.loc[D2, "provisional"]


def test_publish_freezes_and_keeps_versions_apart(db: Path, tmp_path: Path) -> None:
    workflow = tmp_path / "workflow.sqlite"
    rubric = RUBRICS["province-it"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        first = publish(con, workflow, rubric, "2026-04", clock=lambda: NOW, published_by="it_admin")
        with pytest.raises(PublicationError, match="already published"):
            publish(con, workflow, rubric, "2026-04", clock=lambda: NOW)
    finally:
        con.close()
    assert first.units == 3 and len(first.input_hash) == 64
    frozen = published_ranking(workflow, "province-it", "2026-04")
    assert frozen.set_index("unit_code").loc[D2, "rank"] == 1
    raw = sqlite3.connect(workflow)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(sqlite3.DatabaseError, match="frozen"):
        raw.execute("UPDATE publication_unit_scores SET rank = 9")
    with pytest.raises(sqlite3.DatabaseError, match="frozen"):
        raw.execute("DELETE FROM publication_runs")
    raw.close()

    # later data: the live scores change, the publication does not
    live = duckdb.connect(str(db))
    try:
        live.execute("UPDATE unit_scores SET rank = 3 WHERE unit_code = ? AND period = '2026-04'", [D2])
        # re-scoring under a new rubric version is published beside the old one
        text = Path(rubric.source_path).read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2026.2"')
        text = text.replace("target = 0.95\n", "target = 0.80\n", 1)
        new_path = tmp_path / "province-it-2026.2.toml"
        new_path.write_text(text, encoding="utf-8")
        newer = load_rubric(new_path)
        refresh_scores(live, ["province-it"], ["2026-04"], clock=lambda: NOW, self_reports=SELF_REPORTS,
                       rubrics={"province-it": newer})
        publish(live, workflow, newer, "2026-04", clock=lambda: NOW)
    finally:
        live.close()
    again = published_ranking(workflow, "province-it", "2026-04", "2026.1").set_index("unit_code")
    assert again.loc[D2, "rank"] == 1
    side = compare_versions(workflow, "province-it", "2026-04", "2026.1", "2026.2").set_index("unit_code")
    assert side.loc[D1, "index_change"] > 0  # EO-01 target lowered from 95 % to 80 %
    assert side.loc[D2, "index_change"] == pytest.approx(0)
