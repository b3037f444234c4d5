"""Rubrics as data: load `rubrics/*.toml` and validate them strictly.

A wrong rubric raises one `RubricError` whose message names the file, the metric (or section) and the fix.
The file layout is documented in docs/scoring.md; `rubrics/province-it.toml` is the worked example.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from metrics.scoring import FUNCTION_NAMES

DEFAULT_RUBRIC_DIR = Path(__file__).resolve().parent.parent / "rubrics"

LEVELS = ("province", "department", "commune", "district_legacy")
EMPTY_POLICIES = ("na", "full", "zero")
SOURCES = ("eoffice", "onestop", "mail", "portal", "self_report", "registry", "counts")
BAND_PRESETS: dict[str, tuple[tuple[float, float], ...]] = {
    "B90": ((0.90, 1.0), (0.70, 0.5)),
    "TT01": ((1.00, 1.0), (0.90, 0.5)),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_RUBRIC_KEYS = {"id", "version", "title_vi", "title_en", "valid_from", "valid_to", "levels", "total",
                "min_applicable_max", "stale_after_days", "index", "classes", "blocks", "metrics", "note"}
_METRIC_KEYS = {"id", "block", "name_vi", "name_en", "source", "levels", "max", "numerator", "denominator",
                "value", "items", "function", "target", "bands", "zero_at", "reference", "terms", "cap", "empty",
                "gap_unit_vi", "gap_unit_en", "counts_from", "basis"}
_TERM_KEYS = {"numerator", "denominator", "value", "weight", "cap", "empty"}


class RubricError(ValueError):
    """A rubric file is wrong; the message names the file, the metric and the fix."""


@dataclass(frozen=True)
class Term:
    """One weighted component of a `weighted_sum` metric."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    weight: float
    cap: float | None
    empty: str


@dataclass(frozen=True)
class Metric:
    id: str
    block: str
    name_vi: str
    name_en: str
    source: str
    levels: tuple[str, ...]
    max_points: float
    function: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    empty: str = "na"
    target: dict[str, float] = field(default_factory=dict)
    bands: tuple[tuple[float, float], ...] = ()
    zero_at: float | None = None
    reference: str | None = None
    terms: tuple[Term, ...] = ()
    cap: float | None = None
    gap_unit_vi: str = ""
    gap_unit_en: str = ""
    counts_from: str | None = None
    basis: str = ""

    def target_for(self, level: str) -> float | None:
        return self.target.get(level, self.target.get("*"))

    @property
    def count_names(self) -> tuple[str, ...]:
        names = list(self.numerator) + list(self.denominator)
        for term in self.terms:
            names += list(term.numerator) + list(term.denominator)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Block:
    id: str
    name_vi: str
    name_en: str
    max_points: float


@dataclass(frozen=True)
class ClassBand:
    min_index: float
    label_vi: str
    label_en: str


@dataclass(frozen=True)
class Rubric:
    id: str
    version: str
    title_vi: str
    title_en: str
    valid_from: date
    valid_to: date | None
    levels: tuple[str, ...]
    min_applicable_max: float
    stale_after_days: float
    index_scale: float
    index_decimals: int
    classes: tuple[ClassBand, ...]
    blocks: tuple[Block, ...]
    metrics: tuple[Metric, ...]
    source_path: str = ""

    def metric(self, metric_id: str) -> Metric:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        known = ", ".join(m.id for m in self.metrics)
        raise KeyError(f"rubric {self.id} has no metric '{metric_id}'; known metrics: {known}")

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class _Ctx:
    """Builds error messages that name the file and the place."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str, fix: str) -> RubricError:
        return RubricError(f"{self.source}: {where}: {problem}; {fix}")


def _names(raw: Any, ctx: _Ctx, where: str, key: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise ctx.fail(where, f"'{key}' must be a count name or a list of count names", f"e.g. {key} = \"eo_out_total\"")
    for item in items:
        if not isinstance(item, str) or not _NAME.match(item):
            raise ctx.fail(where, f"'{key}' has the count name {item!r}",
                           "count names are lower-case letters, digits and _ (see docs/scoring.md)")
    return tuple(items)


def _number(raw: Any, ctx: _Ctx, where: str, key: str, *, positive: bool = False) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ctx.fail(where, f"'{key}' = {raw!r} is not a number", f"write {key} as a number, e.g. {key} = 5")
    if positive and raw <= 0:
        raise ctx.fail(where, f"'{key}' = {raw} must be greater than 0", f"give {key} a positive value")
    return float(raw)


def _text(doc: dict[str, Any], key: str, ctx: _Ctx, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ctx.fail(where, f"'{key}' is missing or empty", f"add {key} = \"…\"")
    return value


def _unknown(doc: dict[str, Any], allowed: set[str], ctx: _Ctx, where: str) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise ctx.fail(where, f"unknown key(s) {extra}", f"allowed keys are {sorted(allowed)}")


def _levels(raw: Any, ctx: _Ctx, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or any(level not in LEVELS for level in raw):
        raise ctx.fail(where, f"levels = {raw!r} is not a list of known levels", f"use some of {list(LEVELS)}")
    return tuple(raw)


def _target(raw: Any, ctx: _Ctx, where: str, levels: tuple[str, ...]) -> dict[str, float]:
    if isinstance(raw, dict):
        bad = sorted(set(raw) - set(levels))
        if bad:
            raise ctx.fail(where, f"target names level(s) {bad} the metric does not apply to",
                           f"give one target per level of {list(levels)}")
        missing = sorted(set(levels) - set(raw))
        if missing:
            raise ctx.fail(where, f"target has no value for level(s) {missing}", "add a target for every level")
        return {lvl: _number(v, ctx, where, "target", positive=True) for lvl, v in raw.items()}
    return {"*": _number(raw, ctx, where, "target", positive=True)}


def _bands(raw: Any, ctx: _Ctx, where: str) -> tuple[tuple[float, float], ...]:
    if isinstance(raw, str):
        if raw not in BAND_PRESETS:
            raise ctx.fail(where, f"bands preset '{raw}' is unknown", f"use one of {sorted(BAND_PRESETS)} or a list")
        return BAND_PRESETS[raw]
    if not isinstance(raw, list) or not raw:
        raise ctx.fail(where, "banded scoring needs 'bands'", "e.g. bands = [[0.9, 1.0], [0.7, 0.5]] or \"B90\"")
    bands = []
    for band in raw:
        if not isinstance(band, list) or len(band) != 2:
            raise ctx.fail(where, f"band {band!r} is not [threshold, fraction]", "write each band as [0.9, 1.0]")
        threshold = _number(band[0], ctx, where, "bands threshold")
        fraction = _fraction(band[1], ctx, where)
        if not 0 <= fraction <= 1:
            raise ctx.fail(where, f"band fraction {fraction} is outside [0, 1]", "a fraction of max points is 0–1")
        bands.append((threshold, fraction))
    thresholds = [b[0] for b in bands]
    if thresholds != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
        raise ctx.fail(where, f"band thresholds {thresholds} are not strictly decreasing", "list the highest band first")
    return tuple(bands)


def _fraction(raw: Any, ctx: _Ctx, where: str) -> float:
    if isinstance(raw, str):
        try:
            return float(Fraction(raw))
        except (ValueError, ZeroDivisionError):
            raise ctx.fail(where, f"band fraction {raw!r} is not a number", "write 0.5 or \"2/3\"") from None
    return _number(raw, ctx, where, "bands fraction")


def _empty(raw: Any, ctx: _Ctx, where: str) -> str:
    if raw not in EMPTY_POLICIES:
        raise ctx.fail(where, f"empty = {raw!r} is not an empty-denominator policy",
                       "use \"na\" (not applicable), \"full\" (full points) or \"zero\" (766 mirror only)")
    return str(raw)


def _term(raw: Any, ctx: _Ctx, where: str) -> Term:
    if not isinstance(raw, dict):
        raise ctx.fail(where, "each [[metrics.terms]] must be a table", "write numerator/denominator/weight")
    _unknown(raw, _TERM_KEYS, ctx, where)
    if "value" in raw:
        numerator, denominator = _names(raw["value"], ctx, where, "value"), ()
    else:
        if "numerator" not in raw or "denominator" not in raw:
            raise ctx.fail(where, "a term needs numerator and denominator (or value)", "add both")
        numerator = _names(raw["numerator"], ctx, where, "numerator")
        denominator = _names(raw["denominator"], ctx, where, "denominator")
    cap = _number(raw["cap"], ctx, where, "cap", positive=True) if "cap" in raw else None
    return Term(numerator, denominator, _number(raw.get("weight"), ctx, where, "weight", positive=True), cap,
                _empty(raw.get("empty", "na"), ctx, where))


def _metric(raw: Any, ctx: _Ctx, blocks: dict[str, Block], rubric_levels: tuple[str, ...]) -> Metric:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise ctx.fail("[[metrics]]", "a metric has no id", "add id = \"EO-01\" to every [[metrics]] table")
    where = f"metric {raw['id']}"
    _unknown(raw, _METRIC_KEYS, ctx, where)
    block = raw.get("block")
    if block not in blocks:
        raise ctx.fail(where, f"block {block!r} is not declared", f"use one of {sorted(blocks)} or add a [[blocks]] entry")
    source = raw.get("source")
    if source not in SOURCES:
        raise ctx.fail(where, f"source {source!r} is unknown", f"use one of {list(SOURCES)}")
    levels = _levels(raw.get("levels", list(rubric_levels)), ctx, where)
    function = raw.get("function")
    if function not in FUNCTION_NAMES:
        raise ctx.fail(where, f"function {function!r} is unknown", f"use one of {list(FUNCTION_NAMES)}")
    kwargs: dict[str, Any] = {}
    if function == "weighted_sum":
        terms = raw.get("terms")
        if not isinstance(terms, list) or not terms:
            raise ctx.fail(where, "weighted_sum needs [[metrics.terms]]", "add one [[metrics.terms]] per component")
        kwargs["terms"] = tuple(_term(t, ctx, where) for t in terms)
        if "cap" in raw:
            kwargs["cap"] = _number(raw["cap"], ctx, where, "cap", positive=True)
    elif function == "checklist":
        if "items" not in raw:
            raise ctx.fail(where, "function 'checklist' needs items = [\"<count name>\", …]",
                           "list the 0/1 counts that make up the checklist")
        kwargs["numerator"] = _names(raw["items"], ctx, where, "items")
    elif function == "given":
        if "value" not in raw:
            raise ctx.fail(where, "function 'given' needs value = \"<count name>\"", "name the count holding the value")
        kwargs["numerator"] = _names(raw["value"], ctx, where, "value")
    else:
        for key in ("numerator", "denominator"):
            if key not in raw:
                raise ctx.fail(where, f"'{key}' is missing", f"add {key} = \"<count name>\" (docs/scoring.md lists them)")
            kwargs[key] = _names(raw[key], ctx, where, key)
    if function == "linear_target" and "target" not in raw:
        raise ctx.fail(where, "linear_target needs 'target'", "e.g. target = 0.95 or {department = 0.95, commune = 0.8}")
    if "target" in raw:
        kwargs["target"] = _target(raw["target"], ctx, where, levels)
    if function == "banded":
        kwargs["bands"] = _bands(raw.get("bands"), ctx, where)
    if function == "inverse_linear":
        kwargs["zero_at"] = _number(raw.get("zero_at"), ctx, where, "zero_at", positive=True)
    if function == "norm_ref":
        reference = raw.get("reference", "p90")
        if not isinstance(reference, str) or not re.match(r"^p([1-9][0-9]?)$", reference):
            raise ctx.fail(where, f"reference = {reference!r} is not a percentile", "write reference = \"p90\"")
        kwargs["reference"] = reference
    counts_from = raw.get("counts_from")
    if counts_from is not None and counts_from not in LEVELS:
        raise ctx.fail(where, f"counts_from = {counts_from!r} is not a level", f"use one of {list(LEVELS)}")
    return Metric(
        id=raw["id"], block=block, name_vi=_text(raw, "name_vi", ctx, where), name_en=_text(raw, "name_en", ctx, where),
        source=source, levels=levels, max_points=_number(raw.get("max"), ctx, where, "max", positive=True),
        function=function, empty=_empty(raw.get("empty", "na"), ctx, where),
        gap_unit_vi=str(raw.get("gap_unit_vi", "")), gap_unit_en=str(raw.get("gap_unit_en", "")),
        counts_from=counts_from, basis=str(raw.get("basis", "")), **kwargs,
    )


def _date(raw: Any, ctx: _Ctx, key: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ctx.fail("header", f"{key} = {raw!r} is not a date", f"write {key} = 2026-01-01") from None


def parse_rubric(text: str, source: str = "<rubric>") -> Rubric:
    """Parse and validate rubric TOML text."""
    ctx = _Ctx(source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ctx.fail("file", f"not valid TOML ({exc})", "fix the syntax at the line shown") from None
    _unknown(doc, _RUBRIC_KEYS, ctx, "header")
    rubric_id = _text(doc, "id", ctx, "header")
    if not re.match(r"^[a-z0-9][a-z0-9-]*$", rubric_id):
        raise ctx.fail("header", f"id '{rubric_id}' has characters other than a-z, 0-9 and -", "e.g. id = \"province-it\"")
    levels = _levels(doc.get("levels"), ctx, "header")
    index = doc.get("index", {})
    _unknown(index, {"scale", "decimals"}, ctx, "[index]")
    decimals = index.get("decimals", 2)
    if not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise ctx.fail("[index]", f"decimals = {decimals!r}", "use an integer 0–6")
    blocks: dict[str, Block] = {}
    for raw in doc.get("blocks", []):
        where = f"block {raw.get('id')!r}"
        _unknown(raw, {"id", "name_vi", "name_en", "max"}, ctx, where)
        if not isinstance(raw.get("id"), str) or raw["id"] in blocks:
            raise ctx.fail(where, "block id missing or repeated", "give every [[blocks]] a unique id")
        blocks[raw["id"]] = Block(raw["id"], _text(raw, "name_vi", ctx, where), _text(raw, "name_en", ctx, where),
                                  _number(raw.get("max"), ctx, where, "max", positive=True))
    if not blocks:
        raise ctx.fail("header", "no [[blocks]]", "declare at least one block")
    metrics = [_metric(raw, ctx, blocks, levels) for raw in doc.get("metrics", [])]
    if not metrics:
        raise ctx.fail("header", "no [[metrics]]", "declare at least one metric")
    seen: set[str] = set()
    for metric in metrics:
        if metric.id in seen:
            raise ctx.fail(f"metric {metric.id}", "the id is used twice", "give every metric a unique id")
        seen.add(metric.id)
    for block in blocks.values():
        total = sum(m.max_points for m in metrics if m.block == block.id)
        if abs(total - block.max_points) > 1e-9:
            raise ctx.fail(f"block {block.id}", f"its metrics' max add up to {total:g}, not {block.max_points:g}",
                           "make the metrics' max points sum to the block max")
    if "total" in doc:
        total = sum(b.max_points for b in blocks.values())
        if abs(total - _number(doc["total"], ctx, "header", "total")) > 1e-9:
            raise ctx.fail("header", f"blocks add up to {total:g}, not total = {doc['total']}", "fix the block max points")
    classes = []
    for raw in doc.get("classes", []):
        where = f"class {raw.get('label_vi')!r}"
        _unknown(raw, {"min", "label_vi", "label_en"}, ctx, where)
        classes.append(ClassBand(_number(raw.get("min"), ctx, where, "min"), _text(raw, "label_vi", ctx, where),
                                 _text(raw, "label_en", ctx, where)))
    mins = [c.min_index for c in classes]
    if mins != sorted(mins, reverse=True):
        raise ctx.fail("[[classes]]", f"class minimums {mins} are not decreasing", "list the best class first")
    valid_to = _date(doc["valid_to"], ctx, "valid_to") if "valid_to" in doc else None
    return Rubric(
        id=rubric_id, version=str(_text(doc, "version", ctx, "header")),
        title_vi=_text(doc, "title_vi", ctx, "header"), title_en=_text(doc, "title_en", ctx, "header"),
        valid_from=_date(doc.get("valid_from"), ctx, "valid_from"), valid_to=valid_to, levels=levels,
        min_applicable_max=_number(doc.get("min_applicable_max", 0), ctx, "header", "min_applicable_max"),
        stale_after_days=_number(doc.get("stale_after_days", 2), ctx, "header", "stale_after_days"),
        index_scale=_number(index.get("scale", 100), ctx, "[index]", "scale", positive=True),
        index_decimals=decimals, classes=tuple(classes), blocks=tuple(blocks.values()), metrics=tuple(metrics),
        source_path=source,
    )


def load_rubric(path: Path | str) -> Rubric:
    """Load one rubric file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"{path}: cannot be read ({exc}); check the path and that it is UTF-8") from None
    return parse_rubric(text, str(path))


def load_rubrics(directory: Path | str = DEFAULT_RUBRIC_DIR) -> dict[str, Rubric]:
    """Every rubric in `directory`, keyed by id; with several versions of an id, the latest valid_from wins."""
    found: dict[str, Rubric] = {}
    versions: set[tuple[str, str]] = set()
    for path in sorted(Path(directory).glob("*.toml")):
        rubric = load_rubric(path)
        if (rubric.id, rubric.version) in versions:
            raise RubricError(f"{path}: rubric {rubric.id} version {rubric.version} is defined twice; "
                              "bump the version of the newer file")
        versions.add((rubric.id, rubric.version))
        current = found.get(rubric.id)
        if current is None or rubric.valid_from > current.valid_from:
            found[rubric.id] = rubric
    return found
