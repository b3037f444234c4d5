"""A small province built by hand: 3 units, April and May 2026, raw records for every province-it metric.

April 2026 has public holidays on Mon 27/4 and Thu 30/4, and Fri 1/5 follows; deadlines crossing them are
the "holiday inside a deadline" cases. Every expected number is worked out in tests/metrics/test_hand_province.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics.schema import MIGRATIONS

D1, D2, C1 = "000.01.31.H10", "000.02.31.H10", "000.00.11.H10"
NOW = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)


def ts(text: str | None) -> str | None:
    return None if text is None else f"2026-{text}:00+07:00"


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows)  # noqa: F841 (scanned by DuckDB)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")  # noqa: S608 (fixed test table names)


def _doc(unit: str, doc_id: str, direction: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"unit_code": unit, "doc_id": doc_id, "direction": direction, "do_khan": 0, "do_mat": 0,
                               "trang_thai": "hoan_thanh", "ky_so": False, "kem_ban_giay": False, "kenh": "lgsp",
                               "updated_at": ts("05-31 12:00"), "collected_at": ts("05-31 12:00")}
    base.update(fields)
    return base


def documents() -> list[dict[str, object]]:
    out = [
        _doc(D1, "o1", "out", ngay_ky=ts("04-06 09:00"), ngay_phat_hanh=ts("04-06 15:00"), ky_so=True),
        _doc(D1, "o2", "out", ngay_ky=ts("04-06 09:00"), ngay_phat_hanh=ts("04-07 09:00"), ky_so=True,
             kenh="truc_lien_thong", kem_ban_giay=True),
        # signed Friday 24/4, issued Tuesday 28/4: Monday 27/4 is a holiday, so 1 working day → on time
        _doc(D1, "o3", "out", ngay_ky=ts("04-24 16:00"), ngay_phat_hanh=ts("04-28 08:00"), ky_so=True),
        _doc(D1, "o4", "out", ngay_ky=ts("04-08 09:00"), ngay_phat_hanh=ts("04-10 09:00"), ky_so=True, kenh="noi_bo"),
        _doc(D1, "o5", "out", ngay_ky=ts("04-09 09:00"), ngay_phat_hanh=ts("04-09 10:00"), kenh="giay"),
        _doc(D1, "o6", "out", ngay_ky=ts("04-09 09:00"), ngay_phat_hanh=ts("04-09 10:00"), ky_so=True, do_mat=1),
        _doc(D1, "o7", "out", ngay_ky=ts("04-14 10:00"), ngay_phat_hanh=ts("04-15 08:00"), ky_so=True, do_khan=2),
        _doc(D1, "o8", "out", ngay_ky=ts("05-05 10:00"), ngay_phat_hanh=ts("05-05 11:00"), ky_so=True),
        _doc(D1, "i1", "in", ngay_den=ts("04-06 08:00"), ngay_dang_ky=ts("04-06 09:00"),
             ngay_chuyen_xu_ly=ts("04-06 10:00"), han_xu_ly="2026-04-10", ngay_hoan_thanh=ts("04-09 16:00"),
             xu_ly_tren_mang=True),
        # received Fri 24/4, registered Tue 28/4 (27/4 holiday → on time); due Thu 30/4 (holiday) → Mon 4/5
        _doc(D1, "i2", "in", ngay_den=ts("04-24 16:00"), ngay_dang_ky=ts("04-28 08:00"),
             ngay_chuyen_xu_ly=ts("04-28 09:00"), han_xu_ly="2026-04-30", ngay_hoan_thanh=ts("05-04 10:00"),
             xu_ly_tren_mang=True),
        _doc(D1, "i3", "in", do_khan=1, ngay_den=ts("04-07 09:00"), ngay_dang_ky=ts("04-07 09:30"),
             ngay_chuyen_xu_ly=ts("04-07 10:00"), xu_ly_tren_mang=False),
        _doc(D1, "i4", "in", do_khan=3, ngay_den=ts("04-08 09:00"), ngay_dang_ky=ts("04-08 09:10"),
             ngay_chuyen_xu_ly=ts("04-09 08:00"), xu_ly_tren_mang=None),
        _doc(D1, "i5", "in", ngay_den=ts("04-13 09:00"), ngay_dang_ky=ts("04-15 09:00"),
             ngay_chuyen_xu_ly=ts("04-15 10:00"), han_xu_ly="2026-04-17", ngay_hoan_thanh=ts("04-20 09:00"),
             xu_ly_tren_mang=True),
        _doc(D1, "i6", "in", ngay_den=ts("04-20 09:00"), ngay_dang_ky=ts("04-20 10:00"),
             ngay_chuyen_xu_ly=ts("04-20 11:00"), han_xu_ly="2026-04-22", trang_thai="dang_xu_ly",
             xu_ly_tren_mang=True),
        _doc(D1, "i7", "in", do_mat=2, ngay_den=ts("04-20 09:00"), ngay_dang_ky=ts("04-20 10:00"),
             han_xu_ly="2026-04-21"),
        _doc(D1, "i9", "in", trang_thai="da_huy", ngay_den=ts("04-21 09:00"), ngay_dang_ky=ts("04-24 10:00")),
        _doc(D2, "a1", "out", ngay_ky=ts("04-02 09:00"), ngay_phat_hanh=ts("04-02 10:00"), ky_so=True,
             kenh="truc_lien_thong"),
        _doc(D2, "a2", "out", ngay_ky=ts("04-03 09:00"), ngay_phat_hanh=ts("04-03 10:00"), ky_so=True,
             kenh="truc_lien_thong"),
        _doc(D2, "b1", "in", ngay_den=ts("04-14 09:00"), ngay_dang_ky=ts("04-14 10:00"),
             ngay_chuyen_xu_ly=ts("04-14 11:00"), xu_ly_tren_mang=True),
        _doc(C1, "c1", "out", ngay_ky=ts("04-16 09:00"), ngay_phat_hanh=ts("04-16 10:00"), kenh="giay"),
    ]
    return out


def _dossier(unit: str, code: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"unit_code": unit, "ma_ho_so": code, "ma_tthc": "T1", "kenh": 1, "so_lan_bo_sung": 0,
                               "tong_ngay_tam_dung": 0, "co_phieu_xin_loi": False, "co_nghia_vu_tai_chinh": False,
                               "thanh_toan_truc_tuyen": None, "da_dong_bo_dvcqg": False, "so_hoa_ho_so": False,
                               "ket_qua_dien_tu": None, "danh_gia_hai_long": None, "updated_at": ts("05-31 12:00"),
                               "collected_at": ts("05-31 12:00")}
    base.update(fields)
    return base


def dossiers() -> list[dict[str, object]]:
    return [
        _dossier(D1, "s1", kenh=2, ngay_tiep_nhan=ts("04-01 08:00"), ngay_hen_tra=ts("04-10 17:00"),
                 ngay_ket_thuc_xu_ly=ts("04-09 10:00"), trang_thai="da_tra_ket_qua", da_dong_bo_dvcqg=True,
                 co_nghia_vu_tai_chinh=True, thanh_toan_truc_tuyen=True, ket_qua_dien_tu=True, so_hoa_ho_so=True,
                 danh_gia_hai_long=5),
        _dossier(D1, "s2", ma_tthc="T2", ngay_tiep_nhan=ts("04-02 08:00"), ngay_hen_tra=ts("04-08 17:00"),
                 ngay_ket_thuc_xu_ly=ts("04-10 10:00"), trang_thai="da_xu_ly_xong", co_phieu_xin_loi=True,
                 da_dong_bo_dvcqg=True, co_nghia_vu_tai_chinh=True, thanh_toan_truc_tuyen=False,
                 ket_qua_dien_tu=False, danh_gia_hai_long=3),
        # early, but two supplement requests: overdue by the 766 rule
        _dossier(D1, "s3", kenh=2, ngay_tiep_nhan=ts("04-03 08:00"), ngay_hen_tra=ts("04-20 17:00"),
                 ngay_ket_thuc_xu_ly=ts("04-15 10:00"), trang_thai="tu_choi", so_lan_bo_sung=2, ket_qua_dien_tu=True),
        _dossier(D1, "s4", ma_tthc="T3", kenh=3, ngay_tiep_nhan=ts("04-22 08:00"), ngay_hen_tra=ts("05-06 17:00"),
                 ngay_ket_thuc_xu_ly=ts("05-05 10:00"), trang_thai="da_tra_ket_qua", da_dong_bo_dvcqg=True),
        # due 17/4 + 5 paused days = 22/4; still waiting for a supplement: overdue at both month ends
        _dossier(D1, "s5", ngay_tiep_nhan=ts("04-06 08:00"), ngay_hen_tra=ts("04-17 17:00"), tong_ngay_tam_dung=5,
                 so_lan_bo_sung=1, trang_thai="cho_bo_sung"),
        # due 14/4 + 3 paused days = 17/4, ended 16/4: on time thanks to the pause
        _dossier(D1, "s6", kenh=2, ngay_tiep_nhan=ts("04-07 08:00"), ngay_hen_tra=ts("04-14 17:00"),
                 tong_ngay_tam_dung=3, ngay_ket_thuc_xu_ly=ts("04-16 10:00"), trang_thai="da_tra_ket_qua",
                 da_dong_bo_dvcqg=True, ket_qua_dien_tu=True, danh_gia_hai_long=4),
        _dossier(D2, "t1", kenh=2, ngay_tiep_nhan=ts("04-01 08:00"), ngay_hen_tra=ts("04-10 17:00"),
                 ngay_ket_thuc_xu_ly=ts("04-09 10:00"), trang_thai="da_tra_ket_qua", da_dong_bo_dvcqg=True,
                 ket_qua_dien_tu=True, danh_gia_hai_long=4),
        _dossier(D2, "t2", kenh=2, ngay_tiep_nhan=ts("04-01 09:00"), ngay_hen_tra=ts("04-10 17:00"),
                 ngay_ket_thuc_xu_ly=ts("04-09 11:00"), trang_thai="da_tra_ket_qua", da_dong_bo_dvcqg=True,
                 ket_qua_dien_tu=True, danh_gia_hai_long=4),
    ]


def procedures() -> list[dict[str, object]]:
    rows = [(D1, "T1", "toan_trinh", True), (D1, "T2", "mot_phan", True), (D1, "T3", "khong", False),
            (D1, "T4", "khong", False), (D1, "T5", "toan_trinh", False), (D2, "T1", "toan_trinh", False)]
    return [{"unit_code": u, "ma_tthc": c, "ten_tthc": f"Thủ tục {c}", "muc_do": m, "co_phi": fee,
             "updated_at": ts("03-31 12:00"), "collected_at": ts("05-31 12:00")} for u, c, m, fee in rows]


def feedback() -> list[dict[str, object]]:
    rows = [
        ("f1", ts("04-01 08:00"), "2026-04-22", ts("04-20 10:00"), "da_xu_ly"),
        # due Thu 30/4 (holiday) → Mon 4/5: open in time at the end of April, answered on time in May
        ("f2", ts("04-10 08:00"), "2026-04-30", ts("05-04 10:00"), "da_xu_ly"),
        ("f3", ts("04-02 08:00"), "2026-04-15", ts("04-16 10:00"), "da_xu_ly"),
    ]
    return [{"unit_code": D1, "ma_pakn": k, "ngay_tiep_nhan": r, "han_xu_ly": due, "ngay_xu_ly": done,
             "trang_thai": st, "updated_at": ts("05-31 12:00"), "collected_at": ts("05-31 12:00")}
            for k, r, due, done, st in rows]


def mailboxes() -> list[dict[str, object]]:
    rows = [(D1, f"m{i}", True, True) for i in range(1, 9)] + [(D1, "m9", True, False), (D1, "m10", False, True)]
    rows += [(D2, f"mb{i}", True, True) for i in range(1, 21)] + [(C1, f"c{i}", True, True) for i in range(1, 6)]
    return [{"unit_code": u, "mailbox_id": m, "ca_nhan": p, "active": a, "created_at": "2025-01-02 08:00:00+07:00",
             "updated_at": "2025-01-02 08:00:00+07:00", "collected_at": ts("05-31 12:00")} for u, m, p, a in rows]


def mail_activity() -> list[dict[str, object]]:
    rows = [(D1, f"m{i}", "2026-04-10", True, 10) for i in range(1, 7)]
    rows += [(D2, "mb1", "2026-04-15", True, 80)] + [(D2, f"mb{i}", "2026-04-15", True, 0) for i in range(2, 19)]
    rows += [(C1, f"c{i}", "2026-04-20", True, 2) for i in range(1, 6)]
    return [{"unit_code": u, "mailbox_id": m, "ngay": d, "dang_nhap": login, "so_thu_gui": sent, "so_thu_nhan": 0,
             "collected_at": ts("05-31 12:00")} for u, m, d, login, sent in rows]


PROBES_SQL = """
INSERT INTO portal_probes (unit_code, probed_at, url, ok, http_status, https, mobile_viewport, sections, collected_at)
SELECT ?, TIMESTAMPTZ '2026-04-01 00:00:00+07' + i * INTERVAL 7 HOUR, ?, i <> 0, 200, ?, ?, ?::VARCHAR[],
       TIMESTAMPTZ '2026-05-31 12:00:00+07'
FROM range(?) t(i)
"""


def portal(con: duckdb.DuckDBPyConnection) -> None:
    # D1: 100 probes from 1/4 every 7 h (the last on 29/4), the first one failed → 99 %
    con.execute(PROBES_SQL, [D1, "https://sokhcn.bacninh.gov.vn/", True, True,
                             ["gioi_thieu", "tin_tuc", "van_ban", "lien_he"], 100])
    con.execute(PROBES_SQL, [C1, "http://anphu.bacninh.gov.vn/", False, True,
                             ["gioi_thieu", "tin_tuc", "chi_dao_dieu_hanh", "van_ban", "thu_tuc_hanh_chinh", "lien_he"],
                             11])
    con.execute("DELETE FROM portal_probes WHERE unit_code = ? AND NOT ok", [C1])
    items = [(D1, f"https://sokhcn.bacninh.gov.vn/tin/{i}", ts(f"04-{2 + 4 * i:02d} 09:00")) for i in range(6)]
    items += [(C1, f"http://anphu.bacninh.gov.vn/tin/{i}", ts(f"04-{3 + 10 * i:02d} 09:00")) for i in range(2)]
    _insert(con, "portal_items", [{"unit_code": u, "url": url, "title": "Tin", "published_at": p, "source": "rss",
                                   "collected_at": ts("05-31 12:00")} for u, url, p in items])


def units() -> list[dict[str, object]]:
    rows = [(D1, "Sở Khoa học và Công nghệ", "department", 10), (D2, "Sở Y tế", "department", 20),
            (C1, "Xã An Phú", "commune", 5)]
    return [{"unit_code": c, "name": n, "level": lvl, "headcount": h, "is_ranked": True, "valid_from": "2025-07-01",
             "registry_hash": "test", "loaded_at": ts("05-31 12:00")} for c, n, lvl, h in rows]


def attempts() -> list[dict[str, object]]:
    rows = [(u, s, "ok") for u in (D1, C1) for s in ("eoffice", "onestop", "mail", "portal")]
    rows += [(D2, s, "ok") for s in ("eoffice", "onestop", "mail")] + [(D2, "portal", "failed")]
    return [{"attempt_id": f"{u}-{s}", "unit_code": u, "system": s, "started_at": "2026-05-31 23:00:00+07:00",
             "duration_s": 0.1, "outcome": o} for u, s, o in rows]


SELF_REPORTS = [
    (D1, "2026", "sr_dx_plan_issued", 1), (D1, "2026", "sr_dx_plan_tasks_done", 6),
    (D1, "2026", "sr_dx_plan_tasks_total", 10), (D1, "2026", "sr_signers_active", 8),
    (D1, "2026", "sr_systems_approved", 1), (D1, "2026", "sr_systems_total", 2),
    (D1, "2026", "sr_reports_on_time", 11), (D1, "2026", "sr_reports_required", 12),
    (D1, "2026", "sr_portal_ipv6", 0), (D1, "2026", "sr_pub_timely", 9), (D1, "2026", "sr_pub_issued", 10),
    (D2, "2026", "sr_dx_plan_issued", 0), (D2, "2026", "sr_dx_plan_tasks_done", 0),
    (D2, "2026", "sr_dx_plan_tasks_total", 0), (D2, "2026", "sr_signers_active", 20),
    (D2, "2026", "sr_systems_approved", 0), (D2, "2026", "sr_systems_total", 0),
    (D2, "2026", "sr_reports_on_time", 4), (D2, "2026", "sr_reports_required", 4),
    (C1, "2026", "sr_dx_plan_issued", 1), (C1, "2026", "sr_dx_plan_tasks_done", 5),
    (C1, "2026", "sr_dx_plan_tasks_total", 5), (C1, "2026", "sr_signers_active", 5),
    (C1, "2026", "sr_systems_approved", 0), (C1, "2026", "sr_systems_total", 0),
    (C1, "2026", "sr_reports_on_time", 12), (C1, "2026", "sr_reports_required", 12),
    (C1, "2026", "sr_portal_ipv6", 1),
]


def build(path: Path) -> duckdb.DuckDBPyConnection:
    """Create the DuckDB file with the raw schema and the hand-made records; returns the open connection."""
    con = duckdb.connect(str(path))
    for _name, sql in MIGRATIONS:
        con.execute(sql)
    _insert(con, "units", units())
    _insert(con, "documents", documents())
    _insert(con, "dossiers", dossiers())
    _insert(con, "procedures", procedures())
    _insert(con, "feedback", feedback())
    _insert(con, "mailboxes", mailboxes())
    _insert(con, "mail_activity", mail_activity())
    _insert(con, "attempts", attempts())
    portal(con)
    return con
