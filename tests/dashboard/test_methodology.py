"""The methodology comes from the rubric files: every version found, and what changed between two."""

from __future__ import annotations

import shutil
from pathlib import Path

import streamlit as st

from metrics.rubric import DEFAULT_RUBRIC_DIR
from ui import rubric_text


def test_a_new_version_lists_what_changed(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_RUBRIC_DIR / "province-it.toml", tmp_path / "province-it.toml")
    text = (DEFAULT_RUBRIC_DIR / "province-it.toml").read_text(encoding="utf-8")
    newer = (text.replace('version = "2026.1"', 'version = "2027.1"', 1)
             .replace("valid_from = 2020-01-01", "valid_from = 2027-01-01", 1)
             .replace("target = 0.95\ngap_unit_vi = \"văn bản đi được ký số\"",
                      "target = 0.98\ngap_unit_vi = \"văn bản đi được ký số\"", 1))
    (tmp_path / "province-it-2027.toml").write_text(newer, encoding="utf-8")
    st.cache_data.clear()

    history = rubric_text.versions("province-it", tmp_path)
    assert [rubric.version for rubric in history] == ["2026.1", "2027.1"]
    changed = rubric_text.changes(history[0], history[1])
    assert changed.to_dict("records") == [
        {"metric": "EO-01", "change": "changed", "field": "target", "before": "{'*': 0.95}", "after": "{'*': 0.98}"},
    ]
    names = rubric_text.metric_names("province-it", "en", tmp_path)
    assert names["EO-01"] == "Outgoing documents digitally signed"
    table = rubric_text.metrics_table(history[1], "vi")
    assert table.set_index("id").loc["EO-01", "target"] == "0.98"
