"""`python -m metrics`: score, explain, publish, rubrics.

    python -m metrics score --rubric qd766 --counts FILE.csv --period 2026 [--format table|csv|json]
    python -m metrics score --rubric province-it --db data/snapshot.duckdb --period 2026-03
    python -m metrics explain UNIT METRIC --period P --rubric R (--counts FILE.csv | --db FILE.duckdb)
    python -m metrics publish --rubric R --period P [--data-dir data] [--by NAME]
    python -m metrics rubrics [--validate FILE ...]
    python -m metrics calendar [--check] [--file data/calendar.toml]

The counts CSV layout is documented in docs/scoring.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from metrics.calendar import DEFAULT_CALENDAR, CalendarError, parse_calendar
from metrics.counts import combine, raw_counts
from metrics.engine import UNITS_FOR_PERIODS, Scores, score_counts, self_report_counts
from metrics.explain import ExplainError, explain_metric
from metrics.periods import Period, PeriodError
from metrics.publication import WORKFLOW_DB_NAME, PublicationError, publish
from metrics.rubric import DEFAULT_RUBRIC_DIR, LEVELS, Rubric, RubricError, load_rubric, load_rubrics

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
COUNTS_REQUIRED = ("unit_code", "period", "name", "value")
COUNTS_OPTIONAL = ("unit_name", "level", "is_ranked")
_COUNT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UsageError(ValueError):
    """Bad input from the command line or an input file; the message names what and where."""


def read_counts_csv(path: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the long-form counts CSV → (counts, units without period). Errors name the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in COUNTS_REQUIRED if c not in header]
    if missing:
        raise UsageError(f"{path}: header lacks column(s) {missing}; the layout is "
                         f"{', '.join(COUNTS_REQUIRED)}[, {', '.join(COUNTS_OPTIONAL)}] (docs/scoring.md)")
    unknown = [c for c in header if c not in COUNTS_REQUIRED + COUNTS_OPTIONAL]
    if unknown:
        raise UsageError(f"{path}: unknown column(s) {unknown}; allowed: {list(COUNTS_REQUIRED + COUNTS_OPTIONAL)}")
    counts, units, seen = [], {}, set()
    for line, row in enumerate(reader, start=2):
        where = f"{path} line {line}"
        unit = unicodedata.normalize("NFC", (row["unit_code"] or "").strip())
        if not unit:
            raise UsageError(f"{where}: unit_code is empty")
        try:
            period = str(Period.parse(row["period"] or ""))
        except PeriodError as exc:
            raise UsageError(f"{where}: column period: {exc}") from None
        name = (row["name"] or "").strip()
        if not _COUNT_NAME.match(name):
            raise UsageError(f"{where}: column name: {name!r} is not a count name (lower-case letters, digits, _)")
        raw = (row["value"] or "").strip()
        try:
            value = float(raw.replace(",", ".")) if raw else math.nan
        except ValueError:
            raise UsageError(f"{where}: column value: {raw!r} is not a number; leave it empty for no data") from None
        if value < 0:
            raise UsageError(f"{where}: column value: {raw} is negative; counts are ≥ 0")
        if (unit, period, name) in seen:
            raise UsageError(f"{where}: {unit} {period} {name} appears twice; keep one row per count")
        seen.add((unit, period, name))
        counts.append((unit, period, name, value))
        level = (row.get("level") or "").strip()
        if level and level not in LEVELS:
            raise UsageError(f"{where}: column level: {level!r} is not one of {list(LEVELS)}")
        entry = units.setdefault(unit, {"unit_code": unit, "name": None, "level": None, "is_ranked": True})
        if level:
            entry["level"] = level
        if (row.get("unit_name") or "").strip():
            entry["name"] = unicodedata.normalize("NFC", row["unit_name"].strip())
        if (row.get("is_ranked") or "").strip():
            entry["is_ranked"] = row["is_ranked"].strip().lower() in ("1", "true", "yes", "có")
    if not counts:
        raise UsageError(f"{path}: no data rows under the header")
    return pd.DataFrame(counts, columns=list(COUNTS_REQUIRED)), pd.DataFrame(list(units.values()))


def _units_for(units: pd.DataFrame, rubric: Rubric, periods: Sequence[str], source: str) -> pd.DataFrame:
    units = units.copy()
    if units["level"].isna().any():
        if len(rubric.levels) != 1:
            missing = units.loc[units["level"].isna(), "unit_code"].head(3).tolist()
            raise UsageError(f"{source}: no level for unit(s) {missing}; add a level column "
                             f"(rubric {rubric.id} scores {list(rubric.levels)})")
        units["level"] = units["level"].fillna(rubric.levels[0])
    return pd.concat([units.assign(period=p) for p in periods], ignore_index=True)


def _inputs(args: argparse.Namespace, rubric: Rubric, periods: list[Period]
            ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    if args.counts:
        counts, units = read_counts_csv(args.counts)
        names = [str(p) for p in periods] or sorted(counts["period"].unique())
        return counts, _units_for(units, rubric, names, str(args.counts)), names
    if not args.db:
        raise UsageError("give --counts FILE.csv or --db FILE.duckdb")
    if not Path(args.db).is_file():
        raise UsageError(f"--db {args.db}: no such file")
    con = duckdb.connect(str(args.db), read_only=True)
    try:
        with_prev = sorted({*periods, *(p.previous() for p in periods)}, key=str) if periods else None
        counts, computed = raw_counts(con, with_prev)
        units = con.execute(UNITS_FOR_PERIODS).df()
    finally:
        con.close()
    if args.self_reports:
        reports, _ = read_counts_csv(args.self_reports)
        counts = combine(counts, self_report_counts(reports, computed))
    return counts, units, [str(p) for p in computed]


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _render(scores: Scores, periods: list[str], fmt: str, names: pd.DataFrame | None) -> str:
    units = scores.units[scores.units["period"].isin(periods)].copy()
    if names is not None and "name" in names:
        units = units.merge(names[["unit_code", "name"]].drop_duplicates("unit_code"), on="unit_code", how="left")
    else:
        units["name"] = None
    units = units.sort_values(["period", "level", "rank", "unit_code"], na_position="last")
    cols = ["period", "level", "rank", "unit_code", "name", "points", "applicable_max", "index_value", "index_pct",
            "class_label", "rank_change", "provisional", "provisional_reason"]
    out = units[cols]
    if fmt == "json":
        return out.to_json(orient="records", force_ascii=False, indent=1)
    if fmt == "csv":
        return out.map(_safe_cell).to_csv(index=False)
    return out.drop(columns=["provisional_reason"]).to_string(index=False, float_format=lambda x: f"{x:.4f}")


def _cmd_score(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> str:
    rubric = _rubric(args, rubrics)
    periods = [Period.parse(p) for p in args.period or []]
    counts, units, names = _inputs(args, rubric, periods)
    scores = score_counts(rubric, counts, units, names)
    shown = [str(p) for p in periods] or names
    return _render(scores, shown, args.format, units)


def _cmd_explain(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> str:
    rubric = _rubric(args, rubrics)
    period = Period.parse(args.period)
    counts, units, _ = _inputs(args, rubric, [period])
    return explain_metric(rubric, counts, units, args.unit, args.metric, str(period)).text()


def _cmd_publish(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> str:
    rubric = _rubric(args, rubrics)
    data_dir = Path(args.data_dir)
    snapshot = Path(args.db) if args.db else data_dir / "snapshot.duckdb"
    if not snapshot.is_file():
        raise UsageError(f"{snapshot}: no snapshot to publish from; start the daemon or pass --db")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        pub = publish(con, data_dir / WORKFLOW_DB_NAME, rubric, str(Period.parse(args.period)), published_by=args.by)
    finally:
        con.close()
    _audit_publication(data_dir, args.by, pub)
    return (f"published {pub.rubric_id} {pub.rubric_version} {pub.period}: {pub.units} units at {pub.published_at}; "
            f"input hash {pub.input_hash}")


def _audit_publication(data_dir: Path, actor: str, pub: object) -> None:
    from workflows.audit import PUBLICATION, log_event
    from workflows.store import open_store

    target = f"{pub.rubric_id} {pub.rubric_version} {pub.period}"  # type: ignore[attr-defined]
    log_event(open_store(data_dir / WORKFLOW_DB_NAME), actor=actor, action=PUBLICATION, target=target,
              after={"units": pub.units, "input_hash": pub.input_hash,  # type: ignore[attr-defined]
                     "published_at": str(pub.published_at)})  # type: ignore[attr-defined]


def _cmd_rubrics(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> str:
    if args.validate:
        lines = []
        for path in args.validate:
            rubric = load_rubric(path)
            lines.append(f"{path}: valid — {rubric.id} {rubric.version}, {len(rubric.metrics)} metrics")
        return "\n".join(lines)
    lines = [f"{'id':<14} {'version':<9} {'valid':<24} {'metrics':>7} {'max':>6}  title"]
    for rubric in rubrics.values():
        valid = f"{rubric.valid_from}…{rubric.valid_to or ''}"
        total = sum(b.max_points for b in rubric.blocks)
        lines.append(f"{rubric.id:<14} {rubric.version:<9} {valid:<24} {len(rubric.metrics):>7} {total:>6g}  "
                     f"{rubric.title_vi}")
    return "\n".join(lines)


def _cmd_calendar(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> str:
    path = Path(args.file) if args.file else DEFAULT_CALENDAR
    calendar = parse_calendar(path.read_text(encoding="utf-8"), str(path))
    lines = [f"{path}: years {min(calendar.years)}–{max(calendar.years)}"]
    for year in sorted(calendar.years):
        holidays = sum(1 for d in calendar.holidays if d.year == year)
        makeup = sum(1 for d in calendar.makeup if d.year == year)
        lines.append(f"  {year}: {holidays} holidays, {makeup} make-up days")
    if args.check:
        this_year = date.today().year
        missing = [y for y in (this_year, this_year + 1) if y not in calendar.years]
        if missing:
            raise UsageError(f"{path}: no [years.{missing[0]}] table — those days count weekends only; "
                             "add the year's holidays from the government notice")
        lines.append(f"  ok: {this_year} and {this_year + 1} are covered")
    return "\n".join(lines)


def _rubric(args: argparse.Namespace, rubrics: dict[str, Rubric]) -> Rubric:
    if args.rubric not in rubrics:
        raise UsageError(f"--rubric {args.rubric}: unknown; known rubrics: {sorted(rubrics)}")
    return rubrics[args.rubric]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description="Scoring engine command line")
    parser.add_argument("--rubric-dir", default=str(DEFAULT_RUBRIC_DIR), help="directory of rubric files")
    sub = parser.add_subparsers(dest="command", required=True)

    def inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rubric", required=True)
        src = p.add_mutually_exclusive_group()
        src.add_argument("--counts", help="long-form counts CSV (docs/scoring.md)")
        src.add_argument("--db", help="DuckDB file with raw tables (opened read-only)")
        p.add_argument("--self-reports", help="with --db: verified self-reports as a counts CSV (block E)")

    score = sub.add_parser("score", help="score units from counts or raw records")
    inputs(score)
    score.add_argument("--period", action="append", help="period (repeatable); default: every period in the input")
    score.add_argument("--format", choices=("table", "csv", "json"), default="table")
    explain = sub.add_parser("explain", help="every step from counts to points for one metric")
    explain.add_argument("unit")
    explain.add_argument("metric")
    explain.add_argument("--period", required=True)
    inputs(explain)
    pub = sub.add_parser("publish", help="freeze a period's ranking into <data-dir>/workflow.sqlite")
    pub.add_argument("--rubric", required=True)
    pub.add_argument("--period", required=True)
    pub.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    pub.add_argument("--db", help="score database to publish from (default <data-dir>/snapshot.duckdb)")
    pub.add_argument("--by", help="who publishes (recorded)")
    rub = sub.add_parser("rubrics", help="list rubrics, or validate rubric files")
    rub.add_argument("--validate", nargs="+", metavar="FILE")
    cal = sub.add_parser("calendar", help="show the working-day calendar; --check fails when a year is missing")
    cal.add_argument("--file", help=f"calendar file (default {DEFAULT_CALENDAR})")
    cal.add_argument("--check", action="store_true")
    return parser


COMMANDS = {"score": _cmd_score, "explain": _cmd_explain, "publish": _cmd_publish, "rubrics": _cmd_rubrics,
            "calendar": _cmd_calendar}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rubrics = load_rubrics(args.rubric_dir)
        output = COMMANDS[args.command](args, rubrics)
    except (UsageError, RubricError, PeriodError, PublicationError, ExplainError, CalendarError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
