"""A merged unit inherits its predecessors' records for the periods it is valid in (registry predecessors)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from metrics.counts import raw_counts
from metrics.periods import Period
from metrics.schema import MIGRATIONS
from tests.metrics.hand_province import NOW, _doc, _insert


def test_successor_counts_its_predecessors_records(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "merge.duckdb"))
    for _name, sql in MIGRATIONS:
        con.execute(sql)
    _insert(con, "units", [
        {"unit_code": "OLD", "name": "Xã Cũ", "level": "commune", "valid_from": "2020-01-01", "valid_to": "2025-06-30",
         "predecessors": [], "registry_hash": "t", "loaded_at": "2025-07-01 00:00:00+07"},
        {"unit_code": "NEW", "name": "Phường Mới", "level": "commune", "valid_from": "2025-07-01",
         "predecessors": ["OLD"], "registry_hash": "t", "loaded_at": "2025-07-01 00:00:00+07"},
    ])
    _insert(con, "documents", [
        _doc("OLD", "a", "out", ngay_ky="2025-06-10 09:00:00+07", ngay_phat_hanh="2025-06-10 10:00:00+07", ky_so=True),
        _doc("OLD", "b", "out", ngay_ky="2025-06-11 09:00:00+07", ngay_phat_hanh="2025-06-11 10:00:00+07"),
        _doc("NEW", "c", "out", ngay_ky="2025-07-10 09:00:00+07", ngay_phat_hanh="2025-07-10 10:00:00+07", ky_so=True),
    ])
    periods = [Period.parse(p) for p in ("2025-06", "2025-07", "2025")]
    wide, _ = raw_counts(con, periods, today=NOW.date())
    counts = wide.melt(id_vars=["unit_code", "period"], var_name="name", value_name="value").dropna()
    got = {(u, p): v for u, p, n, v in counts.itertuples(index=False) if n == "eo_out_total"}
    assert got[("OLD", "2025-06")] == 2 and ("NEW", "2025-06") not in got      # NEW did not exist yet
    assert got[("NEW", "2025-07")] == 1 and ("OLD", "2025-07") not in got      # OLD no longer exists
    assert got[("NEW", "2025")] == 3 and got[("OLD", "2025")] == 2             # the year: NEW inherits OLD's
    signed = {(u, p): v for u, p, n, v in counts.itertuples(index=False) if n == "eo_out_signed"}
    assert signed[("NEW", "2025")] == 2


def test_an_empty_database_scores_nothing_without_error() -> None:
    from metrics.engine import refresh_scores

    con = duckdb.connect()
    for _name, sql in MIGRATIONS:
        con.execute(sql)
    assert refresh_scores(con, clock=lambda: NOW) == {"dti-2022": 0, "province-it": 0, "qd766": 0}
    assert con.execute("SELECT count(*) FROM unit_scores").fetchone() == (0,)
    con.execute("BEGIN TRANSACTION")  # the daemon may call it inside its own write transaction
    refresh_scores(con, ["province-it"], clock=lambda: NOW, own_transaction=False)
    con.execute("COMMIT")
