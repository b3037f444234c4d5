"""The rubric files as the dashboard shows them: metric names, every version of a rubric, what changed."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from metrics.rubric import DEFAULT_RUBRIC_DIR, Rubric, load_rubric

COMPARED_FIELDS = ("name_vi", "name_en", "block", "source", "levels", "max_points", "function", "target", "bands",
                   "zero_at", "reference", "empty", "cap")


def _signature(directory: Path) -> tuple[tuple[str, int], ...]:
    return tuple((path.name, path.stat().st_mtime_ns) for path in sorted(directory.glob("*.toml")))


@st.cache_data(max_entries=4, show_spinner=False)
def _load_all(directory: str, signature: tuple[tuple[str, int], ...]) -> list[Rubric]:
    return [load_rubric(Path(directory) / name) for name, _ in signature]


def versions(rubric_id: str, directory: Path = DEFAULT_RUBRIC_DIR) -> list[Rubric]:
    """Every version of a rubric found in the rubric files, oldest first."""
    found = [r for r in _load_all(str(directory), _signature(directory)) if r.id == rubric_id]
    return sorted(found, key=lambda rubric: rubric.valid_from)


def metric_names(rubric_id: str, lang: str, directory: Path = DEFAULT_RUBRIC_DIR) -> dict[str, str]:
    """metric id -> its name in ``lang``, from the latest version of the rubric file ({} if none)."""
    found = versions(rubric_id, directory)
    if not found:
        return {}
    return {metric.id: getattr(metric, f"name_{lang}") for metric in found[-1].metrics}


def metrics_table(rubric: Rubric, lang: str) -> pd.DataFrame:
    """One row per metric, as written in the file."""
    rows = []
    for metric in rubric.metrics:
        rows.append({
            "id": metric.id, "name": getattr(metric, f"name_{lang}"), "block": metric.block,
            "source": metric.source, "levels": ", ".join(metric.levels), "max": metric.max_points,
            "function": metric.function, "target": _plain(metric.target), "bands": _plain(metric.bands),
            "empty": metric.empty, "basis": metric.basis,
        })
    return pd.DataFrame(rows)


def _plain(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, dict) and list(value) == ["*"]:
        return f"{value['*']:g}"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {number:g}" for key, number in value.items())
    return "; ".join(f"≥{threshold:g} → {share:g}" for threshold, share in value)


def changes(previous: Rubric, current: Rubric) -> pd.DataFrame:
    """What changed from ``previous`` to ``current``: metrics added, removed, and each changed field."""
    before = {metric.id: asdict(metric) for metric in previous.metrics}
    after = {metric.id: asdict(metric) for metric in current.metrics}
    rows = []
    for metric_id in sorted(set(before) | set(after)):
        if metric_id not in before:
            rows.append({"metric": metric_id, "change": "added", "field": "", "before": "", "after": ""})
        elif metric_id not in after:
            rows.append({"metric": metric_id, "change": "removed", "field": "", "before": "", "after": ""})
        else:
            for field in COMPARED_FIELDS:
                if before[metric_id][field] != after[metric_id][field]:
                    rows.append({"metric": metric_id, "change": "changed", "field": field,
                                 "before": str(before[metric_id][field]), "after": str(after[metric_id][field])})
    return pd.DataFrame(rows, columns=["metric", "change", "field", "before", "after"])


def all_rubrics(directory: Path = DEFAULT_RUBRIC_DIR) -> list[Rubric]:
    """Every rubric file in ``directory``, loaded and validated."""
    return _load_all(str(directory), _signature(directory))
