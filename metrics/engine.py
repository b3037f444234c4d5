"""The scoring engine: per-unit, per-period counts + a rubric → metric, block and unit scores.

`score_counts` is a pure function over DataFrames (the same path serves raw records and a counts CSV);
`refresh_scores` computes counts from the raw tables of a connection and replaces the stored score rows.
Vectorised per metric (numpy over all units and periods at once), never a Python loop over records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from metrics import scoring
from metrics.calendar import WorkCalendar
from metrics.counts import DATA_MONTHS, MONTH_OF, MONTHLY_QUERIES, add_derived, combine, raw_counts, to_wide
from metrics.periods import Period, periods_for_months
from metrics.rubric import SOURCES, Metric, Rubric, load_rubrics

VN_TZ = timezone(timedelta(hours=7))
STATUSES = ("ok", "na", "no_data")
NOT_ENOUGH_DATA_VI = "Chưa đủ dữ liệu xếp hạng"
NOT_ENOUGH_DATA_EN = "Not enough data to rank"
POLLED_SOURCES = ("eoffice", "onestop", "mail", "portal")

METRIC_COLUMNS = [
    "rubric_id", "rubric_version", "period", "unit_code", "metric_id", "block", "numerator", "denominator",
    "value", "applicable", "status", "points", "max_points", "gap_vi", "gap_en", "computed_at", "level",
    "gap_count", "target",
]
UNIT_COLUMNS = [
    "rubric_id", "rubric_version", "period", "unit_code", "level", "points", "applicable_max", "index_pct",
    "rank", "rank_prev", "rank_change", "class_label", "provisional", "provisional_reason", "computed_at",
    "index_value", "class_label_en", "is_ranked", "coverage_ok", "missing_metrics", "stale_sources",
]
BLOCK_COLUMNS = ["rubric_id", "rubric_version", "period", "unit_code", "block", "points", "max_points"]

SCORE_TABLES_DDL = """
CREATE TABLE IF NOT EXISTS metric_scores (
    rubric_id VARCHAR NOT NULL, rubric_version VARCHAR NOT NULL, period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL,
    metric_id VARCHAR NOT NULL, block VARCHAR NOT NULL, numerator DOUBLE, denominator DOUBLE, value DOUBLE,
    applicable BOOLEAN, status VARCHAR NOT NULL, points DOUBLE, max_points DOUBLE NOT NULL, gap_vi VARCHAR,
    gap_en VARCHAR, computed_at TIMESTAMPTZ NOT NULL, level VARCHAR, gap_count BIGINT, target DOUBLE
);
CREATE TABLE IF NOT EXISTS unit_scores (
    rubric_id VARCHAR NOT NULL, rubric_version VARCHAR NOT NULL, period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL,
    level VARCHAR, points DOUBLE, applicable_max DOUBLE, index_pct DOUBLE, rank INTEGER, rank_prev INTEGER,
    rank_change INTEGER, class_label VARCHAR, provisional BOOLEAN NOT NULL, provisional_reason VARCHAR,
    computed_at TIMESTAMPTZ NOT NULL, index_value DOUBLE, class_label_en VARCHAR, is_ranked BOOLEAN,
    coverage_ok BOOLEAN, missing_metrics VARCHAR, stale_sources VARCHAR
);
CREATE TABLE IF NOT EXISTS block_scores (
    rubric_id VARCHAR NOT NULL, rubric_version VARCHAR NOT NULL, period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL,
    block VARCHAR NOT NULL, points DOUBLE, max_points DOUBLE
);
"""


def ensure_score_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the score tables when absent (they are derived data: rebuilt by refresh_scores)."""
    con.execute(SCORE_TABLES_DDL)


@dataclass(frozen=True)
class Scores:
    metrics: pd.DataFrame
    units: pd.DataFrame
    blocks: pd.DataFrame


def _round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    scale = 10.0 ** decimals
    return np.floor(values * scale + 0.5 + 1e-9) / scale


def _sum_columns(wide: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Σ of the named counts per row; NaN when any is missing (absent column = no data)."""
    total = np.zeros(len(wide))
    for name in names:
        if name not in wide.columns:
            return np.full(len(wide), np.nan)
        total = total + wide[name].to_numpy(dtype=np.float64)
    return total


def _fmt_number(x: float, vi: bool) -> str:
    text = f"{x:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if vi else text


def _pct_labels(targets: np.ndarray, vi: bool) -> pd.Series:
    """'95%' / '99,5%' for a share, the bare number for a rate target (e.g. 8 items a month)."""
    labels = {t: (f"{_fmt_number(t * 100, vi)}%" if t <= 1 else _fmt_number(t, vi))
              for t in np.unique(targets[~np.isnan(targets)])}
    return pd.Series(targets).map(labels).astype(object).fillna("").astype(str)


def _gap_texts(metric: Metric, needed: np.ndarray, target: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Concrete gap sentences, Vietnamese and English; None where there is no gap or no unit name."""
    show = ~np.isnan(needed) & (needed > 0) & bool(metric.gap_unit_vi)
    count = pd.Series(np.where(show, needed, 0), dtype="int64").astype(str)
    if metric.function == "inverse_linear":
        vi = "cần giảm " + count + f" {metric.gap_unit_vi} để đạt đủ điểm"
        en = count + f" fewer {metric.gap_unit_en} reach full points"
    elif metric.function == "norm_ref":
        vi = "cần thêm " + count + f" {metric.gap_unit_vi} để đạt mức tham chiếu của cấp"
        en = count + f" more {metric.gap_unit_en} reach the level's reference"
    else:
        vi = "cần thêm " + count + f" {metric.gap_unit_vi} để đạt " + _pct_labels(target, True)
        en = count + f" more {metric.gap_unit_en} reach " + _pct_labels(target, False)
    return vi.where(show, None), en.where(show, None)


def _constant(n: int, value: str, categories: list[str]) -> pd.Categorical:
    """n copies of `value` as a categorical sharing `categories`, so concatenation stays categorical."""
    return pd.Categorical.from_codes(np.full(n, categories.index(value), dtype=np.int16), categories)


def _metric_frame(rubric: Rubric, metric: Metric, rows: pd.DataFrame, wide: pd.DataFrame) -> pd.DataFrame:
    """Score one metric for every (unit, period) row whose level it applies to."""
    mask = rows["level"].isin(metric.levels).to_numpy()
    sub = wide[mask]
    levels = rows.loc[mask, "level"].to_numpy()
    n = len(sub)
    if metric.function == "weighted_sum":
        num = _sum_columns(sub, metric.terms[0].numerator)
        den = _sum_columns(sub, metric.terms[0].denominator) if metric.terms[0].denominator else np.ones(n)
        parts = []
        missing = np.zeros(n, dtype=bool)
        not_applicable = np.zeros(n, dtype=bool)
        for term in metric.terms:
            t_num = _sum_columns(sub, term.numerator)
            t_den = _sum_columns(sub, term.denominator) if term.denominator else np.ones(n)
            missing |= np.isnan(t_num) | np.isnan(t_den)
            empty = t_den == 0
            r = scoring.ratio(t_num, t_den)
            if term.empty == "zero":
                r = np.where(empty, 0.0, r)
            elif term.empty == "full":
                r = np.where(empty, 1.0, r)
            else:
                not_applicable |= empty
            parts.append((r, term.weight, term.cap))
        points = scoring.weighted_sum(parts, metric.cap)
        value = points / metric.max_points
        status = np.where(missing, "no_data", np.where(not_applicable, "na", "ok"))
        target = np.full(n, np.nan)
        needed = np.full(n, np.nan)
    else:
        num = _sum_columns(sub, metric.numerator)
        if metric.function == "checklist":
            den = np.where(np.isnan(num), np.nan, float(len(metric.numerator)))
        elif metric.function == "given":
            den = np.ones(n)
        else:
            den = _sum_columns(sub, metric.denominator)
        missing = np.isnan(num) | np.isnan(den)
        empty = ~missing & (den == 0)
        value = scoring.ratio(num, den)
        by_level = {lvl: metric.target_for(lvl) or np.nan for lvl in metric.levels}
        target = pd.Series(levels).map(by_level).to_numpy(dtype=np.float64)
        params: dict[str, object] = {"target": target, "bands": metric.bands}
        if metric.function == "linear_target":
            points = scoring.linear_target(value, metric.max_points, target)
        elif metric.function == "banded":
            points = scoring.banded(value, metric.max_points, metric.bands)
        elif metric.function == "checklist":
            points = scoring.checklist(num, den, metric.max_points)
        elif metric.function == "inverse_linear":
            points = scoring.inverse_linear(value, metric.max_points, metric.zero_at or 1.0)
        elif metric.function == "norm_ref":
            q = int((metric.reference or "p90")[1:]) / 100
            keys = pd.DataFrame({"period": sub.index.get_level_values("period"), "level": levels, "value": value})
            refs = keys.groupby(["period", "level"])["value"].quantile(q).rename("ref")
            target = keys.join(refs, on=["period", "level"])["ref"].to_numpy(dtype=np.float64)
            params["target"] = target
            points = scoring.norm_ref(value, metric.max_points, target)
        else:
            points = scoring.SCALAR_FUNCTIONS[metric.function](value, metric.max_points)
        policy_points = {"zero": 0.0, "full": metric.max_points}.get(metric.empty, np.nan)
        points = np.where(empty, policy_points, points)
        status = np.where(missing, "no_data", np.where(empty & (metric.empty == "na"), "na", "ok"))
        goal = scoring.target_for_gap(metric.function, params, value)
        if metric.function == "inverse_linear":
            needed = np.ceil(num - goal * den - 1e-9)
        else:
            needed = np.ceil(goal * den - num - 1e-9)
        needed = np.where((status == "ok") & ~empty, needed, np.nan)
        target = goal
    points = np.where(status == "ok", points, np.nan)
    applicable = pd.array(np.where(status == "no_data", None, status == "ok"), dtype="boolean")
    gap_vi, gap_en = _gap_texts(metric, needed, target)
    return pd.DataFrame({
        "period": sub.index.get_level_values("period"),
        "unit_code": sub.index.get_level_values("unit_code"),
        "metric_id": _constant(n, metric.id, [m.id for m in rubric.metrics]),
        "block": _constant(n, metric.block, [b.id for b in rubric.blocks]),
        "numerator": num,
        "denominator": den,
        "value": value,
        "applicable": applicable,
        "status": pd.Categorical(status, categories=STATUSES),
        "points": points,
        "max_points": metric.max_points,
        "gap_vi": gap_vi.to_numpy(dtype=object),
        "gap_en": gap_en.to_numpy(dtype=object),
        "level": levels,
        "gap_count": pd.array(np.where(np.isnan(needed), None, needed), dtype="Int64"),
        "target": target,
        "source": _constant(n, metric.source, list(SOURCES)),
    })


def _inherit(rubric: Rubric, wide: pd.DataFrame, rows: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """Counts of the unit at level `counts_from` (e.g. the province) in place of the unit's own."""
    donors = rows[rows["level"] == metric.counts_from]
    if donors.empty:
        return wide
    donor_counts = wide.loc[donors.index]
    donor_by_period = donor_counts.groupby(level="period").first()
    names = [n for n in metric.count_names if n in wide.columns]
    replaced = wide.copy()
    periods = wide.index.get_level_values("period")
    for name in names:
        replaced[name] = donor_by_period[name].reindex(periods).to_numpy()
    return replaced


def _stale_sources(staleness: Mapping[tuple[str, str], Iterable[str]] | None, rows: pd.DataFrame) -> list[str]:
    if not staleness:
        return [""] * len(rows)
    keys = zip(rows.index.get_level_values("unit_code"), rows.index.get_level_values("period"), strict=True)
    return [",".join(sorted(staleness.get(key, ()))) for key in keys]


def score_counts(
    rubric: Rubric,
    counts: pd.DataFrame,
    units: pd.DataFrame,
    periods: Sequence[str],
    *,
    staleness: Mapping[tuple[str, str], Iterable[str]] | None = None,
    computed_at: datetime | None = None,
) -> Scores:
    """Score counts under `rubric`: long form (unit_code, period, name, value) or wide (one column per name).

    `units` has one row per (unit_code, period) with level and is_ranked; `staleness` maps (unit, period) to
    the sources whose data is stale. Ranks compare units of one level within one period.
    """
    computed_at = computed_at or datetime.now(UTC)
    rows = units[units["period"].isin(periods) & units["level"].isin(rubric.levels)]
    rows = rows.drop_duplicates(["unit_code", "period"])
    # Categorical keys: millions of metric rows share a few thousand unit codes and a few dozen periods.
    rows = rows.astype({"unit_code": "category", "period": "category", "level": "category"})
    rows = rows.set_index(["unit_code", "period"]).sort_index()
    if rows.empty:
        return Scores(pd.DataFrame(columns=METRIC_COLUMNS), pd.DataFrame(columns=UNIT_COLUMNS),
                      pd.DataFrame(columns=BLOCK_COLUMNS))
    wide = to_wide(counts)
    wide = wide.astype({"unit_code": str, "period": str}).set_index(["unit_code", "period"])
    wide = add_derived(wide.drop(columns=[c for c in wide.columns if c in ("unit_name", "level")], errors="ignore")
                       .reindex(rows.index))
    frames = []
    for metric in rubric.metrics:
        source_wide = _inherit(rubric, wide, rows, metric) if metric.counts_from else wide
        frames.append(_metric_frame(rubric, metric, rows, source_wide))
    metric_scores = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=METRIC_COLUMNS)
    metric_scores.insert(0, "rubric_version", rubric.version)
    metric_scores.insert(0, "rubric_id", rubric.id)
    metric_scores["computed_at"] = computed_at
    units_out = _unit_scores(rubric, metric_scores, rows, staleness, computed_at)
    blocks = _block_scores(rubric, metric_scores)
    return Scores(metric_scores[METRIC_COLUMNS], units_out, blocks)


def _block_scores(rubric: Rubric, ms: pd.DataFrame) -> pd.DataFrame:
    ok = ms[ms["status"] == "ok"]
    base = ms[["period", "unit_code", "block"]].drop_duplicates()
    sums = ok.groupby(["period", "unit_code", "block"]).agg(points=("points", "sum"), max_points=("max_points", "sum"))
    out = base.merge(sums.reset_index(), how="left", on=["period", "unit_code", "block"])
    out.insert(0, "rubric_version", rubric.version)
    out.insert(0, "rubric_id", rubric.id)
    return out[BLOCK_COLUMNS]


UNIT_AGGREGATE = """
SELECT unit_code, period,
       coalesce(sum(points) FILTER (WHERE status = 'ok'), 0) AS points,
       coalesce(sum(max_points) FILTER (WHERE status = 'ok'), 0) AS applicable_max,
       string_agg(metric_id, ',' ORDER BY metric_id) FILTER (WHERE status = 'no_data') AS missing_metrics
FROM ms GROUP BY ALL
"""


def _unit_scores(rubric: Rubric, ms: pd.DataFrame, rows: pd.DataFrame,
                 staleness: Mapping[tuple[str, str], Iterable[str]] | None, computed_at: datetime) -> pd.DataFrame:
    with duckdb.connect() as local:
        local.register("ms", ms[["unit_code", "period", "metric_id", "status", "points", "max_points"]])
        agg = local.execute(UNIT_AGGREGATE).df().set_index(["unit_code", "period"])
    out = rows.join(agg, how="left")
    out["points"] = out["points"].fillna(0.0)
    out["applicable_max"] = out["applicable_max"].fillna(0.0)
    out["missing_metrics"] = out["missing_metrics"].fillna("")
    has_max = out["applicable_max"] > 0
    share = (out["points"] / out["applicable_max"]).where(has_max)
    out["index_pct"] = 100.0 * share
    out["index_value"] = rubric.index_scale * share
    out["stale_sources"] = _stale_sources(staleness, out)
    out["coverage_ok"] = has_max & (out["applicable_max"] >= rubric.min_applicable_max - 1e-9)
    is_ranked = out["is_ranked"].fillna(True).astype(bool) if "is_ranked" in out else True
    out["is_ranked"] = is_ranked
    rankable = out["coverage_ok"] & out["is_ranked"]
    rounded = _round_half_up(out["index_value"], rubric.index_decimals)
    rank_key = rounded.where(rankable)
    out["rank"] = rank_key.groupby([out.index.get_level_values("period"), out["level"]]).rank(
        method="min", ascending=False).astype("Int64")
    out["provisional"] = (out["missing_metrics"] != "") | (out["stale_sources"] != "")
    out["provisional_reason"] = [
        "; ".join(filter(None, [f"thiếu dữ liệu / no data: {m}" if m else "",
                                f"nguồn dữ liệu cũ / stale source: {s}" if s else ""])) or None
        for m, s in zip(out["missing_metrics"], out["stale_sources"], strict=True)
    ]
    labels_vi, labels_en = [], []
    index_rounded = _round_half_up(out["index_pct"], 2)
    for covered, idx in zip(out["coverage_ok"], index_rounded, strict=True):
        if not covered:
            labels_vi.append(NOT_ENOUGH_DATA_VI)
            labels_en.append(NOT_ENOUGH_DATA_EN)
            continue
        band = next((c for c in rubric.classes if idx >= c.min_index - 1e-9), None)
        labels_vi.append(band.label_vi if band else None)
        labels_en.append(band.label_en if band else None)
    out["class_label"] = labels_vi
    out["class_label_en"] = labels_en
    out = out.reset_index()
    out["rubric_id"] = rubric.id
    out["rubric_version"] = rubric.version
    out["computed_at"] = computed_at
    prev = {str(Period.parse(p)): str(Period.parse(p).previous()) for p in out["period"].unique()}
    ranks = out.set_index(["unit_code", "period"])["rank"]
    prev_keys = pd.MultiIndex.from_arrays([out["unit_code"], out["period"].map(prev)])
    out["rank_prev"] = ranks.reindex(prev_keys).to_numpy()
    out["rank_prev"] = out["rank_prev"].astype("Int64")
    out["rank_change"] = (out["rank_prev"] - out["rank"]).astype("Int64")
    return out[UNIT_COLUMNS]


# ---------------------------------------------------------------------------------------------- raw records → stored scores

UNITS_FOR_PERIODS = """
SELECT p.period, u.unit_code, arg_max(u.level, u.valid_from) AS level, arg_max(u.is_ranked, u.valid_from) AS is_ranked,
       arg_max(u.name, u.valid_from) AS name
FROM units u JOIN itmon_periods p ON u.valid_from <= p.p_end AND (u.valid_to IS NULL OR u.valid_to >= p.p_start)
GROUP BY ALL
"""

LAST_SUCCESS = """
SELECT unit_code, system, max(started_at) FILTER (WHERE outcome IN ('success', 'ok')) AS last_success
FROM attempts GROUP BY ALL
"""

DELETE_ROWS = {
    "metric_scores": "DELETE FROM metric_scores WHERE rubric_id = ? AND period IN (SELECT unnest(?::VARCHAR[]))",
    "unit_scores": "DELETE FROM unit_scores WHERE rubric_id = ? AND period IN (SELECT unnest(?::VARCHAR[]))",
    "block_scores": "DELETE FROM block_scores WHERE rubric_id = ? AND period IN (SELECT unnest(?::VARCHAR[]))",
}
INSERT_ROWS = {
    "metric_scores": "INSERT INTO metric_scores BY NAME SELECT * FROM frame",
    "unit_scores": "INSERT INTO unit_scores BY NAME SELECT * FROM frame",
    "block_scores": "INSERT INTO block_scores BY NAME SELECT * FROM frame",
}


def staleness_from_attempts(
    con: duckdb.DuckDBPyConnection, periods: Sequence[Period], stale_after_days: float, now: datetime,
) -> dict[tuple[str, str], list[str]]:
    """(unit, period) → polled sources whose last success is older than min(period end, now) − tolerance."""
    last = con.execute(LAST_SUCCESS).df()
    last = last[last["system"].isin(POLLED_SOURCES)]
    if last.empty or not periods:
        return {}
    tolerance = pd.Timedelta(days=stale_after_days)
    ends = pd.DataFrame({
        "period": [str(p) for p in periods],
        "reference": [min(datetime.combine(p.end, datetime.max.time(), VN_TZ), now) for p in periods],
    })
    ends["reference"] = pd.to_datetime(ends["reference"], utc=True) - tolerance
    pairs = last.merge(ends, how="cross")
    success = pd.to_datetime(pairs["last_success"], utc=True)
    pairs = pairs[success.isna() | (success < pairs["reference"])]
    grouped = pairs.groupby(["unit_code", "period"])["system"].agg(sorted)
    return {key: list(systems) for key, systems in grouped.items()}


def self_report_counts(self_reports: pd.DataFrame | Iterable[tuple[str, str, str, float]] | None,
                       periods: Sequence[Period]) -> pd.DataFrame:
    """Spread self-reported counts onto scored periods: a report for P applies to every period ending inside P."""
    frame = pd.DataFrame(self_reports if self_reports is not None else [], columns=["unit_code", "period", "name", "value"])
    if frame.empty:
        return frame
    spans = {p: Period.parse(p) for p in frame["period"].unique()}
    out = []
    for target in periods:
        covering = [p for p, span in spans.items() if span.start <= target.end <= span.end]
        if not covering:
            continue
        chosen = frame[frame["period"].isin(covering)].copy()
        chosen["span"] = chosen["period"].map(lambda p: spans[p].month_count)
        chosen = chosen.sort_values("span").drop_duplicates(["unit_code", "name"])
        chosen["period"] = str(target)
        out.append(chosen[["unit_code", "period", "name", "value"]])
    return pd.concat(out, ignore_index=True) if out else frame.iloc[0:0]


def _write(con: duckdb.DuckDBPyConnection, rubric_id: str, periods: list[str], scores: Scores, own: bool) -> None:
    """Replace the rows of (rubric, periods) in the three score tables, in one transaction when `own`."""
    if own:
        con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in (("metric_scores", scores.metrics), ("unit_scores", scores.units),
                             ("block_scores", scores.blocks)):
            con.execute(DELETE_ROWS[table], [rubric_id, periods])
            chosen = frame[frame["period"].isin(periods)]
            con.register("frame", pa.Table.from_pandas(chosen, preserve_index=False))
            try:
                con.execute(INSERT_ROWS[table])
            finally:
                con.unregister("frame")
        if own:
            con.execute("COMMIT")
    except Exception:
        if own:
            con.execute("ROLLBACK")
        raise


def _data_months(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """The (year, month) pairs with data, from the monthly tables `raw_counts` just built on `con`."""
    union = " UNION ".join(MONTH_OF.format(table=table) for table in MONTHLY_QUERIES)
    return [(int(y), int(m)) for y, m in con.execute(DATA_MONTHS.format(union=union)).fetchall()]


def refresh_scores(
    con: duckdb.DuckDBPyConnection,
    rubric_ids: Iterable[str] | None = None,
    periods: Iterable[Period | str] | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    self_reports: pd.DataFrame | Iterable[tuple[str, str, str, float]] | None = None,
    staleness: Mapping[tuple[str, str], Iterable[str]] | None = None,
    rubrics: Mapping[str, Rubric] | None = None,
    calendar: WorkCalendar | None = None,
    own_transaction: bool = True,
) -> dict[str, int]:
    """Compute counts from the raw tables and replace the score rows of the given rubrics × periods.

    Default rubrics: every rubric file; default periods: every month, quarter, year and YTD with data. The
    previous period of each is computed too (for rank change) but only the requested periods are stored.
    Each rubric's rows are replaced in one transaction; pass own_transaction=False when calling inside one.
    Returns the number of unit rows written per rubric.
    """
    now = clock()
    available = dict(rubrics) if rubrics is not None else load_rubrics()
    chosen_ids = list(rubric_ids) if rubric_ids is not None else sorted(available)
    unknown = [r for r in chosen_ids if r not in available]
    if unknown:
        raise KeyError(f"unknown rubric(s) {unknown}; known rubrics: {sorted(available)}")
    requested = [p if isinstance(p, Period) else Period.parse(p) for p in periods] if periods is not None else None
    with_prev = None if requested is None else sorted({*requested, *(p.previous() for p in requested)}, key=str)
    counts, computed = raw_counts(con, with_prev, calendar=calendar, today=now.astimezone(VN_TZ).date())
    store = [str(p) for p in (requested or computed)]
    if requested is not None:
        # A previous period serves rank changes only when it has data: the same ranks as a full refresh.
        with_data = set(periods_for_months(_data_months(con)))
        computed = [p for p in computed if p in requested or p in with_data]
    counts = combine(counts, self_report_counts(self_reports, computed))
    units = con.execute(UNITS_FOR_PERIODS).df()
    ensure_score_tables(con)
    written: dict[str, int] = {}
    for rubric_id in chosen_ids:
        rubric = available[rubric_id]
        stale = staleness if staleness is not None else staleness_from_attempts(
            con, computed, rubric.stale_after_days, now)
        scores = score_counts(rubric, counts, units, [str(p) for p in computed], staleness=stale, computed_at=now)
        _write(con, rubric.id, store, scores, own_transaction)
        written[rubric_id] = int(scores.units["period"].isin(store).sum())
    return written
