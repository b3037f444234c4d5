"""The storage path on a real DuckDB file: migrations, upsert by natural key, one-transaction cycles, inbox,
snapshot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.validation import validate
from metrics import db
from metrics.schema import MIGRATIONS, RAW_TABLE_KEYS

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
UNITS = frozenset({"000.00.31.H10", "000.00.32.H10"})


def dossier(code: str, updated: str, status: str = "dang_xu_ly", unit: str = "000.00.31.H10") -> dict:
    return {"unit_code": unit, "ma_ho_so": code, "kenh": 2, "ngay_tiep_nhan": "2026-03-02T08:15:00+07:00",
            "trang_thai": status, "updated_at": updated}


def store(con: duckdb.DuckDBPyConnection, records: list[dict], cycle_id: str = "c1") -> db.CycleWritten:
    good, bad = validate("dossiers", records, UNITS)
    batch = db.CycleBatch(cycle_id, "poll", NOW, records={"dossiers": [good]}, quarantined=[bad])
    return db.write_cycle(con, batch)


def test_migrations_are_recorded_and_applied_once(data_dir: Path) -> None:
    con = db.connect(data_dir / "live.duckdb")
    applied = con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    assert applied == [(name,) for name, _ in MIGRATIONS]
    assert db.migrate(con) == []
    con.close()


def test_the_keyless_migration_keeps_stored_rows_and_their_constraints(data_dir: Path) -> None:
    """A database created before 0002 (keyed raw tables) keeps every row and NOT NULL rule after it."""
    path = data_dir / "live.duckdb"
    con = db.connect(path, migrations=MIGRATIONS[:1])
    store(con, [dossier("H1", "2026-03-02T08:15:00+07:00"), dossier("H2", "2026-03-03T08:15:00+07:00")])
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                       "AND table_name = 'dossiers'").fetchone() == (1,)
    con.close()
    con = db.connect(path)
    assert con.execute("SELECT ma_ho_so FROM dossiers ORDER BY ma_ho_so").fetchall() == [("H1",), ("H2",)]
    keyed = con.execute("SELECT DISTINCT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'")
    assert not {t for (t,) in keyed.fetchall()} & set(RAW_TABLE_KEYS)
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed: dossiers.ma_ho_so"):
        con.execute("INSERT INTO dossiers (unit_code, ma_ho_so, ngay_tiep_nhan, updated_at, collected_at) "
                    "VALUES ('000.00.31.H10', NULL, now(), now(), now())")
    store(con, [dossier("H1", "2026-03-09T08:15:00+07:00", "da_tra_ket_qua")], "c2")
    assert con.execute("SELECT trang_thai FROM dossiers WHERE ma_ho_so = 'H1'").fetchall() == [("da_tra_ket_qua",)]
    assert db.duplicate_keys(con) == dict.fromkeys(RAW_TABLE_KEYS, 0)
    con.close()


VERSIONS = [f"2026-03-0{day}T08:00:00+07:00" for day in range(1, 6)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.tuples(st.sampled_from(["H1", "H2", "H3", "H4"]), st.sampled_from(VERSIONS),
                                           st.sampled_from(["dang_xu_ly", "da_tra_ket_qua", "cho_bo_sung"])),
                                 min_size=1, max_size=6), min_size=1, max_size=5))
def test_every_key_holds_its_latest_version_once_whatever_the_batches(
    data_dir: Path, batches: list[list[tuple[str, str, str]]]
) -> None:
    """Model: per key the greatest (updated_at, batch, position) wins, and each key is stored exactly once."""
    path = data_dir / f"prop-{uuid.uuid4().hex}.duckdb"
    con = db.connect(path)
    expected: dict[str, tuple[tuple[datetime, int, int], str]] = {}
    for b, batch in enumerate(batches):
        store(con, [dossier(code, version, status) for code, version, status in batch], f"c{b}")
        for pos, (code, version, status) in enumerate(batch):
            rank = (datetime.fromisoformat(version), b, pos)
            if code not in expected or rank >= expected[code][0]:
                expected[code] = (rank, status)
    stored = con.execute("SELECT ma_ho_so, trang_thai FROM dossiers ORDER BY ma_ho_so").fetchall()
    assert stored == sorted((code, status) for code, (_, status) in expected.items())
    con.close()
    path.unlink()


def test_a_failing_migration_names_itself_and_leaves_nothing_behind(data_dir: Path) -> None:
    bad = [*MIGRATIONS, ("0099_broken", "CREATE TABLE half (a INT); CREATE TABLE half (a INT);")]
    with pytest.raises(db.StorageError, match="migration 0099_broken failed"):
        db.connect(data_dir / "live.duckdb", migrations=bad)
    con = db.connect(data_dir / "live.duckdb")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half'").fetchone() == (0,)
    con.close()


def test_later_version_replaces_earlier_and_never_the_reverse(live_db: duckdb.DuckDBPyConnection) -> None:
    store(live_db, [dossier("H1", "2026-03-02T08:15:00+07:00")])
    store(live_db, [dossier("H1", "2026-03-05T08:15:00+07:00", "da_tra_ket_qua")], "c2")
    store(live_db, [dossier("H1", "2026-03-03T08:15:00+07:00", "cho_bo_sung")], "c3")
    rows = live_db.execute("SELECT ma_ho_so, trang_thai FROM dossiers").fetchall()
    assert rows == [("H1", "da_tra_ket_qua")]


def test_duplicates_within_one_batch_keep_the_latest_version(live_db: duckdb.DuckDBPyConnection) -> None:
    written = store(live_db, [dossier("H1", "2026-03-04T08:00:00+07:00", "da_tra_ket_qua"),
                              dossier("H1", "2026-03-02T08:00:00+07:00"),
                              dossier("H2", "2026-03-02T08:00:00+07:00")])
    assert written.records == {"dossiers": 2}
    assert live_db.execute("SELECT trang_thai FROM dossiers WHERE ma_ho_so = 'H1'").fetchone() == ("da_tra_ket_qua",)


@pytest.mark.parametrize(("record", "reason"), [
    pytest.param({"so_lan_bo_sung": -1}, "so_lan_bo_sung: negative count", id="negative-count"),
    pytest.param({"ngay_tra_ket_qua": "2026-03-01T08:00:00+07:00"},
                 "ngay_tra_ket_qua: before ngay_tiep_nhan (end before start)", id="end-before-start"),
    pytest.param({"unit_code": "999.99.99.H99"}, "unit_code: unknown unit", id="unknown-unit"),
    pytest.param({"kenh": "hai"}, "kenh: 'hai' is not an integer (TINYINT)", id="not-an-integer"),
    pytest.param({"kenh": 2.5}, "kenh: '2.5' is not an integer (TINYINT)", id="fraction-is-not-rounded"),
    pytest.param({"co_phieu_xin_loi": 0}, "co_phieu_xin_loi: '0' is not a boolean (true/false)", id="zero-is-not-false"),
    pytest.param({"updated_at": None}, "updated_at: missing (required)", id="missing-version"),
    pytest.param({"danh_gia_hai_long": 6}, "danh_gia_hai_long: must be between 1 and 5", id="rating-out-of-range"),
])
def test_impossible_values_are_quarantined_with_the_field_and_rule(
    live_db: duckdb.DuckDBPyConnection, record: dict, reason: str
) -> None:
    written = store(live_db, [dossier("OK", "2026-03-02T08:15:00+07:00"),
                              {**dossier("BAD", "2026-03-02T08:15:00+07:00"), **record}])
    assert written.records == {"dossiers": 1} and written.quarantined == 1
    stored = live_db.execute("SELECT feed, natural_key, reason, payload FROM quarantine").fetchall()
    assert len(stored) == 1
    feed, key, stored_reason, payload = stored[0]
    assert (feed, stored_reason) == ("dossiers", reason)
    assert key.endswith("|BAD") and '"ma_ho_so": "BAD"' in payload


def test_stats_identity_break_names_the_identity() -> None:
    row = {"unit_code": "000.00.31.H10", "month": "2026-03-01", "tong_tiep_nhan": 10, "truc_tuyen": 6,
           "truc_tiep_bcci": 3, "ky_truoc_chuyen_sang": 1, "da_giai_quyet": 7, "truoc_han": 3, "dung_han": 3,
           "qua_han": 1, "dang_giai_quyet": 3, "dang_trong_han": 2, "dang_qua_han": 1}
    good, bad = validate("onestop_stats", [row, {**row, "unit_code": "000.00.32.H10", "truc_tuyen": 5}], UNITS)
    assert good.num_rows == 1
    assert bad.column("reason").to_pylist() == [
        "identity broken: tong_tiep_nhan = truc_tuyen + truc_tiep_bcci + ky_truoc_chuyen_sang"]


def test_null_is_kept_as_null_never_zero(live_db: duckdb.DuckDBPyConnection) -> None:
    store(live_db, [{**dossier("H1", "2026-03-02T08:15:00+07:00"), "danh_gia_hai_long": None}])
    assert live_db.execute("SELECT danh_gia_hai_long, so_lan_bo_sung FROM dossiers").fetchone() == (None, None)


def test_a_failed_cycle_write_leaves_nothing(live_db: duckdb.DuckDBPyConnection) -> None:
    good, _ = validate("dossiers", [dossier("H1", "2026-03-02T08:15:00+07:00")], UNITS)
    attempt = {"attempt_id": "a1", "cycle_id": "c1", "unit_code": "000.00.31.H10", "system": "onestop",
               "started_at": NOW, "duration_s": 0.1, "outcome": "ok", "http_status": 200, "error": None,
               "records_read": 1}
    broken = pa.table({"unit_code": ["000.00.31.H10"]})  # no natural key: the upsert must fail
    batch = db.CycleBatch("c1", "poll", NOW, attempts=[attempt], records={"dossiers": [good], "feedback": [broken]})
    with pytest.raises(duckdb.Error):
        db.write_cycle(live_db, batch)
    for table in ("attempts", "dossiers", "cycles"):
        assert live_db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608


def test_inbox_file_is_ingested_exactly_once_with_its_bad_rows_quarantined(
    data_dir: Path, live_db: duckdb.DuckDBPyConnection
) -> None:
    rows = pa.Table.from_pylist([{**dossier("H1", "2026-03-02T08:15:00+07:00"), "so_lan_bo_sung": 0},
                                 {**dossier("H2", "2026-03-02T08:15:00+07:00"), "so_lan_bo_sung": -2}])
    path = db.write_inbox_file(data_dir, "dossiers", rows, "vendor export.xlsx")
    assert path.parent == data_dir / "inbox" and "vendor_export.xlsx" in path.name
    first = db.write_cycle(live_db, db.CycleBatch("c1", "import", NOW), data_dir=data_dir, known_units=UNITS)
    second = db.write_cycle(live_db, db.CycleBatch("c2", "import", NOW), data_dir=data_dir, known_units=UNITS)
    assert first.inbox_files == (path.name,) and first.records == {"dossiers": 1} and first.quarantined == 1
    assert second.inbox_files == () and second.total_records == 0
    assert (data_dir / "inbox" / "done" / path.name).is_file()
    assert live_db.execute("SELECT file_name, rows FROM ingested_files").fetchall() == [(path.name, 1)]
    assert live_db.execute("SELECT source FROM quarantine").fetchone() == (f"inbox:{path.name}",)


def test_inbox_file_committed_but_not_moved_before_a_crash_is_not_ingested_twice(
    data_dir: Path, live_db: duckdb.DuckDBPyConnection
) -> None:
    rows = pa.Table.from_pylist([dossier("H1", "2026-03-02T08:15:00+07:00")])
    path = db.write_inbox_file(data_dir, "dossiers", rows, "export")
    db.write_cycle(live_db, db.CycleBatch("c1", "import", NOW), data_dir=data_dir, known_units=UNITS)
    (data_dir / "inbox" / "done" / path.name).rename(path)  # as if the daemon died between COMMIT and move
    again = db.write_cycle(live_db, db.CycleBatch("c2", "import", NOW), data_dir=data_dir, known_units=UNITS)
    assert again.total_records == 0 and not path.exists()
    assert live_db.execute("SELECT count(*) FROM dossiers").fetchone() == (1,)


def test_unreadable_inbox_file_is_rejected_with_a_reason_and_kept(
    data_dir: Path, live_db: duckdb.DuckDBPyConnection
) -> None:
    inbox = data_dir / "inbox"
    inbox.mkdir()
    (inbox / "dossiers--broken.parquet").write_bytes(b"not parquet")
    written = db.write_cycle(live_db, db.CycleBatch("c1", "import", NOW), data_dir=data_dir, known_units=UNITS)
    assert written.rejected_files == ("dossiers--broken.parquet",)
    assert (inbox / "rejected" / "dossiers--broken.parquet").read_bytes() == b"not parquet"
    (reason,) = live_db.execute("SELECT reason FROM quarantine").fetchone()
    assert reason.startswith("inbox file dossiers--broken.parquet could not be read")


@pytest.mark.parametrize(("table", "columns", "message"), [
    pytest.param("dosiers", {"unit_code": ["x"]}, "unknown table 'dosiers'", id="unknown-table"),
    pytest.param("dossiers", {"unit_code": ["x"], "ma_ho_so": ["1"], "colour": ["red"]},
                 r"columns \['colour'\] are not in table dossiers", id="unknown-column"),
    pytest.param("dossiers", {"unit_code": ["x"]}, r"missing \['ma_ho_so'\]", id="missing-key"),
])
def test_write_inbox_file_refuses_rows_that_do_not_fit(data_dir: Path, table: str, columns: dict, message: str) -> None:
    with pytest.raises(db.InboxError, match=message):
        db.write_inbox_file(data_dir, table, pa.table(columns), "import.csv")
    assert db.pending_inbox_files(data_dir) == []


def test_snapshot_is_a_complete_read_only_copy(data_dir: Path, live_db: duckdb.DuckDBPyConnection) -> None:
    store(live_db, [dossier("H1", "2026-03-02T08:15:00+07:00")])
    path = db.publish_snapshot(live_db, data_dir)
    reader = db.open_snapshot(path)
    assert reader.execute("SELECT count(*) FROM dossiers").fetchone() == (1,)
    with pytest.raises(duckdb.Error):
        reader.execute("DELETE FROM dossiers")
    reader.close()
    assert not list(data_dir.glob(".snapshot*"))


def test_open_snapshot_before_the_first_cycle_says_so(data_dir: Path) -> None:
    with pytest.raises(db.StorageError, match="no snapshot at .* yet"):
        db.open_snapshot(data_dir / "snapshot.duckdb")
