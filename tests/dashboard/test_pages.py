"""AppTest: every page on the seeded snapshot, for every role and language, without exception."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics import api
from metrics.db import open_snapshot
from metrics.publication import publish
from metrics.rubric import load_rubrics
from tests.dashboard.conftest import APP, PASSWORD
from tests.dashboard.seed import SEARCH_UNIT, SILENT_UNIT
from ui.data import DATA_DIR_ENV, workflow_store_path
from ui.i18n import LANGUAGES, text
from ui.navigation import PAGES, ROLE_PAGES, page_keys
from ui.session import IDENTITY_KEY, SELECTED_UNIT_KEY
from workflows import open_store
from workflows.accounts import authenticate, create_account

MY_PAGES = ("rankings", "unit_card", "trends", "collection_health", "methodology")
ROLE_USERS = {"leader": "lanhdao", "it_admin": "quantri", "unit": "soyte"}


def _cases() -> list[pytest.param]:
    return [
        pytest.param(role, page, lang, id=f"{role}-{page}-{lang}")
        for role in ROLE_PAGES for page in page_keys(role) for lang in LANGUAGES
    ]


def _frame_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page that has ``column``."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def _texts(at: AppTest) -> str:
    parts = [element.value for kind in ("title", "header", "subheader", "caption", "markdown", "warning", "info",
                                        "success") for element in getattr(at, kind)]
    return "\n".join(str(part) for part in parts)


@pytest.mark.parametrize(("role", "page", "lang"), _cases())
def test_every_page_runs_for_every_role_and_language(signed_in: Callable[..., AppTest], role: str, page: str,
                                                     lang: str) -> None:
    at = signed_in(ROLE_USERS[role], lang)
    at.switch_page(PAGES[page].path).run()
    assert not at.exception, at.exception
    if page in MY_PAGES:
        assert at.title[0].value == text(PAGES[page].title_key, lang)
    else:
        assert at.title, f"{page} rendered no title"


def test_rankings_lists_every_department_best_first(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao")
    assert not at.exception
    assert at.title[0].value == "Bảng xếp hạng"
    table = at.dataframe[0].value
    assert len(table) == 6
    assert table["rank"].tolist() == sorted(table["rank"].tolist())
    assert "Sở Y tế" in table["name"].tolist()
    assert at.get("vega_lite_chart")


def test_every_page_says_how_fresh_and_flags_old_data(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao")
    caption = next(c.value for c in at.caption if c.value.startswith("Dữ liệu thu thập lần cuối"))
    assert caption == ("Dữ liệu thu thập lần cuối: 20/10/2026 09:00 · Điểm tính lúc: 20/10/2026 10:00 · ⚠ không có "
                       "dữ liệu mới trong 6 giờ qua; đang hiển thị bản dữ liệu gần nhất")


def test_search_without_accents_finds_the_unit(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao")
    at.text_input(key="rankings_search").input("so y te").run()
    assert at.dataframe[0].value["name"].tolist() == ["Sở Y tế"]


def test_rankings_switch_to_communes_and_quarter(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao")
    at.segmented_control(key="rankings_level").set_value("commune").run()
    at.selectbox(key="rankings_kind").set_value("quarter").run()
    assert not at.exception
    assert at.selectbox(key="rankings_period").value == "2026-Q3"
    names = at.dataframe[0].value["name"].tolist()
    assert len(names) == 7 and "Xã Gia Bình" in names


def test_silent_unit_is_provisional_with_no_data_since_on_ranking_and_card(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao")
    at.segmented_control(key="rankings_level").set_value("commune").run()
    table = at.dataframe[0].value.set_index("unit_code")
    assert table.loc[SILENT_UNIT, "provisional"]
    assert table.loc[SILENT_UNIT, "note"] == "Tạm tính — không có dữ liệu từ 05/10/2026 (Một cửa điện tử)"
    assert table.drop(SILENT_UNIT)["note"].eq("").all()

    card = signed_in("giabinh", "en")
    card.switch_page("app_pages/unit_card.py").run()
    assert not card.exception
    assert card.warning[0].value == "Provisional — no data since 05/10/2026 (One-stop)"
    metrics = _frame_with(card, "gap").set_index("metric_id")
    assert metrics.loc["OS-01", "gap"] == "No data"
    assert metrics.loc["OS-01", "points"] != metrics.loc["OS-01", "points"]  # NaN: missing is never 0


def test_open_unit_card_from_rankings_and_see_the_records(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao")
    at.selectbox(key="rankings_open_unit").set_value(SEARCH_UNIT).run()
    at.button(key="rankings_open_card").click().run()
    assert not at.exception
    assert at.header[0].value == "Sở Y tế"
    at.selectbox(key="card_records_metric").set_value("EO-05").run()
    records = _frame_with(at, "Mã văn bản")
    assert records["Mã văn bản"].tolist() == ["D0", "D1", "D2"]
    assert records["Hạn xử lý"].tolist() == ["10/10/2026"] * 3
    assert records["Ngày hoàn thành"].tolist() == ["15/10/2026 07:00", "—", "15/10/2026 07:00"]


def test_unit_user_card_is_always_its_own_unit(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("soyte")
    at.session_state[SELECTED_UNIT_KEY] = SILENT_UNIT
    at.switch_page("app_pages/unit_card.py").run()
    assert not at.exception
    assert at.header[0].value == "Sở Y tế"
    assert not [box for box in at.selectbox if box.key == "card_unit"]


def test_unit_user_cannot_open_province_pages(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("soyte")
    for page in ("trends", "collection_health"):
        with pytest.raises(ValueError, match="Could not find"):
            at.switch_page(PAGES[page].path)


def test_unit_user_sees_only_published_rankings(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("soyte")
    at.switch_page("app_pages/rankings.py").run()
    assert not at.exception
    assert not at.dataframe  # nothing is published in the seed
    assert "Đơn vị chỉ xem được các bảng xếp hạng đã công bố." in _texts(at)


def test_tampered_identity_is_refused(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("soyte")
    identity = at.session_state["_itmon_identity"]
    at.session_state["_itmon_identity"] = type(identity)(identity.username, "it_admin", None, "x",
                                                         session_token=identity.session_token)
    at.run()
    assert not at.exception
    assert "_itmon_identity" not in at.session_state


def test_sign_in_form_refuses_a_wrong_password_then_opens_the_rankings(dashboard_env: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.title[0].value == "Đăng nhập"
    at.text_input(key="wf_sign_in_username").input("lanhdao")
    at.text_input(key="wf_sign_in_password").input("not-the-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Tên đăng nhập hoặc mật khẩu không đúng."]
    assert IDENTITY_KEY not in at.session_state
    assert at.session_state["wf_sign_in_password"] == ""

    at.text_input(key="wf_sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert not at.error
    assert at.session_state[IDENTITY_KEY].username == "lanhdao"
    assert at.session_state["wf_sign_in_password"] == ""
    assert at.title[0].value == "Bảng xếp hạng"


def test_collection_health_shows_the_failing_source(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("quantri")
    at.switch_page("app_pages/collection_health.py").run()
    assert not at.exception
    grid = _frame_with(at, "unit_code")
    assert grid["unit_code"].tolist() == [SILENT_UNIT]
    assert _frame_with(at, "reason")["reason"].str.contains("ngay_ket_thuc_xu_ly").all()


def test_methodology_renders_the_rubric_file(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in("lanhdao", "en")
    at.switch_page("app_pages/methodology.py").run()
    metrics = _frame_with(at, "function")
    assert "EO-01" in metrics["id"].tolist()
    assert any("province-it.toml" in caption.value for caption in at.caption)


def test_every_role_has_its_own_pages(dashboard_env: object) -> None:
    assert page_keys("unit")[:2] == ["unit_card", "rankings"]
    assert "trends" not in page_keys("unit") and "collection_health" not in page_keys("unit")
    assert page_keys("nobody") == []


def test_unit_user_sees_the_frozen_published_ranking(dashboard_data_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(dashboard_data_dir, data_dir)
    con = open_snapshot(data_dir / "snapshot.duckdb")
    try:
        publish(con, workflow_store_path(data_dir), load_rubrics()["province-it"], "2026-09", published_by="quantri")
        expected = api.ranking(con, "province-it", "department", "2026-09")
    finally:
        con.close()
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    st.cache_data.clear()
    st.cache_resource.clear()
    identity = authenticate(open_store(workflow_store_path(data_dir)), "soyte", PASSWORD)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_itmon_identity"] = identity
    at.run().switch_page("app_pages/rankings.py").run()
    assert not at.exception
    assert at.selectbox(key="rankings_period").options == ["09/2026"]
    shown = at.dataframe[0].value
    assert shown["name"].tolist() == expected["name"].tolist()
    assert shown["index_pct"].tolist() == pytest.approx(expected["index_pct"].tolist())
    assert not [box for box in at.selectbox if box.key == "rankings_open_unit"]


def test_first_load_shows_progress_instead_of_an_empty_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "fresh"
    data_dir.mkdir()
    (data_dir / "daemon-status.json").write_text(json.dumps({
        "phase": "first_load", "units_done": 61, "units_total": 483, "records_so_far": 75865,
        "updated_at": "2026-11-22T03:51:42+00:00",
    }), encoding="utf-8")
    store = open_store(workflow_store_path(data_dir))
    create_account(store, "lanhdao", PASSWORD, "leader", None, "Lãnh đạo")
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["_itmon_identity"] = authenticate(store, "lanhdao", PASSWORD)
    at.run()
    assert not at.exception
    assert at.info[0].value.startswith("Đang thu thập dữ liệu lần đầu")
    progress = at.get("progress")[0]
    assert progress.proto.text == "Thu thập lần đầu: 61/483 đơn vị, 75.865 bản ghi"
    assert "10:51" in _texts(at)  # the status time in Vietnam's time zone
