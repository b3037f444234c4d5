"""Phương pháp: the active rubric rendered from its file, and what changed from the previous version."""

from pathlib import Path

import streamlit as st

from ui import data, rubric_text, widgets
from ui import formatting as fmt
from ui.i18n import lang, t

st.title(t("page.methodology"))
if data.has_snapshot():
    widgets.freshness_caption()
    scored = data.call("rubrics")
else:
    scored = []

available = sorted({rubric.id for rubric in rubric_text.all_rubrics()})
if not available:
    st.info(t("method.no_rubrics"))
    st.stop()
default = "province-it" if "province-it" in available else (scored or available)[0]
rubric_id = st.selectbox(t("filter.rubric"), available, index=available.index(default), key="method_rubric")
history = rubric_text.versions(rubric_id)
current = history[-1]

st.header(getattr(current, f"title_{lang()}"))
valid_to = fmt.day(current.valid_to, lang()) if current.valid_to else t("method.open_ended")
st.caption(t("method.version_line", version=current.version, start=fmt.day(current.valid_from, lang()), end=valid_to,
             file=Path(current.source_path).name))
st.markdown(t("method.principles", minimum=fmt.number(current.min_applicable_max, lang(), 0),
              stale=fmt.number(current.stale_after_days, lang(), 0)))

st.subheader(t("method.blocks"))
st.dataframe(
    [{"id": block.id, "name": getattr(block, f"name_{lang()}"), "max": block.max_points} for block in current.blocks],
    column_config={"id": t("col.block", block=""), "name": t("col.metric_name"),
                   "max": st.column_config.NumberColumn(t("col.max_points"), format="%g")},
    hide_index=True,
)

st.subheader(t("method.classes"))
st.dataframe(
    [{"label": getattr(band, f"label_{lang()}"), "min": band.min_index} for band in current.classes],
    column_config={"label": t("col.class"), "min": st.column_config.NumberColumn(t("method.min_index"), format="%g")},
    hide_index=True,
)

st.subheader(t("method.metrics"))
st.dataframe(
    rubric_text.metrics_table(current, lang()),
    column_config={
        "id": t("col.metric"), "name": st.column_config.TextColumn(t("col.metric_name"), width="large"),
        "block": t("col.block", block=""), "source": t("method.source"), "levels": t("filter.level"),
        "max": st.column_config.NumberColumn(t("col.max_points"), format="%g"), "function": t("method.function"),
        "target": t("method.target"), "bands": t("method.bands"), "empty": t("method.empty"),
        "basis": st.column_config.TextColumn(t("method.basis"), width="large"),
    },
    hide_index=True,
    key="method_metrics",
)

st.subheader(t("method.changes"))
if len(history) < 2:
    st.caption(t("method.first_version"))
else:
    previous = history[-2]
    st.caption(t("method.compared_with", version=previous.version))
    changed = rubric_text.changes(previous, current)
    if changed.empty:
        st.caption(t("method.no_changes"))
    else:
        st.dataframe(changed.assign(change=changed["change"].map(lambda c: t(f"method.change_{c}"))),
                     column_config={"metric": t("col.metric"), "change": t("method.change"),
                                    "field": t("method.field"), "before": t("method.before"),
                                    "after": t("method.after")},
                     hide_index=True)

with st.expander(t("method.source_file")):
    st.code(Path(current.source_path).read_text(encoding="utf-8"), language="toml")
