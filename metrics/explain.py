"""Explain one metric of one unit and period: every step from the counts to the points.

The explanation runs the engine on the same inputs and reads its row, so the figures it prints are exactly
the ones stored in metric_scores (and shown by the dashboard); the steps spell out how they arise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from metrics.counts import COUNT_DESCRIPTIONS, to_wide
from metrics.engine import score_counts
from metrics.periods import Period
from metrics.rubric import Metric, Rubric


class ExplainError(LookupError):
    """The unit, metric or period asked for is not in the scored data."""


@dataclass(frozen=True)
class Explanation:
    row: dict[str, Any]
    steps: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.steps)


def _n(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NULL (no data)"
    value = float(x)
    return f"{value:.0f}" if value.is_integer() else f"{value:.6f}".rstrip("0")


def _count_lines(metric: Metric, counts: pd.DataFrame, unit_code: str, period: str, donor: str | None) -> list[str]:
    source_unit = donor or unit_code
    wide = to_wide(counts)
    mine = wide[(wide["unit_code"].astype(str) == source_unit) & (wide["period"].astype(str) == period)]
    values = mine.iloc[0] if not mine.empty else pd.Series(dtype=float)
    lines = []
    if donor and donor != unit_code:
        lines.append(f"  counts inherited from the {metric.counts_from} unit {donor} (rubric: counts_from)")
    for name in metric.count_names:
        value = values.get(name)
        meaning = COUNT_DESCRIPTIONS.get(name, "given in the counts file / self-report")
        lines.append(f"  {name} = {_n(value)}  — {meaning}")
    return lines


def _formula(metric: Metric, row: Mapping[str, Any]) -> str:
    value, points, target = row["value"], row["points"], row["target"]
    m = metric.max_points
    if metric.function == "linear":
        return f"linear: points = {m:g} × clamp({_n(value)}, 0, 1) = {_n(points)}"
    if metric.function == "given":
        return f"given: points = {m:g} × {_n(value)} = {_n(points)}"
    if metric.function == "checklist":
        return f"checklist: points = {m:g} × {_n(row['numerator'])} / {_n(row['denominator'])} items = {_n(points)}"
    if metric.function == "linear_target":
        goal = metric.target_for(row["level"])
        return f"linear_target (target {goal:g}): points = {m:g} × min(1, {_n(value)} / {goal:g}) = {_n(points)}"
    if metric.function == "banded":
        bands = ", ".join(f"≥ {t:g} → {f:.4g} × max" for t, f in metric.bands)
        return f"banded ({bands}; else 0): {_n(value)} gives {_n(points)}"
    if metric.function == "inverse_linear":
        return f"inverse_linear (zero at {metric.zero_at:g}): points = {m:g} × max(0, 1 − {_n(value)} / {metric.zero_at:g}) = {_n(points)}"
    if metric.function == "norm_ref":
        return (f"norm_ref (reference = {metric.reference} of the level this period = {_n(target)}): "
                f"points = {m:g} × min(1, {_n(value)} / {_n(target)}) = {_n(points)}")
    terms = " + ".join(
        f"{'min(' + format(t.cap, 'g') + ', ' if t.cap else ''}{t.weight:g} × "
        f"{'+'.join(t.numerator)}{'/' + '+'.join(t.denominator) if t.denominator else ''}{')' if t.cap else ''}"
        for t in metric.terms)
    cap = f", capped at {metric.cap:g}" if metric.cap else ""
    return f"weighted_sum: points = {terms}{cap} = {_n(points)}"


def explain_metric(
    rubric: Rubric,
    counts: pd.DataFrame,
    units: pd.DataFrame,
    unit_code: str,
    metric_id: str,
    period: str,
    *,
    staleness: Mapping[tuple[str, str], Iterable[str]] | None = None,
) -> Explanation:
    """Score `period` with the engine and explain the row of (unit_code, metric_id)."""
    metric = rubric.metric(metric_id)
    span = Period.parse(period)
    scores = score_counts(rubric, counts, units, [str(span)], staleness=staleness)
    match = scores.metrics[(scores.metrics["unit_code"] == unit_code) & (scores.metrics["metric_id"] == metric_id)]
    if match.empty:
        known = sorted(scores.metrics["unit_code"].unique())[:10]
        raise ExplainError(f"unit {unit_code} has no score for {metric_id} in {span} under rubric {rubric.id}; "
                           f"check the unit code and its level ({', '.join(metric.levels)}); units scored: {known}")
    row = match.iloc[0].to_dict()
    donor = None
    if metric.counts_from:
        donors = units[(units["level"] == metric.counts_from) & (units["period"] == str(span))]["unit_code"]
        donor = str(donors.iloc[0]) if not donors.empty else None
    steps = [
        f"Rubric {rubric.id} {rubric.version} — metric {metric.id}: {metric.name_vi} / {metric.name_en}",
        f"Block {metric.block}; max {metric.max_points:g} points; source {metric.source}; basis: {metric.basis or '—'}",
        f"Unit {unit_code} (level {row['level']}), period {span} = {span.start.isoformat()} … {span.end.isoformat()}",
        "1. Counts (records → counts; rules in docs/scoring.md):",
        *_count_lines(metric, counts, unit_code, str(span), donor),
    ]
    if metric.function == "weighted_sum":
        steps.append("2. Components: " + "; ".join(
            f"{'+'.join(t.numerator)}{' ÷ ' + '+'.join(t.denominator) if t.denominator else ''} "
            f"(weight {t.weight:g}, empty → {t.empty})" for t in metric.terms))
    else:
        den_names = "+".join(metric.denominator) if metric.function not in ("checklist", "given") else (
            f"{len(metric.numerator)} checklist items" if metric.function == "checklist" else "1")
        steps += [
            f"2. Numerator = {' + '.join(metric.numerator)} = {_n(row['numerator'])}",
            f"   Denominator = {den_names} = {_n(row['denominator'])}",
            f"   Value = numerator ÷ denominator = {_n(row['value'])}",
        ]
    status = row["status"]
    if status == "no_data":
        steps.append("3. A count is NULL (not collected): the metric is flagged no_data, scores no points, is left out"
                     " of the applicable maximum, and the unit's rank is provisional.")
    elif row["denominator"] == 0 and metric.function != "weighted_sum":
        policy = {"na": "not applicable: removed from the applicable maximum",
                  "full": "nothing to fail counts as success: full points",
                  "zero": "scored 0 as DVCQG does (0/0 → 0)"}[metric.empty]
        steps.append(f"3. Empty denominator, policy '{metric.empty}': {policy} → points {_n(row['points'])}")
    else:
        steps.append("3. " + _formula(metric, row))
    steps.append(f"4. Result: status {status}; points {_n(row['points'])} of {metric.max_points:g}")
    if row.get("gap_vi"):
        steps.append(f"5. Gap to the next band: {row['gap_vi']} / {row['gap_en']}")
    return Explanation(row=row, steps=steps)
