"""The whole import path: CLI → validation → inbox file → the daemon's cycle write → rows in a real DuckDB file."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from importers.cli import main
from importers.errors import ImportFileError
from importers.pipeline import ImportOptions, import_files
from metrics.db import CycleBatch, connect, pending_inbox_files, write_cycle
from tests.importers.conftest import REGISTRY
from tests.importers.samples import STATS_MAPPING, edxml_package, write_stats_csv

GOOD_STATS = ["000.02.27.H27", "03/2026", 1210, 600, 500, 110, 900, 200, 650, 50, 310, 300, 10]
SELECT_DOCUMENTS = "SELECT unit_code, direction, CAST(collected_at AS VARCHAR) FROM documents ORDER BY unit_code"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([*args, "--registry", str(REGISTRY)], out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def daemon_cycle(data_dir: Path, known_units: frozenset[str]):
    """What the daemon does each cycle with the inbox: one write transaction on the live file."""
    con = connect(data_dir / "live.duckdb")
    try:
        batch = CycleBatch(cycle_id=datetime.now(UTC).isoformat(), kind="import", started_at=datetime.now(UTC))
        written = write_cycle(con, batch, data_dir=data_dir, known_units=known_units)
        return written, con.execute(SELECT_DOCUMENTS).fetchall()
    finally:
        con.close()


def test_edxml_import_lands_once_and_a_second_import_changes_nothing(tmp_path: Path, write, known_units) -> None:
    package = write("goi-tin.edxml", edxml_package())
    data_dir = tmp_path / "data"

    status, out, err = run_cli("edxml", str(package), "--data-dir", str(data_dir))
    assert (status, err) == (0, "")
    assert out.startswith("Handed 2 documents rows to the daemon:")
    written, stored = daemon_cycle(data_dir, known_units)
    assert written.records == {"documents": 2} and written.quarantined == 0
    assert [(u, d) for u, d, _ in stored] == [("000.02.27.H27", "out"), ("000.03.27.H27", "in")]

    status, out, _ = run_cli("edxml", str(package), "--data-dir", str(data_dir))
    assert status == 0 and out.startswith("Already imported")
    assert pending_inbox_files(data_dir) == []
    written_again, stored_again = daemon_cycle(data_dir, known_units)
    assert written_again.records == {} and stored_again == stored  # not even collected_at moved


def test_a_row_breaking_a_feed_rule_refuses_the_whole_file(tmp_path: Path, write, known_units) -> None:
    broken = list(GOOD_STATS)
    broken[0] = "000.03.27.H27"
    broken[2] = 601  # tong_tiep_nhan = truc_tuyen + truc_tiep_bcci + ky_truoc_chuyen_sang no longer holds
    csv = write_stats_csv(tmp_path / "bao-cao.csv", [GOOD_STATS, broken])
    options = ImportOptions(mapping=write("stats.toml", STATS_MAPPING))
    with pytest.raises(ImportFileError) as excinfo:
        import_files("export", [csv], data_dir=tmp_path / "data", known_units=known_units, options=options)
    assert str(excinfo.value) == (
        "bao-cao.csv: refused whole, nothing was imported.\n"
        "  row 4: identity broken: tong_tiep_nhan = truc_tuyen + truc_tiep_bcci + ky_truoc_chuyen_sang; "
        "identity broken: tong_tiep_nhan = da_giai_quyet + dang_giai_quyet"
    )
    assert pending_inbox_files(tmp_path / "data") == []  # the good first row did not go either


def test_cli_refusal_exits_2_with_the_message_and_writes_nothing(tmp_path: Path, write) -> None:
    status, out, err = run_cli("edxml", str(write("p.edxml", edxml_package(priority="9"))), "--data-dir",
                               str(tmp_path / "data"))
    assert status == 2 and out == ""
    assert "OtherInfo/Priority: '9' is not a priority 0–4" in err
    assert not (tmp_path / "data" / "inbox").exists()


def test_one_bad_file_among_several_refuses_all(tmp_path: Path, write, known_units) -> None:
    good = write("a.edxml", edxml_package())
    bad = write("b.edxml", "<edXML/>")
    with pytest.raises(ImportFileError, match="b.edxml: refused whole"):
        import_files("edxml", [good, bad], data_dir=tmp_path / "data", known_units=known_units)
    assert pending_inbox_files(tmp_path / "data") == []


def test_python_m_collectors_import_dispatches_to_the_importer(tmp_path: Path, write) -> None:
    package = write("goi-tin.edxml", edxml_package())
    done = subprocess.run(
        [sys.executable, "-m", "collectors", "import", "edxml", str(package), "--data-dir", str(tmp_path / "d"),
         "--registry", str(REGISTRY)],
        cwd=REGISTRY.parents[1], capture_output=True, text=True, timeout=120, check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert len(pending_inbox_files(tmp_path / "d")) == 1
