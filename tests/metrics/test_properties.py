"""Property tests (hypothesis) over the scoring functions and the engine with the shipped rubrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import scoring
from metrics.engine import score_counts
from metrics.rubric import Metric, load_rubrics

RUBRICS = load_rubrics()
PROVINCE_IT = RUBRICS["province-it"]
ALL_METRICS = [(r.id, m) for r in RUBRICS.values() for m in r.metrics]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

counts_value = st.integers(min_value=0, max_value=500)
ratios = st.floats(min_value=0, max_value=5, allow_nan=False)


def _frame(metric: Metric, level: str, values: dict[str, float], units: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [(f"U{i}", "2026-03", name, values.get(name, 0) + i) for i in range(units) for name in metric.count_names]
    counts = pd.DataFrame(rows, columns=["unit_code", "period", "name", "value"])
    unit_rows = pd.DataFrame([{"unit_code": f"U{i}", "period": "2026-03", "level": level, "is_ranked": True}
                              for i in range(units)])
    return counts, unit_rows


def _points(rubric_id: str, metric: Metric, values: dict[str, float], units: int = 1) -> pd.Series:
    rubric = RUBRICS[rubric_id]
    level = metric.levels[0]
    counts, unit_rows = _frame(metric, level, values, units)
    scores = score_counts(rubric, counts, unit_rows, ["2026-03"]).metrics
    return scores[scores["metric_id"] == metric.id].set_index("unit_code")["points"]


@SETTINGS
@given(r=ratios, target=st.floats(min_value=0.05, max_value=10), zero_at=st.floats(min_value=0.01, max_value=1),
       ref=st.floats(min_value=0, max_value=100), m=st.floats(min_value=0.5, max_value=200))
def test_every_function_stays_within_zero_and_max(r: float, target: float, zero_at: float, ref: float, m: float) -> None:
    results = [
        scoring.linear(r, m), scoring.linear_target(r, m, target), scoring.banded(r, m, [(0.9, 1.0), (0.7, 0.5)]),
        scoring.inverse_linear(r, m, zero_at), scoring.norm_ref(r, m, ref), scoring.given(r, m),
        scoring.checklist(min(r, 3), 3, m), scoring.weighted_sum([(np.asarray(r), 6, None), (np.asarray(r), 2.5, 2)], m),
    ]
    for value in results:
        assert 0 <= float(value) <= m + 1e-9


@SETTINGS
@given(data=st.data(), pick=st.sampled_from(ALL_METRICS))
def test_engine_points_stay_within_zero_and_max(data: st.DataObject, pick: tuple[str, Metric]) -> None:
    rubric_id, metric = pick
    values = {name: data.draw(counts_value if not name.startswith("dti_") else st.floats(0, 1)) for name in metric.count_names}
    points = _points(rubric_id, metric, values, units=3).dropna()
    assert ((points >= 0) & (points <= metric.max_points + 1e-9)).all()


@SETTINGS
@given(data=st.data(), pick=st.sampled_from(ALL_METRICS), step=st.integers(min_value=1, max_value=50))
def test_points_never_fall_when_a_numerator_rises(data: st.DataObject, pick: tuple[str, Metric], step: int) -> None:
    rubric_id, metric = pick
    values = {name: data.draw(counts_value) for name in metric.count_names}
    numerators = metric.numerator or metric.terms[0].numerator
    for name in numerators:
        denominator = metric.denominator or (metric.terms[0].denominator if metric.terms else ())
        if name not in denominator:
            values[name] = min(values[name], sum(values[d] for d in denominator) if denominator else 1)
    before = _points(rubric_id, metric, values)
    raised = dict(values)
    raised[numerators[0]] += step if not numerators[0].startswith(("dti_", "sr_dx_plan_issued", "pt_")) else 0
    after = _points(rubric_id, metric, raised)
    for unit in before.index:
        b, a = before[unit], after[unit]
        if math.isnan(b) or math.isnan(a):
            continue
        if metric.function == "inverse_linear":  # the numerator is a backlog: more of it can only cost points
            assert a <= b + 1e-9
        else:
            assert a >= b - 1e-9


@SETTINGS
@given(data=st.data(), seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_ranks_do_not_depend_on_input_order(data: st.DataObject, seed: int) -> None:
    names = sorted({n for m in PROVINCE_IT.metrics for n in m.count_names})
    n_units = data.draw(st.integers(min_value=2, max_value=8))
    rows = [(f"U{u}", "2026-03", name, data.draw(st.integers(0, 20))) for u in range(n_units) for name in names]
    counts = pd.DataFrame(rows, columns=["unit_code", "period", "name", "value"])
    units = pd.DataFrame([{"unit_code": f"U{u}", "period": "2026-03", "level": "department" if u % 3 else "commune",
                           "is_ranked": True} for u in range(n_units)])
    first = score_counts(PROVINCE_IT, counts, units, ["2026-03"]).units.set_index("unit_code")["rank"]
    rng = np.random.default_rng(seed)
    shuffled_counts = counts.iloc[rng.permutation(len(counts))]
    shuffled_units = units.iloc[rng.permutation(len(units))]
    second = score_counts(PROVINCE_IT, shuffled_counts, shuffled_units, ["2026-03"]).units.set_index("unit_code")["rank"]
    pd.testing.assert_series_equal(first.sort_index(), second.sort_index())


@SETTINGS
@given(data=st.data(), pick=st.sampled_from(ALL_METRICS))
def test_null_inputs_never_produce_zero_points(data: st.DataObject, pick: tuple[str, Metric]) -> None:
    rubric_id, metric = pick
    missing = data.draw(st.sampled_from(metric.count_names))
    values = {name: data.draw(counts_value) for name in metric.count_names}
    rubric = RUBRICS[rubric_id]
    counts, units = _frame(metric, metric.levels[0], values)
    counts.loc[counts["name"] == missing, "value"] = float("nan")
    if data.draw(st.booleans()):
        counts = counts[counts["name"] != missing]  # absent rather than NULL: the same
    scores = score_counts(rubric, counts, units, ["2026-03"])
    row = scores.metrics[scores.metrics["metric_id"] == metric.id].iloc[0]
    assert row["status"] == "no_data" and pd.isna(row["points"]) and pd.isna(row["applicable"])
    unit = scores.units.iloc[0]
    assert unit["provisional"] and metric.id in unit["provisional_reason"]


@pytest.mark.parametrize("function", ["linear", "linear_target", "banded", "inverse_linear", "norm_ref"])
def test_nan_passes_through_every_function(function: str) -> None:
    args = {"linear": (), "linear_target": (0.9,), "banded": ([(0.9, 1.0)],), "inverse_linear": (0.1,),
            "norm_ref": (5.0,)}[function]
    assert math.isnan(float(scoring.SCALAR_FUNCTIONS[function](float("nan"), 3.0, *args)))
