"""The scoring-function library of scoring-spec §8.2, vectorised over numpy arrays.

Every function takes ratios or values as float arrays where NaN means "no value" and returns points as a float
array with NaN kept as NaN: a missing input never becomes 0 points. Scalars work too (0-d arrays).
The engine and `explain` call the same functions, so an explanation always matches the stored score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _arr(x: Any) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def ratio(num: Any, den: Any) -> FloatArray:
    """num ÷ den; NaN where either side is missing or den is 0 (the empty-denominator case)."""
    n, d = _arr(num), _arr(den)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((d == 0) | np.isnan(d) | np.isnan(n), np.nan, n / d)


def linear(r: Any, max_points: float) -> FloatArray:
    """max × clamp(r, 0, 1) — DTI / MIC style."""
    return max_points * np.clip(_arr(r), 0.0, 1.0)


def linear_target(r: Any, max_points: float, target: Any) -> FloatArray:
    """max × min(1, r / target) — Decision 766 style; `target` may be an array (per-level targets)."""
    return max_points * np.clip(_arr(r) / _arr(target), 0.0, 1.0)


def banded(r: Any, max_points: float, bands: Sequence[tuple[float, float]]) -> FloatArray:
    """max × the fraction of the first band whose threshold r reaches (bands sorted high to low), else 0."""
    values = _arr(r)
    out = np.zeros_like(values)
    assigned = np.zeros(values.shape, dtype=bool)
    for threshold, fraction in bands:
        hit = ~assigned & (values >= threshold - 1e-12)
        out = np.where(hit, max_points * fraction, out)
        assigned |= hit
    return np.where(np.isnan(values), np.nan, out)


def inverse_linear(r: Any, max_points: float, zero_at: float) -> FloatArray:
    """max × max(0, 1 − r / zero_at) — a backlog share that costs points as it grows."""
    return max_points * np.clip(1.0 - _arr(r) / zero_at, 0.0, 1.0)


def norm_ref(x: Any, max_points: float, ref: Any) -> FloatArray:
    """max × min(1, x / ref), ref being the level's reference value (P90); ref ≤ 0 gives full points."""
    values, refs = _arr(x), _arr(ref)
    # x / ref overflows to inf for a huge x over a tiny ref; the clip below turns that into full points.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = np.where(refs > 0, values / refs, 1.0)
    return np.where(np.isnan(values), np.nan, max_points * np.clip(scaled, 0.0, 1.0))


def checklist(present: Any, required: Any, max_points: float) -> FloatArray:
    """max × |present ∩ required| ÷ |required|."""
    return linear(ratio(present, required), max_points)


def given(value: Any, max_points: float) -> FloatArray:
    """A published component value in [0, 1] (e.g. a DTI main index) weighted by its max points."""
    return linear(value, max_points)


def weighted_sum(
    terms: Sequence[tuple[FloatArray, float, float | None]], cap: float | None
) -> FloatArray:
    """Σ min(cap_i, weight_i × value_i), capped at `cap`; NaN when any term is NaN.

    Decision 766 online payment: 6·A + min(2, 2.5·B) + 2.5·C, capped at 10.
    """
    total: FloatArray | None = None
    for values, weight, term_cap in terms:
        part = weight * np.clip(_arr(values), 0.0, None)
        if term_cap is not None:
            part = np.minimum(part, term_cap)
        total = part if total is None else total + part
    if total is None:
        raise ValueError("weighted_sum needs at least one term")
    return np.minimum(total, cap) if cap is not None else total


SCALAR_FUNCTIONS: Mapping[str, Callable[..., FloatArray]] = {
    "linear": linear,
    "linear_target": linear_target,
    "banded": banded,
    "inverse_linear": inverse_linear,
    "norm_ref": norm_ref,
    "checklist": checklist,
    "given": given,
}
"""Functions of one value; `weighted_sum` is handled separately because it takes several."""

FUNCTION_NAMES: tuple[str, ...] = (*SCALAR_FUNCTIONS, "weighted_sum")


def target_for_gap(function: str, params: Mapping[str, Any], current: FloatArray) -> FloatArray:
    """The value that reaches the next band above `current` (NaN when already at full points or no gap applies)."""
    values = _arr(current)
    if function in ("linear", "checklist"):
        return np.where(values < 1.0 - 1e-12, 1.0, np.nan)
    if function in ("linear_target", "norm_ref"):
        target = _arr(params["target"])
        return np.where(values < target - 1e-12, target, np.nan)
    if function == "banded":
        out = np.full(values.shape, np.nan)
        for threshold, _fraction in sorted(params["bands"], key=lambda b: b[0]):
            out = np.where(np.isnan(out) & (values < threshold - 1e-12), threshold, out)
        return out
    if function == "inverse_linear":
        return np.where(values > 1e-12, 0.0, np.nan)
    return np.full(values.shape, np.nan)
