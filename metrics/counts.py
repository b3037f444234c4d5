"""Raw records → per-unit, per-period counts in long form (unit_code, period, name, value).

Everything is set-based SQL over the raw tables of metrics/schema.py. Counts that flow (documents received,
dossiers resolved, …) are aggregated per month and summed into each period; counts that describe a state at
the period end (documents still open, dossiers pending, mailboxes) are computed at the period's last day. So a
quarter is always the sum of its months' flows plus the state at its end — never an average of scores.

Rules (scoring-spec §4.4, §5.1, §5.3, §5.7; docs/scoring.md lists every count name):
- documents with do_mat > 0 (confidential) or status da_huy are excluded everywhere;
- days are local days in Vietnam (UTC+7, no daylight saving);
- "≤ 1 working day" uses the working-day calendar; a deadline falling on a day off moves to the next working day;
- dossiers: end statuses count as resolved; on time = resolved by the appointment date plus the paused days,
  with at most one supplement request; pending dossiers are judged at the period end;
- a unit with no record and no successful poll of a source has NULL counts for it (no data, never 0);
- a unit inherits the records of its predecessors (registry `predecessors`) for the periods it is valid in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from metrics.calendar import WorkCalendar, load_calendar
from metrics.periods import Period, periods_for_months

CALENDAR_FIRST_DAY = date(2000, 1, 1)
CALENDAR_LAST_DAY = date(2040, 12, 31)

# The section keys the portal collector writes into portal_probes.sections (collectors/portal.py SECTIONS).
PORTAL_SECTIONS: tuple[str, ...] = (
    "gioi_thieu", "tin_tuc", "chi_dao_dieu_hanh", "van_ban", "thu_tuc_hanh_chinh", "lien_he",
    "pho_bien_phap_luat", "quy_hoach_ke_hoach", "du_an_dau_tu", "lay_y_kien",
)

# Counts that are 0 (not NULL) for a unit whose source is collected but had nothing in the period.
# Portal probes are observations, not events: a period without a probe has no availability data (NULL).
ZERO_FILLED: dict[str, tuple[str, ...]] = {
    "eoffice": (
        "eo_out_total", "eo_out_signed", "eo_out_external", "eo_out_electronic_only", "eo_out_issued_on_time",
        "eo_in_total", "eo_in_registered_on_time", "eo_urgent_in", "eo_urgent_same_day", "eo_workfiles",
        "eo_workfiles_electronic", "eo_dl_done_on_time", "eo_dl_done_late", "eo_dl_open_in_time",
        "eo_dl_open_overdue",
    ),
    "onestop": (
        "os_received_new", "os_online", "os_synced", "os_fee", "os_paid_online", "os_resolved",
        "os_resolved_on_time", "os_resolved_late", "os_e_result", "os_digitised", "os_rated", "os_satisfied",
        "os_late_apology", "os_pending_in_time", "os_pending_overdue", "os_pending_overdue_apology",
        "os_tthc_total", "os_tthc_online", "os_tthc_full", "os_tthc_fee", "os_fee_tthc_paid_online",
        "os_fee_tthc_with_dossiers", "pakn_done_on_time", "pakn_done_late", "pakn_open_in_time",
        "pakn_open_overdue",
    ),
    "mail": ("ml_personal_mailboxes", "ml_active_mailboxes", "ml_sent"),
    "portal": ("pt_items",),
}

DERIVED_COUNTS: dict[str, tuple[str, ...]] = {
    "os_total_received": ("os_resolved", "os_pending_in_time", "os_pending_overdue"),
    "os_total_on_time": ("os_resolved_on_time", "os_pending_in_time"),
}
"""Sums the 766 reporting API publishes directly (totalReceived, totalOnTime); computed when absent."""

SOURCE_OF_SYSTEM = {"eoffice": "eoffice", "onestop": "onestop", "mail": "mail", "portal": "portal"}

LONG_COLUMNS = ["unit_code", "period", "name", "value"]

# ---------------------------------------------------------------------------------------------- helpers

CREATE_HELPERS = """
CREATE OR REPLACE TEMP MACRO itmon_vn_day(ts) AS
    DATE '1970-01-01' + CAST(floor((epoch(ts) + 25200) / 86400) AS INTEGER);
CREATE OR REPLACE TEMP TABLE itmon_workdays (d DATE PRIMARY KEY, wd_idx INTEGER, is_wd BOOLEAN, next_wd DATE);
CREATE OR REPLACE TEMP TABLE itmon_periods (period VARCHAR, p_start DATE, p_end DATE, months INTEGER, p_eval DATE);
CREATE OR REPLACE TEMP TABLE itmon_period_months (period VARCHAR, month DATE);
"""

INSERT_WORKDAYS = "INSERT INTO itmon_workdays SELECT * FROM workdays_frame"
INSERT_PERIODS = "INSERT INTO itmon_periods SELECT * FROM periods_frame"
INSERT_PERIOD_MONTHS = "INSERT INTO itmon_period_months SELECT * FROM period_months_frame"


def _workdays_frame(calendar: WorkCalendar) -> pd.DataFrame:
    """One row per day: running working-day index, working flag, and the first working day on or after it."""
    days = pd.date_range(CALENDAR_FIRST_DAY, CALENDAR_LAST_DAY, freq="D")
    is_wd = [calendar.is_working_day(d.date()) for d in days]
    frame = pd.DataFrame({"d": days.date, "is_wd": is_wd})
    frame["wd_idx"] = frame["is_wd"].cumsum().astype("int32")
    next_wd = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    next_wd[frame["is_wd"]] = pd.to_datetime(frame.loc[frame["is_wd"], "d"])
    frame["next_wd"] = next_wd.bfill().dt.date
    return frame[["d", "wd_idx", "is_wd", "next_wd"]]


def _insert_frame(con: duckdb.DuckDBPyConnection, sql: str, name: str, frame: pd.DataFrame) -> None:
    con.register(name, frame)
    try:
        con.execute(sql)
    finally:
        con.unregister(name)


def install_helpers(con: duckdb.DuckDBPyConnection, calendar: WorkCalendar | None = None) -> None:
    """Create the session's temp calendar, period tables and day macro the count queries use."""
    con.execute(CREATE_HELPERS)
    _insert_frame(con, INSERT_WORKDAYS, "workdays_frame", _workdays_frame(calendar or load_calendar()))


# ---------------------------------------------------------------------------------------------- record views
# Views of local days over the raw tables; each count query reads only the columns it needs.

PREPARE_DOCS = """
CREATE OR REPLACE TEMP VIEW itmon_docs AS
SELECT unit_code, direction, coalesce(do_khan, 0) AS do_khan, kenh, ky_so, kem_ban_giay, xu_ly_tren_mang,
       han_xu_ly, ngay_van_ban,
       itmon_vn_day(ngay_ky) AS ky_day, itmon_vn_day(ngay_phat_hanh) AS ph_day,
       itmon_vn_day(ngay_den) AS den_day, itmon_vn_day(ngay_dang_ky) AS dk_day,
       itmon_vn_day(ngay_chuyen_xu_ly) AS cx_day, itmon_vn_day(ngay_hoan_thanh) AS ht_day
FROM documents
WHERE coalesce(do_mat, 0) = 0 AND trang_thai IS DISTINCT FROM 'da_huy'
"""

PREPARE_DOSSIERS = """
CREATE OR REPLACE TEMP VIEW itmon_dos AS
SELECT x.unit_code, x.ma_tthc, x.kenh, x.da_dong_bo_dvcqg, x.co_nghia_vu_tai_chinh, x.thanh_toan_truc_tuyen,
       x.ket_qua_dien_tu, x.so_hoa_ho_so, x.danh_gia_hai_long, x.co_phieu_xin_loi,
       itmon_vn_day(x.ngay_tiep_nhan) AS rec_day,
       CASE WHEN x.trang_thai IN ('da_xu_ly_xong', 'da_tra_ket_qua', 'tu_choi', 'dung_xu_ly', 'cong_dan_rut')
            THEN itmon_vn_day(coalesce(x.ngay_ket_thuc_xu_ly, x.ngay_tra_ket_qua, x.updated_at)) END AS res_day,
       itmon_vn_day(x.ngay_hen_tra) + coalesce(x.tong_ngay_tam_dung, 0) AS due_day,
       coalesce(x.so_lan_bo_sung, 0) <= 1 AS supplements_ok
FROM dossiers x
"""

PREPARE_FEEDBACK = """
CREATE OR REPLACE TEMP VIEW itmon_fb AS
SELECT f.unit_code, itmon_vn_day(f.ngay_tiep_nhan) AS rec_day,
       CASE WHEN f.trang_thai IN ('da_xu_ly', 'tu_choi') THEN itmon_vn_day(coalesce(f.ngay_xu_ly, f.updated_at)) END
           AS done_day,
       w.next_wd AS due_day
FROM feedback f LEFT JOIN itmon_workdays w ON w.d = f.han_xu_ly
"""

PREPARE_QUERIES: tuple[str, ...] = (PREPARE_DOCS, PREPARE_DOSSIERS, PREPARE_FEEDBACK)

# ---------------------------------------------------------------------------------------------- flows per month

OUTGOING_MONTHLY = """
SELECT unit_code, date_trunc('month', coalesce(ky_day, ph_day, ngay_van_ban)) AS month,
       count(*) AS eo_out_total,
       count(*) FILTER (WHERE ky_so) AS eo_out_signed,
       count(*) FILTER (WHERE kenh IS DISTINCT FROM 'noi_bo') AS eo_out_external,
       count(*) FILTER (WHERE kenh IS DISTINCT FROM 'noi_bo' AND kenh IS DISTINCT FROM 'giay'
                        AND NOT coalesce(kem_ban_giay, FALSE)) AS eo_out_electronic_only,
       count(*) FILTER (WHERE ky_so AND ph_day IS NOT NULL
                        AND CASE WHEN do_khan >= 1 THEN ph_day <= ky_day ELSE ph_idx - ky_idx <= 1 END)
           AS eo_out_issued_on_time
FROM (SELECT d.*, wk.wd_idx AS ky_idx, wp.wd_idx AS ph_idx
      FROM itmon_docs d
      LEFT JOIN itmon_workdays wk ON wk.d = d.ky_day
      LEFT JOIN itmon_workdays wp ON wp.d = d.ph_day
      WHERE d.direction = 'out')
WHERE coalesce(ky_day, ph_day, ngay_van_ban) IS NOT NULL
GROUP BY ALL
"""

INCOMING_MONTHLY = """
SELECT unit_code, date_trunc('month', den_day) AS month,
       count(*) AS eo_in_total,
       count(*) FILTER (WHERE dk_day IS NOT NULL
                        AND CASE WHEN do_khan >= 1 THEN dk_day = den_day ELSE dk_idx - den_idx <= 1 END)
           AS eo_in_registered_on_time,
       count(*) FILTER (WHERE do_khan >= 1) AS eo_urgent_in,
       count(*) FILTER (WHERE do_khan >= 1 AND dk_day = den_day AND cx_day = den_day) AS eo_urgent_same_day,
       count(xu_ly_tren_mang) AS eo_workfiles,
       count(*) FILTER (WHERE xu_ly_tren_mang) AS eo_workfiles_electronic
FROM (SELECT d.*, wd.wd_idx AS den_idx, wr.wd_idx AS dk_idx
      FROM itmon_docs d
      LEFT JOIN itmon_workdays wd ON wd.d = d.den_day
      LEFT JOIN itmon_workdays wr ON wr.d = d.dk_day
      WHERE d.direction = 'in' AND d.den_day IS NOT NULL)
GROUP BY ALL
"""

DEADLINE_DONE_MONTHLY = """
SELECT unit_code, date_trunc('month', ht_day) AS month,
       count(*) FILTER (WHERE ht_day <= due_eff) AS eo_dl_done_on_time,
       count(*) FILTER (WHERE ht_day > due_eff) AS eo_dl_done_late
FROM (SELECT d.unit_code, d.ht_day, w.next_wd AS due_eff
      FROM itmon_docs d JOIN itmon_workdays w ON w.d = d.han_xu_ly
      WHERE d.direction = 'in' AND d.ht_day IS NOT NULL)
GROUP BY ALL
"""

DOSSIER_RECEIVED_MONTHLY = """
SELECT unit_code, date_trunc('month', rec_day) AS month,
       count(*) AS os_received_new,
       count(*) FILTER (WHERE kenh = 2) AS os_online,
       count(*) FILTER (WHERE da_dong_bo_dvcqg) AS os_synced,
       count(*) FILTER (WHERE co_nghia_vu_tai_chinh) AS os_fee,
       count(*) FILTER (WHERE co_nghia_vu_tai_chinh AND thanh_toan_truc_tuyen) AS os_paid_online
FROM itmon_dos
GROUP BY ALL
"""

DOSSIER_RESOLVED_MONTHLY = """
WITH r AS (SELECT *, coalesce(supplements_ok AND res_day <= due_day, FALSE) AS on_time
           FROM itmon_dos WHERE res_day IS NOT NULL)
SELECT unit_code, date_trunc('month', res_day) AS month,
       count(*) AS os_resolved,
       count(*) FILTER (WHERE on_time) AS os_resolved_on_time,
       count(*) FILTER (WHERE NOT on_time) AS os_resolved_late,
       count(*) FILTER (WHERE ket_qua_dien_tu) AS os_e_result,
       count(*) FILTER (WHERE so_hoa_ho_so) AS os_digitised,
       count(danh_gia_hai_long) AS os_rated,
       count(*) FILTER (WHERE danh_gia_hai_long >= 4) AS os_satisfied,
       count(*) FILTER (WHERE NOT on_time AND co_phieu_xin_loi) AS os_late_apology
FROM r
GROUP BY ALL
"""

FEEDBACK_DONE_MONTHLY = """
SELECT unit_code, date_trunc('month', done_day) AS month,
       count(*) FILTER (WHERE done_day <= due_day) AS pakn_done_on_time,
       count(*) FILTER (WHERE done_day > due_day OR due_day IS NULL) AS pakn_done_late
FROM itmon_fb WHERE done_day IS NOT NULL
GROUP BY ALL
"""

MAIL_SENT_MONTHLY = """
SELECT unit_code, date_trunc('month', ngay) AS month, sum(coalesce(so_thu_gui, 0)) AS ml_sent
FROM mail_activity GROUP BY ALL
"""

PORTAL_PROBES_MONTHLY = """
SELECT unit_code, date_trunc('month', itmon_vn_day(probed_at)) AS month,
       count(*) AS pt_probes, count(*) FILTER (WHERE ok) AS pt_probes_ok
FROM portal_probes GROUP BY ALL
"""

PORTAL_ITEMS_MONTHLY = """
SELECT unit_code, date_trunc('month', itmon_vn_day(published_at)) AS month, count(*) AS pt_items
FROM portal_items WHERE published_at IS NOT NULL GROUP BY ALL
"""

MONTHLY_QUERIES: dict[str, str] = {
    "itmon_m_out": OUTGOING_MONTHLY, "itmon_m_in": INCOMING_MONTHLY, "itmon_m_deadline": DEADLINE_DONE_MONTHLY,
    "itmon_m_received": DOSSIER_RECEIVED_MONTHLY, "itmon_m_resolved": DOSSIER_RESOLVED_MONTHLY,
    "itmon_m_feedback": FEEDBACK_DONE_MONTHLY, "itmon_m_mail": MAIL_SENT_MONTHLY,
    "itmon_m_probes": PORTAL_PROBES_MONTHLY, "itmon_m_items": PORTAL_ITEMS_MONTHLY,
}
"""Temp table name → flow query (one row per record unit and month, one column per count)."""

CREATE_FROM = "CREATE OR REPLACE TEMP TABLE {table} AS {query}"
DATA_MONTHS = "SELECT DISTINCT year(month), month(month) FROM ({union}) WHERE month IS NOT NULL ORDER BY 1, 2"
MONTH_OF = "SELECT month FROM {table}"

# ---------------------------------------------------------------------------------------------- states at period end
# States are computed once per distinct evaluation day (p_eval: the period's last day, or today while the period
# runs) and then given to every period evaluated that day.

# A record open on day e satisfies start ≤ e < end; it is expanded to the months it is open in and joined with
# the evaluation days of those months (an equi-join instead of a range join over every period).
CREATE_EVAL_MONTHS = """
CREATE OR REPLACE TEMP TABLE itmon_eval_months AS
SELECT e, CAST(date_trunc('month', e) AS DATE) AS month FROM itmon_evals
"""

DEADLINE_OPEN_AT_END = """
WITH open_docs AS (
    SELECT d.unit_code, d.den_day AS start_day, coalesce(d.ht_day, DATE '9999-12-31') AS end_day, w.next_wd AS due_eff
    FROM itmon_docs d JOIN itmon_workdays w ON w.d = d.han_xu_ly
    WHERE d.direction = 'in' AND d.den_day IS NOT NULL
      AND coalesce(d.ht_day, DATE '9999-12-31') > (SELECT min(e) FROM itmon_evals)
),
spans AS (
    SELECT *, CAST(unnest(generate_series(date_trunc('month', start_day),
                                          date_trunc('month', least(end_day, (SELECT max(e) FROM itmon_evals))),
                                          INTERVAL 1 MONTH)) AS DATE) AS month
    FROM open_docs
),
s AS (
    SELECT sp.unit_code, em.e,
           count(*) FILTER (WHERE sp.due_eff >= em.e) AS eo_dl_open_in_time,
           count(*) FILTER (WHERE sp.due_eff < em.e) AS eo_dl_open_overdue
    FROM spans sp JOIN itmon_eval_months em ON em.month = sp.month
    WHERE sp.start_day <= em.e AND sp.end_day > em.e
    GROUP BY ALL
)
SELECT s.* EXCLUDE (e), p.period FROM s JOIN itmon_periods p ON p.p_eval = s.e
"""

DOSSIER_PENDING_AT_END = """
WITH open_dossiers AS (
    SELECT unit_code, rec_day AS start_day, coalesce(res_day, DATE '9999-12-31') AS end_day, due_day,
           supplements_ok, co_phieu_xin_loi
    FROM itmon_dos
    WHERE rec_day IS NOT NULL AND coalesce(res_day, DATE '9999-12-31') > (SELECT min(e) FROM itmon_evals)
      AND (res_day IS NULL OR date_trunc('month', res_day) > date_trunc('month', rec_day)
           OR res_day > (SELECT max(e) FROM itmon_evals WHERE e < last_day(e)))
),
spans AS (
    SELECT *, CAST(unnest(generate_series(date_trunc('month', start_day),
                                          date_trunc('month', least(end_day, (SELECT max(e) FROM itmon_evals))),
                                          INTERVAL 1 MONTH)) AS DATE) AS month
    FROM open_dossiers
),
s AS (
    SELECT sp.unit_code, em.e,
           count(*) FILTER (WHERE sp.supplements_ok AND sp.due_day >= em.e) AS os_pending_in_time,
           count(*) FILTER (WHERE NOT coalesce(sp.supplements_ok AND sp.due_day >= em.e, FALSE)) AS os_pending_overdue,
           count(*) FILTER (WHERE NOT coalesce(sp.supplements_ok AND sp.due_day >= em.e, FALSE) AND sp.co_phieu_xin_loi)
               AS os_pending_overdue_apology
    FROM spans sp JOIN itmon_eval_months em ON em.month = sp.month
    WHERE sp.start_day <= em.e AND sp.end_day > em.e
    GROUP BY ALL
)
SELECT s.* EXCLUDE (e), p.period FROM s JOIN itmon_periods p ON p.p_eval = s.e
"""

FEE_PROCEDURES_IN_PERIOD = """
WITH fee_month AS (
    SELECT DISTINCT x.unit_code, x.ma_tthc, date_trunc('month', x.rec_day) AS month,
           coalesce(x.thanh_toan_truc_tuyen, FALSE) AS paid_online
    FROM itmon_dos x
    JOIN procedures pr ON pr.unit_code = x.unit_code AND pr.ma_tthc = x.ma_tthc AND pr.co_phi
    WHERE x.co_nghia_vu_tai_chinh
)
SELECT f.unit_code, pm.period,
       count(DISTINCT f.ma_tthc) FILTER (WHERE f.paid_online) AS os_fee_tthc_paid_online,
       count(DISTINCT f.ma_tthc) AS os_fee_tthc_with_dossiers
FROM fee_month f JOIN itmon_period_months pm ON pm.month = f.month
GROUP BY ALL
"""

PROCEDURE_CATALOGUE = """
WITH per_unit AS (
    SELECT unit_code,
           count(*) AS os_tthc_total,
           count(*) FILTER (WHERE muc_do IN ('toan_trinh', 'mot_phan')) AS os_tthc_online,
           count(*) FILTER (WHERE muc_do = 'toan_trinh') AS os_tthc_full,
           count(*) FILTER (WHERE co_phi) AS os_tthc_fee
    FROM procedures GROUP BY ALL
)
SELECT u.*, p.period FROM per_unit u CROSS JOIN itmon_periods p
"""

FEEDBACK_OPEN_AT_END = """
SELECT f.unit_code, p.period,
       count(*) FILTER (WHERE f.due_day >= p.p_eval) AS pakn_open_in_time,
       count(*) FILTER (WHERE f.due_day < p.p_eval OR f.due_day IS NULL) AS pakn_open_overdue
FROM itmon_fb f
JOIN itmon_periods p ON f.rec_day <= p.p_eval AND coalesce(f.done_day, DATE '9999-12-31') > p.p_eval
GROUP BY ALL
"""

MAILBOXES_AT_END = """
WITH per_day AS (
    SELECT unit_code, coalesce(itmon_vn_day(created_at), DATE '1900-01-01') AS created_day, count(*) AS n
    FROM mailboxes WHERE ca_nhan AND active GROUP BY ALL
),
per_unit AS (SELECT DISTINCT unit_code FROM mailboxes)
SELECT u.unit_code, p.period, coalesce(sum(d.n), 0) AS ml_personal_mailboxes
FROM per_unit u CROSS JOIN itmon_periods p
LEFT JOIN per_day d ON d.unit_code = u.unit_code AND d.created_day <= p.p_eval
GROUP BY ALL
"""

ACTIVE_MAILBOXES_LAST_30_DAYS = """
WITH active_days AS (
    SELECT DISTINCT a.unit_code, a.mailbox_id, a.ngay
    FROM mail_activity a
    JOIN mailboxes m ON m.unit_code = a.unit_code AND m.mailbox_id = a.mailbox_id
    WHERE m.ca_nhan AND m.active AND (a.dang_nhap OR coalesce(a.so_thu_gui, 0) > 0)
),
candidates AS (
    SELECT unit_code, mailbox_id, ngay, CAST(date_trunc('month', ngay) AS DATE) AS month FROM active_days
    UNION ALL
    SELECT unit_code, mailbox_id, ngay, CAST(date_trunc('month', ngay + 29) AS DATE) FROM active_days
    WHERE date_trunc('month', ngay + 29) <> date_trunc('month', ngay)
),
active AS (
    SELECT c.unit_code, em.e, count(DISTINCT c.mailbox_id) AS ml_active_mailboxes
    FROM candidates c JOIN itmon_eval_months em ON em.month = c.month
    WHERE c.ngay BETWEEN em.e - 29 AND em.e
    GROUP BY ALL
)
SELECT a.unit_code, p.period, a.ml_active_mailboxes
FROM active a JOIN itmon_periods p ON p.p_eval = a.e
"""

LATEST_PROBE_IN_PERIOD = """
WITH monthly AS (
    SELECT unit_code, date_trunc('month', itmon_vn_day(probed_at)) AS month, max(probed_at) AS probed_at,
           arg_max(https, probed_at) AS https, arg_max(mobile_viewport, probed_at) AS mobile,
           arg_max(url, probed_at) AS url, arg_max(sections, probed_at) AS sections
    FROM portal_probes WHERE ok
    GROUP BY ALL
),
latest AS (
    SELECT m.unit_code, pm.period, arg_max(m.https, m.probed_at) AS https, arg_max(m.mobile, m.probed_at) AS mobile,
           arg_max(m.url, m.probed_at) AS url, arg_max(m.sections, m.probed_at) AS sections
    FROM monthly m JOIN itmon_period_months pm ON pm.month = m.month
    GROUP BY ALL
)
SELECT unit_code, period, CAST(https AS DOUBLE) AS pt_https, CAST(mobile AS DOUBLE) AS pt_mobile,
       CAST(regexp_matches(url, '^https?://[^/]*\\.gov\\.vn(:[0-9]+)?(/|$)') AS DOUBLE) AS pt_gov_domain,
       CASE WHEN sections IS NOT NULL
            THEN list_transform(?::VARCHAR[], lambda k: CAST(list_contains(sections, k) AS DOUBLE)) END AS pt_sections
FROM latest
"""

STATE_QUERIES: dict[str, str] = {
    "itmon_s_deadline": DEADLINE_OPEN_AT_END, "itmon_s_pending": DOSSIER_PENDING_AT_END,
    "itmon_s_fee": FEE_PROCEDURES_IN_PERIOD, "itmon_s_catalogue": PROCEDURE_CATALOGUE,
    "itmon_s_feedback": FEEDBACK_OPEN_AT_END, "itmon_s_mailboxes": MAILBOXES_AT_END,
    "itmon_s_active": ACTIVE_MAILBOXES_LAST_30_DAYS,
}
"""Temp table name → state query (one row per record unit and period)."""

CREATE_EVALS = "CREATE OR REPLACE TEMP TABLE itmon_evals AS SELECT DISTINCT p_eval AS e FROM itmon_periods"

# Record units → scoring units (a successor counts its predecessors' records), summed per period.
PERIOD_FLOWS = """
CREATE OR REPLACE TEMP TABLE {target} AS
SELECT unit_code, period, sum(COLUMNS(* EXCLUDE (unit_code, period))) FROM (
    SELECT a.score_unit AS unit_code, pm.period, m.* EXCLUDE (unit_code, month)
    FROM {source} m
    JOIN itmon_period_months pm ON pm.month = m.month
    JOIN itmon_unit_alias a ON a.record_unit = m.unit_code
) GROUP BY ALL
"""
MAPPED_STATES = """
CREATE OR REPLACE TEMP TABLE {target} AS
SELECT unit_code, period, {aggregate}(COLUMNS(* EXCLUDE (unit_code, period))) FROM (
    SELECT a.score_unit AS unit_code, s.period, s.* EXCLUDE (unit_code, period)
    FROM ({query}) s JOIN itmon_unit_alias a ON a.record_unit = s.unit_code
) GROUP BY ALL
"""
PROBE_TABLE = "itmon_s_probe"

FINAL_WIDE = """
SELECT u.unit_code, u.period, CAST(u.months AS DOUBLE) AS period_months,
       CAST(u.headcount AS DOUBLE) AS unit_headcount, CAST(u.headcount * u.months AS DOUBLE) AS unit_headcount_months,
       {columns}
FROM itmon_units_in_period u
{joins}
"""
PIECE_COLUMNS = "{table}.* EXCLUDE (unit_code, period)"
PIECE_JOIN = "LEFT JOIN {table} USING (unit_code, period)"
SELECT_COVERAGE = "SELECT unit_code, source FROM itmon_coverage"

# ---------------------------------------------------------------------------------------------- units, coverage, mapping

UNITS_IN_PERIOD = """
CREATE OR REPLACE TEMP TABLE itmon_units_in_period AS
SELECT p.period, p.months, u.unit_code, arg_max(u.level, u.valid_from) AS level,
       arg_max(u.headcount, u.valid_from) AS headcount
FROM units u JOIN itmon_periods p
  ON u.valid_from <= p.p_end AND (u.valid_to IS NULL OR u.valid_to >= p.p_start)
GROUP BY ALL
"""

UNIT_ALIAS = """
CREATE OR REPLACE TEMP TABLE itmon_unit_alias AS
SELECT DISTINCT unit_code AS record_unit, unit_code AS score_unit FROM units
UNION
SELECT DISTINCT unnest(predecessors) AS record_unit, unit_code AS score_unit FROM units
"""

COVERAGE = """
CREATE OR REPLACE TEMP TABLE itmon_coverage AS
SELECT DISTINCT a.score_unit AS unit_code, c.source
FROM (
    SELECT DISTINCT unit_code, 'eoffice' AS source FROM documents
    UNION SELECT DISTINCT unit_code, 'onestop' FROM dossiers
    UNION SELECT DISTINCT unit_code, 'onestop' FROM procedures
    UNION SELECT DISTINCT unit_code, 'onestop' FROM feedback
    UNION SELECT DISTINCT unit_code, 'mail' FROM mailboxes
    UNION SELECT DISTINCT unit_code, 'portal' FROM portal_probes
    UNION SELECT DISTINCT unit_code, system FROM attempts WHERE outcome IN ('ok', 'success')
) c JOIN itmon_unit_alias a ON a.record_unit = c.unit_code
"""

def compute_monthly(con: duckdb.DuckDBPyConnection, calendar: WorkCalendar | None = None) -> list[tuple[int, int]]:
    """Aggregate every flow count per record unit and month; returns the (year, month) pairs that have data."""
    install_helpers(con, calendar)
    for query in PREPARE_QUERIES:
        con.execute(query)
    for table, query in MONTHLY_QUERIES.items():
        con.execute(CREATE_FROM.format(table=table, query=query))
    union = " UNION ".join(MONTH_OF.format(table=table) for table in MONTHLY_QUERIES)
    return [(int(y), int(m)) for y, m in con.execute(DATA_MONTHS.format(union=union)).fetchall()]


def _set_periods(con: duckdb.DuckDBPyConnection, periods: Sequence[Period], today: date) -> None:
    con.execute("DELETE FROM itmon_periods")
    con.execute("DELETE FROM itmon_period_months")
    _insert_frame(con, INSERT_PERIODS, "periods_frame", pd.DataFrame(
        [(str(p), p.start, p.end, p.month_count, min(p.end, max(today, p.start))) for p in periods],
        columns=["period", "p_start", "p_end", "months", "p_eval"],
    ))
    _insert_frame(con, INSERT_PERIOD_MONTHS, "period_months_frame", pd.DataFrame(
        [(str(p), m.start) for p in periods for m in p.months], columns=["period", "month"]
    ))


def _zero_fill(wide: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """0 instead of NULL for the event counts of a source the unit is collected from."""
    for source, names in ZERO_FILLED.items():
        covered = wide["unit_code"].isin(coverage.loc[coverage["source"] == source, "unit_code"])
        for name in names:
            if name not in wide.columns:
                wide[name] = float("nan")
            wide.loc[covered, name] = wide.loc[covered, name].fillna(0.0)
    return wide


def _expand_sections(wide: pd.DataFrame) -> pd.DataFrame:
    flags = wide.pop("pt_sections") if "pt_sections" in wide.columns else pd.Series([None] * len(wide))
    present = flags.notna().to_numpy()
    matrix = pd.DataFrame(float("nan"), index=wide.index, columns=[f"pt_section_{k}" for k in PORTAL_SECTIONS])
    if present.any():
        matrix.loc[present] = np.array(flags[present].tolist(), dtype=np.float64)
    return pd.concat([wide, matrix], axis=1)


def raw_counts(
    con: duckdb.DuckDBPyConnection,
    periods: Iterable[Period] | None = None,
    *,
    calendar: WorkCalendar | None = None,
    today: date | None = None,
) -> tuple[pd.DataFrame, list[Period]]:
    """Counts of every unit and period from the raw tables, wide (one column per count name; see `to_wide`).

    Default periods: every month, quarter, year and year-to-date that has data.
    States "at the period end" of a period still running are taken at `today` (local date) instead.
    """
    months = compute_monthly(con, calendar)
    chosen = sorted(set(periods), key=str) if periods is not None else periods_for_months(months)
    _set_periods(con, chosen, today or (datetime.now(UTC) + timedelta(hours=7)).date())
    con.execute(CREATE_EVALS)
    con.execute(CREATE_EVAL_MONTHS)
    con.execute(UNITS_IN_PERIOD)
    con.execute(UNIT_ALIAS)
    con.execute(COVERAGE)
    pieces = []
    for table in MONTHLY_QUERIES:
        con.execute(PERIOD_FLOWS.format(target=f"{table}_p", source=table))
        pieces.append(f"{table}_p")
    for table, query in STATE_QUERIES.items():
        con.execute(MAPPED_STATES.format(target=table, query=query, aggregate="sum"))
        pieces.append(table)
    con.execute(MAPPED_STATES.format(target=PROBE_TABLE, query=LATEST_PROBE_IN_PERIOD, aggregate="max"),
                [list(PORTAL_SECTIONS)])
    pieces.append(PROBE_TABLE)
    final = FINAL_WIDE.format(columns=", ".join(PIECE_COLUMNS.format(table=t) for t in pieces),
                              joins="\n".join(PIECE_JOIN.format(table=t) for t in pieces))
    wide = con.execute(final).df()
    wide = _zero_fill(_expand_sections(wide), con.execute(SELECT_COVERAGE).df())
    return wide, chosen


def to_wide(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts as one row per (unit_code, period) and one column per count name; long form is pivoted."""
    if "name" not in counts.columns:
        return counts
    if counts.empty:
        return pd.DataFrame(columns=["unit_code", "period"])
    grouped = counts.groupby(["unit_code", "period", "name"], observed=True)["value"].sum(min_count=1)
    return grouped.unstack("name").reset_index()


def combine(*frames: pd.DataFrame) -> pd.DataFrame:
    """Merge wide or long count frames on (unit_code, period); a count given twice is summed."""
    wides = [to_wide(f) for f in frames if f is not None and not f.empty]
    if not wides:
        return pd.DataFrame(columns=["unit_code", "period"])
    merged = wides[0]
    for other in wides[1:]:
        merged = merged.merge(other, on=["unit_code", "period"], how="outer", suffixes=("", "__other"))
        for column in [c for c in merged.columns if c.endswith("__other")]:
            base = column.removesuffix("__other")
            merged[base] = merged[[base, column]].sum(axis=1, min_count=1)
            merged = merged.drop(columns=column)
    return merged


def add_derived(wide: pd.DataFrame) -> pd.DataFrame:
    """Add DERIVED_COUNTS columns that are absent (a sum is NULL when any part is NULL)."""
    for name, parts in DERIVED_COUNTS.items():
        if name not in wide.columns and all(p in wide.columns for p in parts):
            wide[name] = wide[list(parts)].sum(axis=1, min_count=len(parts), skipna=False)
    return wide


COUNT_DESCRIPTIONS: dict[str, str] = {
    "eo_out_total": "outgoing documents dated in the period (signature, else issue, else document date)",
    "eo_out_signed": "of eo_out_total, digitally signed (ky_so)",
    "eo_out_external": "of eo_out_total, sent outside the unit (kenh ≠ noi_bo)",
    "eo_out_electronic_only": "of eo_out_external, sent electronically with no paper copy (kenh ≠ giay, kem_ban_giay false)",
    "eo_out_issued_on_time": "of eo_out_signed, issued ≤ 1 working day after signing (urgent: the same day) — NĐ 30 Đ18",
    "eo_in_total": "incoming documents received (ngay_den) in the period",
    "eo_in_registered_on_time": "of eo_in_total, registered ≤ 1 working day after receipt (urgent: the same day) — NĐ 30 Đ4.2c",
    "eo_urgent_in": "of eo_in_total, urgent (do_khan ≥ 1: khẩn, thượng khẩn, hỏa tốc)",
    "eo_urgent_same_day": "of eo_urgent_in, registered and forwarded the day they arrived",
    "eo_workfiles": "incoming documents whose xu_ly_tren_mang is known",
    "eo_workfiles_electronic": "of eo_workfiles, handled as an electronic work file",
    "eo_dl_done_on_time": "incoming documents with a deadline completed in the period on or before it (a deadline on a day off moves to the next working day)",
    "eo_dl_done_late": "incoming documents with a deadline completed in the period after it",
    "eo_dl_open_in_time": "incoming documents with a deadline still open at the period end, deadline not passed",
    "eo_dl_open_overdue": "incoming documents with a deadline still open at the period end, deadline passed",
    "os_received_new": "dossiers received (ngay_tiep_nhan) in the period",
    "os_online": "of os_received_new, submitted online (kenh = 2)",
    "os_synced": "of os_received_new, synchronised to DVCQG",
    "os_fee": "of os_received_new, carrying a fee or charge",
    "os_paid_online": "of os_fee, paid online",
    "os_resolved": "dossiers reaching an end status in the period (766 §4.4 end statuses)",
    "os_resolved_on_time": "of os_resolved, ended by the appointment date plus paused days, with ≤ 1 supplement request",
    "os_resolved_late": "of os_resolved, the others (more than one supplement request counts as overdue)",
    "os_e_result": "of os_resolved, result issued electronically",
    "os_digitised": "of os_resolved, dossier components digitised",
    "os_rated": "of os_resolved, rated by the citizen",
    "os_satisfied": "of os_rated, rated 4 or 5",
    "os_late_apology": "of os_resolved_late, with an apology letter and new appointment (Mẫu 04)",
    "os_pending_in_time": "dossiers pending at the period end, within the deadline and ≤ 1 supplement request",
    "os_pending_overdue": "dossiers pending at the period end, past the deadline or with > 1 supplement request",
    "os_pending_overdue_apology": "of os_pending_overdue, with an apology letter",
    "os_total_received": "766 totalReceived = os_resolved + os_pending_in_time + os_pending_overdue",
    "os_total_on_time": "766 totalOnTime = os_resolved_on_time + os_pending_in_time",
    "os_tthc_total": "administrative procedures (TTHC) in the unit's catalogue",
    "os_tthc_online": "of os_tthc_total, offered online (toàn trình or một phần)",
    "os_tthc_full": "of os_tthc_total, fully online (toàn trình)",
    "os_tthc_fee": "of os_tthc_total, with a fee",
    "os_fee_tthc_paid_online": "fee procedures with at least one dossier paid online in the period",
    "os_fee_tthc_with_dossiers": "fee procedures with at least one fee-bearing dossier in the period",
    "pakn_done_on_time": "feedback (PAKN) answered in the period by its deadline",
    "pakn_done_late": "feedback answered in the period after its deadline",
    "pakn_open_in_time": "feedback open at the period end, deadline not passed",
    "pakn_open_overdue": "feedback open at the period end, deadline passed",
    "ml_personal_mailboxes": "active personal mailboxes existing at the period end",
    "ml_active_mailboxes": "of ml_personal_mailboxes, with a login or a sent message in the period's last 30 days",
    "ml_sent": "messages sent in the period",
    "pt_probes": "portal probes in the period",
    "pt_probes_ok": "of pt_probes, successful",
    "pt_items": "new portal items (RSS/sitemap) published in the period",
    "pt_https": "latest successful probe of the period: served over HTTPS (1/0)",
    "pt_mobile": "latest successful probe of the period: has a mobile viewport (1/0)",
    "pt_gov_domain": "latest successful probe of the period: host under .gov.vn (1/0)",
    "period_months": "months in the period",
    "unit_headcount": "staff of the unit (registry)",
    "unit_headcount_months": "unit_headcount × period_months",
    **{f"pt_section_{key}": f"latest successful probe of the period: section '{key}' present (1/0)" for key in PORTAL_SECTIONS},
}
"""Meaning of every count computed from raw records (documented in docs/scoring.md)."""
