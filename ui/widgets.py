"""Small render helpers shared by pages: freshness line, first-load progress, period pickers, notes."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from metrics import api
from ui import data
from ui import formatting as fmt
from ui.i18n import lang, t

PERIOD_KINDS = ("month", "quarter", "year", "ytd")


def require_snapshot() -> None:
    """Stop the page with the daemon's first-load progress when no snapshot exists yet."""
    if data.has_snapshot():
        return
    st.info(t("first_load.waiting"))
    _first_load_progress()
    st.stop()


@st.fragment(run_every="3s")
def _first_load_progress() -> None:
    if data.has_snapshot():
        st.rerun()
    status = data.daemon_status()
    if not status:
        st.caption(t("first_load.no_status"))
        return
    done, total = status.get("units_done") or 0, status.get("units_total") or 0
    phase = status.get("phase") or ""
    st.progress(min(1.0, done / total) if total else 0.0,
                text=t("first_load.progress", phase=t(f"phase.{phase}"), done=fmt.number(done, lang(), 0),
                       total=fmt.number(total, lang(), 0),
                       records=fmt.number(status.get("records_so_far") or 0, lang(), 0)))
    st.caption(t("first_load.updated", at=fmt.moment(status.get("updated_at"), lang())))


STALE_AFTER = pd.Timedelta(hours=6)


def freshness_caption(now: datetime | None = None) -> None:
    """One line saying how fresh the data on this page is, flagged when nothing new arrived for a while
    (the page keeps showing the last good snapshot while the collector is down)."""
    fresh = data.call("freshness")
    last = fresh.get("last_success") or fresh.get("last_cycle")
    computed = fresh.get("scores_computed")
    line = t("freshness.line", collected=fmt.moment(last, lang()), computed=fmt.moment(computed, lang()))
    current = pd.Timestamp(now or datetime.now(UTC))
    if last is None or current - pd.Timestamp(last) > STALE_AFTER:
        line = f"{line} · ⚠ {t('freshness.stale')}"
    st.caption(line)


def rubric_picker(key: str) -> str | None:
    """Choose a rubric among those scored; None (with a message) when nothing is scored yet."""
    available = data.call("rubrics")
    if not available:
        st.info(t("scores.none_yet"))
        return None
    if len(available) == 1:
        return available[0]
    default = "province-it" if "province-it" in available else available[0]
    return st.selectbox(t("filter.rubric"), available, index=available.index(default), key=key)


def period_picker(periods: list[str], key: str) -> str | None:
    """Period kind (month, quarter, year, year-to-date) then the period, newest first."""
    if not periods:
        st.info(t("scores.no_period"))
        return None
    kinds = [kind for kind in PERIOD_KINDS if any(api.period_kind(p) == kind for p in periods)]
    left, right = st.columns(2)
    kind = left.selectbox(t("filter.period_kind"), kinds, format_func={k: t(f"period_kind.{k}") for k in kinds}.get,
                          key=f"{key}_kind")
    choices = [p for p in periods if api.period_kind(p) == kind]
    return right.selectbox(t("filter.period"), choices, format_func={p: fmt.period_label(p, lang()) for p in choices}.get,
                           key=f"{key}_period")


def level_picker(key: str) -> str:
    return st.segmented_control(t("filter.level"), list(api.LEVELS), format_func={v: t(f"level.{v}") for v in api.LEVELS}.get,
                                default=api.LEVELS[0], key=key, required=True) or api.LEVELS[0]
