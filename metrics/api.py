"""The read API the dashboard pages call.

Pure functions over a read-only DuckDB connection (the published snapshot), each returning a DataFrame or a
small value. SQL lives in named, parameterised constants next to the function that runs them; no Streamlit
import here. Missing data stays missing: NULL is passed through, never turned into 0.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from metrics import publication
from metrics.periods import Period
from metrics.publication import open_workflow_db

Connection = duckdb.DuckDBPyConnection

LEVELS = ("department", "commune")
SYSTEMS = ("eoffice", "onestop", "mail", "portal")
SUCCESS_OUTCOME = "ok"


def _df(con: Connection, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
    cursor = con.cursor()
    try:
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()


def _table_exists(con: Connection, table: str) -> bool:
    return bool(_df(con, TABLE_EXISTS_SQL, [table]).iloc[0, 0])


TABLE_EXISTS_SQL = "SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = ?"


# --- names and search -------------------------------------------------------------------------------------

def fold_accents(text: str) -> str:
    """Lower-case, accent-free form of a Vietnamese text, for search: "Sở Y tế" -> "so y te"."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", stripped.replace("đ", "d").replace("Đ", "D").casefold()).strip()


def search_names(frame: pd.DataFrame, query: str, column: str = "name") -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` contains ``query``, ignoring case and Vietnamese accents."""
    needle = fold_accents(query)
    if not needle:
        return frame
    folded = frame[column].astype(str).map(fold_accents)
    return frame[folded.str.contains(needle, regex=False)]


# --- what is there ------------------------------------------------------------------------------------------

RUBRICS_SQL = "SELECT DISTINCT rubric_id FROM unit_scores ORDER BY rubric_id"


def rubrics(con: Connection) -> list[str]:
    """Rubric ids that have scores in this snapshot."""
    if not _table_exists(con, "unit_scores"):
        return []
    return _df(con, RUBRICS_SQL)["rubric_id"].tolist()


PERIODS_SQL = "SELECT DISTINCT period FROM unit_scores WHERE rubric_id = ? ORDER BY period DESC"


def periods(con: Connection, rubric_id: str) -> list[str]:
    """Scored periods of a rubric, newest first (months, quarters, years, year-to-date)."""
    return sort_periods(_df(con, PERIODS_SQL, [rubric_id])["period"].tolist())


def sort_periods(texts: list[str]) -> list[str]:
    """Newest first by calendar ('2026-YTD-10' after '2026-YTD-9'), not by string order."""
    return sorted(texts, key=lambda text: (Period.parse(text).end, Period.parse(text).start), reverse=True)


def period_kind(period: str) -> str:
    """'month', 'quarter', 'ytd' or 'year' for a period string of metrics.periods."""
    if "-YTD-" in period:
        return "ytd"
    if "-Q" in period:
        return "quarter"
    if re.fullmatch(r"\d{4}-\d{2}", period):
        return "month"
    return "year"


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day (inclusive) of a period string, through metrics.periods."""
    parsed = Period.parse(period)
    return parsed.start, parsed.end


# --- rankings -----------------------------------------------------------------------------------------------

# Shared CTEs: the newest name of each unit; units whose latest poll of a system failed, and since when.
WITH_UNIT_NAMES = """WITH
unit_names AS (
    SELECT unit_code, name, level
    FROM units
    QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY valid_from DESC) = 1
)"""

SILENT_UNITS_CTE = """last_per_system AS (
    SELECT unit_code, system,
           max(started_at) FILTER (WHERE outcome = $success) AS last_success,
           arg_max(outcome, started_at) AS last_outcome
    FROM attempts
    GROUP BY unit_code, system
),
silent_units AS (
    SELECT unit_code,
           min(last_success) AS silent_since,
           list(system ORDER BY system) AS silent_systems
    FROM last_per_system
    WHERE last_outcome <> $success
    GROUP BY unit_code
)"""


RANKING_SQL = "\n".join((WITH_UNIT_NAMES + ",", SILENT_UNITS_CTE, """SELECT s.rank, s.rank_prev, s.rank_prev - s.rank AS places_gained,
       s.unit_code, coalesce(n.name, s.unit_code) AS name,
       s.index_pct, s.class_label, s.class_label_en, s.points, s.applicable_max,
       coalesce(s.provisional, false) OR q.unit_code IS NOT NULL AS provisional,
       s.provisional_reason, q.silent_since, q.silent_systems
FROM unit_scores s
LEFT JOIN unit_names n USING (unit_code)
LEFT JOIN silent_units q USING (unit_code)
WHERE s.rubric_id = $rubric_id AND s.level = $level AND s.period = $period
ORDER BY s.rank NULLS LAST, s.index_pct DESC NULLS LAST, name
"""))

BLOCKS_FOR_RANKING_SQL = """
SELECT b.unit_code, b.block, b.points, b.max_points
FROM block_scores b
JOIN unit_scores s USING (rubric_id, period, unit_code)
WHERE b.rubric_id = $rubric_id AND b.period = $period AND s.level = $level
"""


def ranking(con: Connection, rubric_id: str, level: str, period: str) -> pd.DataFrame:
    """One level's ranking for a period: rank, movement, index, class, block points, provisional markers.

    ``silent_since`` is the last successful poll of a unit whose latest poll of some system failed (NaT when
    it never succeeded); such a unit is provisional whatever the engine said.
    """
    params = {"rubric_id": rubric_id, "level": level, "period": period, "success": SUCCESS_OUTCOME}
    frame = _df(con, RANKING_SQL, params)
    blocks = _df(con, BLOCKS_FOR_RANKING_SQL, {"rubric_id": rubric_id, "level": level, "period": period})
    if not blocks.empty:
        wide = blocks.pivot_table(index="unit_code", columns="block", values="points", aggfunc="first")
        wide.columns = [f"block_{column}" for column in wide.columns]
        frame = frame.merge(wide, left_on="unit_code", right_index=True, how="left")
    return frame


def movers(frame: pd.DataFrame, count: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The biggest risers and fallers of a ranking frame (by places gained; units without a previous rank skipped)."""
    moved = frame.dropna(subset=["places_gained"])
    risers = moved[moved["places_gained"] > 0].nlargest(count, "places_gained")
    fallers = moved[moved["places_gained"] < 0].nsmallest(count, "places_gained")
    return risers, fallers


PUBLISHED_PERIODS_SQL = "SELECT DISTINCT period FROM publication_runs WHERE rubric_id = ? ORDER BY period DESC"


def published_periods(con: Connection, workflow_path: Path, rubric_id: str) -> list[str]:
    """Periods whose ranking the IT department has published (frozen); empty when none is."""
    if not Path(workflow_path).exists():
        return []
    store = open_workflow_db(workflow_path)
    try:
        return sort_periods([row[0] for row in store.execute(PUBLISHED_PERIODS_SQL, [rubric_id]).fetchall()])
    finally:
        store.close()


UNIT_NAMES_SQL = """
SELECT unit_code, name FROM units
QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY valid_from DESC) = 1
"""


def published_ranking(con: Connection, workflow_path: Path, rubric_id: str, level: str, period: str) -> pd.DataFrame:
    """The frozen rows of the latest published version of a period's ranking, one level, with unit names.

    Same columns as :func:`ranking` minus the live collection state: what was published is what is shown.
    """
    if not Path(workflow_path).exists():
        return pd.DataFrame()
    rows = publication.published_ranking(workflow_path, rubric_id, period)
    if rows.empty:
        return rows
    latest = rows.loc[rows["published_at"].idxmax(), "rubric_version"]  # the newest publication wins
    rows = rows[(rows["rubric_version"] == latest) & (rows["level"] == level)]
    names = _df(con, UNIT_NAMES_SQL)
    frame = rows.merge(names, on="unit_code", how="left")
    frame["name"] = frame["name"].fillna(frame["unit_code"])
    frame["places_gained"] = frame["rank_prev"] - frame["rank"]
    frame["provisional"] = frame["provisional"].fillna(0).astype(bool)
    columns = ["rank", "rank_prev", "places_gained", "unit_code", "name", "index_pct", "class_label", "points",
               "applicable_max", "provisional", "provisional_reason", "published_at", "rubric_version"]
    return frame[columns].sort_values(["rank", "index_pct"], ascending=[True, False], na_position="last")


# --- one unit -----------------------------------------------------------------------------------------------

UNIT_SUMMARY_SQL = "\n".join((WITH_UNIT_NAMES + ",", SILENT_UNITS_CTE, """SELECT s.unit_code, coalesce(n.name, s.unit_code) AS name, s.level, s.rubric_version, s.period,
       s.points, s.applicable_max, s.index_pct, s.rank, s.rank_prev, s.rank_prev - s.rank AS places_gained,
       s.class_label, s.class_label_en, coalesce(s.provisional, false) OR q.unit_code IS NOT NULL AS provisional,
       s.provisional_reason, q.silent_since, q.silent_systems, s.computed_at,
       (SELECT count(*) FROM unit_scores c
         WHERE c.rubric_id = s.rubric_id AND c.period = s.period AND c.level = s.level) AS units_in_level
FROM unit_scores s
LEFT JOIN unit_names n USING (unit_code)
LEFT JOIN silent_units q USING (unit_code)
WHERE s.rubric_id = $rubric_id AND s.unit_code = $unit_code AND s.period = $period
"""))


def unit_summary(con: Connection, rubric_id: str, unit_code: str, period: str) -> pd.DataFrame:
    """The unit's headline row for a period (empty frame when it has no score)."""
    params = {"rubric_id": rubric_id, "unit_code": unit_code, "period": period, "success": SUCCESS_OUTCOME}
    return _df(con, UNIT_SUMMARY_SQL, params)


UNIT_CARD_SQL = """
SELECT metric_id, block, numerator, denominator, value, applicable, status, points, max_points,
       gap_vi, gap_en
FROM metric_scores
WHERE rubric_id = ? AND unit_code = ? AND period = ?
ORDER BY block, metric_id
"""


def unit_card(con: Connection, rubric_id: str, unit_code: str, period: str) -> pd.DataFrame:
    """Every metric of the unit for a period: numerator, denominator, value, points of max, gap to next band."""
    return _df(con, UNIT_CARD_SQL, [rubric_id, unit_code, period])


UNIT_BLOCKS_SQL = """
SELECT block, points, max_points FROM block_scores
WHERE rubric_id = ? AND unit_code = ? AND period = ? ORDER BY block
"""


def unit_blocks(con: Connection, rubric_id: str, unit_code: str, period: str) -> pd.DataFrame:
    """The unit's block sub-scores for a period."""
    return _df(con, UNIT_BLOCKS_SQL, [rubric_id, unit_code, period])


METRIC_HISTORY_SQL = """
SELECT period, metric_id, value, points, max_points
FROM metric_scores
WHERE rubric_id = ? AND unit_code = ? AND length(period) = 7 AND period NOT LIKE '%Q%'
ORDER BY metric_id, period
"""


def metric_history(con: Connection, rubric_id: str, unit_code: str) -> pd.DataFrame:
    """Monthly value and points of each metric of a unit (for sparklines)."""
    return _df(con, METRIC_HISTORY_SQL, [rubric_id, unit_code])


RANK_HISTORY_SQL = """
SELECT period, rank, index_pct, class_label, provisional
FROM unit_scores
WHERE rubric_id = ? AND unit_code = ? AND length(period) = 7 AND period NOT LIKE '%Q%'
ORDER BY period
"""


def rank_history(con: Connection, rubric_id: str, unit_code: str) -> pd.DataFrame:
    """The unit's monthly rank and index."""
    return _df(con, RANK_HISTORY_SQL, [rubric_id, unit_code])


SYSTEM_FRESHNESS_SQL = """
SELECT system,
       max(started_at) FILTER (WHERE outcome = $success) AS last_success,
       max(started_at) AS last_attempt,
       arg_max(outcome, started_at) AS last_outcome,
       arg_max(error, started_at) AS last_error
FROM attempts
WHERE unit_code = $unit_code
GROUP BY system
ORDER BY system
"""


def unit_freshness(con: Connection, unit_code: str) -> pd.DataFrame:
    """Per system of one unit: last success, last attempt, its outcome and error."""
    return _df(con, SYSTEM_FRESHNESS_SQL, {"unit_code": unit_code, "success": SUCCESS_OUTCOME})


# "The records behind a number": for each metric, the raw rows that cost the unit points.
OVERDUE_DOCUMENTS_SQL = """
SELECT doc_id, so_ky_hieu, loai_van_ban, ngay_den, han_xu_ly, ngay_hoan_thanh, trang_thai
FROM documents
WHERE unit_code = $unit_code AND direction = 'in' AND coalesce(do_mat, 0) = 0
  AND han_xu_ly IS NOT NULL AND han_xu_ly BETWEEN $start AND $end
  AND (ngay_hoan_thanh IS NULL AND han_xu_ly < $end OR CAST(ngay_hoan_thanh AS DATE) > han_xu_ly)
ORDER BY han_xu_ly
LIMIT $limit
"""

UNSIGNED_OUTGOING_SQL = """
SELECT doc_id, so_ky_hieu, loai_van_ban, ngay_van_ban, ngay_phat_hanh, kenh
FROM documents
WHERE unit_code = $unit_code AND direction = 'out' AND coalesce(do_mat, 0) = 0
  AND coalesce(ky_so, false) = false
  AND CAST(coalesce(ngay_phat_hanh, ngay_ky) AS DATE) BETWEEN $start AND $end
ORDER BY ngay_van_ban
LIMIT $limit
"""

PAPER_OUTGOING_SQL = """
SELECT doc_id, so_ky_hieu, loai_van_ban, ngay_van_ban, kenh
FROM documents
WHERE unit_code = $unit_code AND direction = 'out' AND coalesce(do_mat, 0) = 0 AND kem_ban_giay
  AND CAST(coalesce(ngay_phat_hanh, ngay_ky) AS DATE) BETWEEN $start AND $end
ORDER BY ngay_van_ban
LIMIT $limit
"""

LATE_DOSSIERS_SQL = """
SELECT ma_ho_so, ma_tthc, ngay_tiep_nhan, ngay_hen_tra, ngay_ket_thuc_xu_ly, trang_thai, co_phieu_xin_loi
FROM dossiers
WHERE unit_code = $unit_code AND ngay_hen_tra IS NOT NULL
  AND CAST(ngay_tiep_nhan AS DATE) BETWEEN $start AND $end
  AND coalesce(ngay_ket_thuc_xu_ly, CAST($end AS TIMESTAMPTZ) + INTERVAL 1 DAY) > ngay_hen_tra
ORDER BY ngay_hen_tra
LIMIT $limit
"""

LATE_DOSSIERS_WITHOUT_APOLOGY_SQL = """
SELECT ma_ho_so, ma_tthc, ngay_tiep_nhan, ngay_hen_tra, ngay_ket_thuc_xu_ly, trang_thai
FROM dossiers
WHERE unit_code = $unit_code AND ngay_hen_tra IS NOT NULL AND NOT coalesce(co_phieu_xin_loi, false)
  AND CAST(ngay_tiep_nhan AS DATE) BETWEEN $start AND $end
  AND coalesce(ngay_ket_thuc_xu_ly, CAST($end AS TIMESTAMPTZ) + INTERVAL 1 DAY) > ngay_hen_tra
ORDER BY ngay_hen_tra
LIMIT $limit
"""

OFFLINE_DOSSIERS_SQL = """
SELECT ma_ho_so, ma_tthc, kenh, ngay_tiep_nhan, trang_thai
FROM dossiers
WHERE unit_code = $unit_code AND kenh IS DISTINCT FROM 2
  AND CAST(ngay_tiep_nhan AS DATE) BETWEEN $start AND $end
ORDER BY ngay_tiep_nhan
LIMIT $limit
"""

UNSYNCED_DOSSIERS_SQL = """
SELECT ma_ho_so, ma_tthc, ngay_tiep_nhan, trang_thai, da_dong_bo_dvcqg
FROM dossiers
WHERE unit_code = $unit_code AND NOT coalesce(da_dong_bo_dvcqg, false)
  AND CAST(ngay_tiep_nhan AS DATE) BETWEEN $start AND $end
ORDER BY ngay_tiep_nhan
LIMIT $limit
"""

UNPAID_ONLINE_DOSSIERS_SQL = """
SELECT ma_ho_so, ma_tthc, ngay_tiep_nhan, trang_thai, thanh_toan_truc_tuyen
FROM dossiers
WHERE unit_code = $unit_code AND co_nghia_vu_tai_chinh AND NOT coalesce(thanh_toan_truc_tuyen, false)
  AND CAST(ngay_tiep_nhan AS DATE) BETWEEN $start AND $end
ORDER BY ngay_tiep_nhan
LIMIT $limit
"""

LATE_FEEDBACK_SQL = """
SELECT ma_pakn, ngay_tiep_nhan, han_xu_ly, ngay_xu_ly, trang_thai
FROM feedback
WHERE unit_code = $unit_code AND han_xu_ly IS NOT NULL
  AND CAST(ngay_tiep_nhan AS DATE) BETWEEN $start AND $end
  AND (ngay_xu_ly IS NULL AND han_xu_ly < $end OR CAST(ngay_xu_ly AS DATE) > han_xu_ly)
ORDER BY han_xu_ly
LIMIT $limit
"""

FAILED_PROBES_SQL = """
SELECT probed_at, url, http_status, latency_ms, error
FROM portal_probes
WHERE unit_code = $unit_code AND NOT ok AND CAST(probed_at AS DATE) BETWEEN $start AND $end
ORDER BY probed_at DESC
LIMIT $limit
"""

INACTIVE_MAILBOXES_SQL = """
SELECT m.mailbox_id, m.active, max(a.ngay) FILTER (WHERE a.dang_nhap OR a.so_thu_gui > 0) AS last_active
FROM mailboxes m
LEFT JOIN mail_activity a ON a.unit_code = m.unit_code AND a.mailbox_id = m.mailbox_id AND a.ngay <= $end
WHERE m.unit_code = $unit_code AND m.ca_nhan
GROUP BY m.mailbox_id, m.active
HAVING last_active IS NULL OR last_active < $end - INTERVAL 30 DAY
ORDER BY last_active NULLS FIRST
LIMIT $limit
"""

METRIC_RECORDS_SQL: dict[str, str] = {
    "EO-01": UNSIGNED_OUTGOING_SQL,
    "EO-02": PAPER_OUTGOING_SQL,
    "EO-05": OVERDUE_DOCUMENTS_SQL,
    "EO-06": OVERDUE_DOCUMENTS_SQL,
    "ML-02": INACTIVE_MAILBOXES_SQL,
    "OS-01": LATE_DOSSIERS_SQL,
    "OS-02": OFFLINE_DOSSIERS_SQL,
    "OS-04": UNPAID_ONLINE_DOSSIERS_SQL,
    "OS-07": LATE_DOSSIERS_WITHOUT_APOLOGY_SQL,
    "OS-08": UNSYNCED_DOSSIERS_SQL,
    "OS-09": LATE_FEEDBACK_SQL,
    "PT-01": FAILED_PROBES_SQL,
}


def has_records(metric_id: str) -> bool:
    """Whether ``metric_records`` can list the raw records behind this metric."""
    return metric_id in METRIC_RECORDS_SQL


def metric_records(con: Connection, unit_code: str, metric_id: str, period: str, limit: int = 500) -> pd.DataFrame:
    """The raw records that cost the unit points on a metric (e.g. overdue documents), oldest problem first.

    Raises KeyError naming the metrics that have record lists when ``metric_id`` has none.
    """
    if metric_id not in METRIC_RECORDS_SQL:
        raise KeyError(f"no record list for metric {metric_id!r}; lists exist for {sorted(METRIC_RECORDS_SQL)}")
    start, end = period_bounds(period)
    params = {"unit_code": unit_code, "start": start, "end": end, "limit": int(limit)}
    return _df(con, METRIC_RECORDS_SQL[metric_id], params)


# --- trends -------------------------------------------------------------------------------------------------

TRENDS_SQL = """
SELECT period, metric_id,
       sum(numerator) AS numerator, sum(denominator) AS denominator,
       sum(numerator) / nullif(sum(denominator), 0) AS value,
       count(*) FILTER (WHERE status = 'ok') AS units_with_data
FROM metric_scores m
JOIN unit_scores s USING (rubric_id, period, unit_code)
WHERE m.rubric_id = ? AND s.level = ? AND length(period) = 7 AND period NOT LIKE '%Q%'
GROUP BY period, metric_id
ORDER BY metric_id, period
"""


def trends(con: Connection, rubric_id: str, level: str) -> pd.DataFrame:
    """Province-wide monthly series per metric: summed numerators over summed denominators (never averaged ratios)."""
    return _df(con, TRENDS_SQL, [rubric_id, level])


INDEX_TREND_SQL = """
SELECT period, median(index_pct) AS median_index, avg(index_pct) AS mean_index,
       count(*) FILTER (WHERE provisional) AS provisional_units, count(*) AS units
FROM unit_scores
WHERE rubric_id = ? AND level = ? AND length(period) = 7 AND period NOT LIKE '%Q%'
GROUP BY period ORDER BY period
"""


def index_trend(con: Connection, rubric_id: str, level: str) -> pd.DataFrame:
    """Monthly median and mean index of a level."""
    return _df(con, INDEX_TREND_SQL, [rubric_id, level])


HEATMAP_SQL = "\n".join((WITH_UNIT_NAMES, """
SELECT m.unit_code, coalesce(n.name, m.unit_code) AS name, m.metric_id,
       m.points / nullif(m.max_points, 0) AS share
FROM metric_scores m
JOIN unit_scores s USING (rubric_id, period, unit_code)
LEFT JOIN unit_names n ON n.unit_code = m.unit_code
WHERE m.rubric_id = ? AND s.level = ? AND m.period = ?
ORDER BY s.rank NULLS LAST, m.metric_id
"""))


def heatmap(con: Connection, rubric_id: str, level: str, period: str) -> pd.DataFrame:
    """Units × metrics, share of max points earned (NULL where there is no data); rows in rank order."""
    return _df(con, HEATMAP_SQL, [rubric_id, level, period])


LEVEL_DISTRIBUTION_SQL = """
SELECT level, coalesce(class_label, '') AS class_label, count(*) AS units
FROM unit_scores
WHERE rubric_id = ? AND period = ?
GROUP BY ALL ORDER BY level, class_label
"""


def level_distribution(con: Connection, rubric_id: str, period: str) -> pd.DataFrame:
    """How many units of each level fall in each class."""
    return _df(con, LEVEL_DISTRIBUTION_SQL, [rubric_id, period])


INDEX_VALUES_SQL = "SELECT level, index_pct FROM unit_scores WHERE rubric_id = ? AND period = ?"


def index_values(con: Connection, rubric_id: str, period: str) -> pd.DataFrame:
    """Every unit's index for a period with its level (for distribution charts)."""
    return _df(con, INDEX_VALUES_SQL, [rubric_id, period])


COMPARE_PERIODS_SQL = "\n".join((WITH_UNIT_NAMES, """
SELECT coalesce(a.unit_code, b.unit_code) AS unit_code,
       coalesce(n.name, a.unit_code, b.unit_code) AS name,
       a.index_pct AS index_a, b.index_pct AS index_b, b.index_pct - a.index_pct AS index_change,
       a.rank AS rank_a, b.rank AS rank_b
FROM (SELECT * FROM unit_scores WHERE rubric_id = $rubric_id AND level = $level AND period = $period_a) a
FULL JOIN (SELECT * FROM unit_scores WHERE rubric_id = $rubric_id AND level = $level AND period = $period_b) b
  USING (unit_code)
LEFT JOIN unit_names n ON n.unit_code = coalesce(a.unit_code, b.unit_code)
ORDER BY index_change DESC NULLS LAST
"""))


def compare_periods(con: Connection, rubric_id: str, level: str, period_a: str, period_b: str) -> pd.DataFrame:
    """Each unit's index in two periods and the change from the first to the second."""
    params = {"rubric_id": rubric_id, "level": level, "period_a": period_a, "period_b": period_b}
    return _df(con, COMPARE_PERIODS_SQL, params)


# --- collection health --------------------------------------------------------------------------------------

COLLECTOR_GRID_SQL = "\n".join((WITH_UNIT_NAMES, """
SELECT a.unit_code, coalesce(n.name, a.unit_code) AS name, a.system,
       max(a.started_at) FILTER (WHERE a.outcome = $success) AS last_success,
       max(a.started_at) FILTER (WHERE a.outcome <> $success) AS last_failure,
       arg_max(a.error, a.started_at) FILTER (WHERE a.outcome <> $success) AS last_error,
       arg_max(a.outcome, a.started_at) AS last_outcome,
       arg_max(a.duration_s, a.started_at) AS last_duration_s
FROM attempts a
LEFT JOIN unit_names n USING (unit_code)
GROUP BY ALL
ORDER BY name, a.system
"""))


def collector_grid(con: Connection) -> pd.DataFrame:
    """One row per unit and system: last success, last failure and its error, last outcome and latency."""
    return _df(con, COLLECTOR_GRID_SQL, {"success": SUCCESS_OUTCOME})


def stale_sources(con: Connection, now: datetime, max_age: timedelta = timedelta(hours=6)) -> pd.DataFrame:
    """Unit systems with no successful poll within ``max_age`` of ``now`` (or never), stalest first."""
    return stale_sources_from_grid(collector_grid(con), now, max_age)


def stale_sources_from_grid(grid: pd.DataFrame, now: datetime, max_age: timedelta = timedelta(hours=6)) -> pd.DataFrame:
    """The stale rows of a :func:`collector_grid` frame (see :func:`stale_sources`)."""
    if grid.empty:
        return grid
    cutoff = pd.Timestamp(now - max_age)
    if cutoff.tzinfo is None:
        cutoff = cutoff.tz_localize("UTC")
    last = pd.to_datetime(grid["last_success"], utc=True)
    return grid[last.isna() | (last < cutoff)].sort_values("last_success", na_position="first")


RECENT_ATTEMPTS_SQL = """
SELECT started_at, unit_code, system, outcome, http_status, duration_s, records_read, error
FROM attempts ORDER BY started_at DESC LIMIT ?
"""


def recent_attempts(con: Connection, limit: int = 200) -> pd.DataFrame:
    """The latest polls, newest first."""
    return _df(con, RECENT_ATTEMPTS_SQL, [int(limit)])


QUARANTINE_SQL = """
SELECT quarantined_at, source, unit_code, feed, natural_key, reason
FROM quarantine ORDER BY quarantined_at DESC LIMIT ?
"""


def quarantine(con: Connection, limit: int = 200) -> pd.DataFrame:
    """Records refused at the door, newest first, with the reason naming field and rule."""
    return _df(con, QUARANTINE_SQL, [int(limit)])


FRESHNESS_SQL = """
SELECT (SELECT max(finished_at) FROM cycles) AS last_cycle,
       (SELECT max(started_at) FROM attempts WHERE outcome = ?) AS last_success
"""

SCORES_COMPUTED_SQL = "SELECT max(computed_at) AS scores_computed FROM unit_scores"


def freshness(con: Connection) -> dict[str, Any]:
    """When data last arrived: last finished cycle, last successful poll, last scoring (None when unknown)."""
    row = _df(con, FRESHNESS_SQL, [SUCCESS_OUTCOME]).iloc[0].to_dict()
    row["scores_computed"] = None
    if _table_exists(con, "unit_scores"):
        row["scores_computed"] = _df(con, SCORES_COMPUTED_SQL).iloc[0, 0]
    return {key: (None if pd.isna(value) else value) for key, value in row.items()}


UNIT_LIST_SQL = "\n".join((WITH_UNIT_NAMES, """
SELECT DISTINCT s.unit_code, coalesce(n.name, s.unit_code) AS name, s.level
FROM unit_scores s LEFT JOIN unit_names n USING (unit_code)
WHERE s.rubric_id = ? AND s.period = ?
ORDER BY name
"""))


def unit_list(con: Connection, rubric_id: str, period: str) -> pd.DataFrame:
    """Scored units of a period with name and level (for pickers)."""
    return _df(con, UNIT_LIST_SQL, [rubric_id, period])
