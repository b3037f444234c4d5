"""AppTest journeys through the workflow pages, per role, and the role boundaries around them."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from tests.dashboard.seed import SEARCH_UNIT, seed_snapshot
from tests.workflows.pages import seed_accounts, signed_in, texts
from tests.workflows.publishing import province_rubric, publish_period
from ui.data import DATA_DIR_ENV
from ui.session import IDENTITY_KEY
from workflows import open_store
from workflows.selfreport import verified_counts


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    seed_accounts(tmp_path)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


def fill_sr03(at, approved: int, total: int, doc: str = "12/QĐ-STP") -> None:  # noqa: ANN001
    at.selectbox(key="wf_sa_item").select("SR-03").run()
    at.number_input(key="wf_sa_sr_systems_approved").set_value(approved)
    at.number_input(key="wf_sa_sr_systems_total").set_value(total)
    at.text_input(key="wf_sa_doc_number").input(doc)
    from datetime import date

    at.date_input(key="wf_sa_doc_date").set_value(date(2026, 3, 1))
    at.text_input(key="wf_sa_period").input("2026")
    at.button[0].click()


def test_unit_submits_sees_pending_then_it_verifies(data_dir: Path) -> None:
    at = signed_in(data_dir, "donvi.a", "self_assessment")
    assert not at.exception
    fill_sr03(at, 3, 4)
    at.run()
    assert "Đã lưu bản nháp #1" in texts(at)
    at.button(key="wf_sa_submit").click().run()
    assert "Đã nộp bản #1" in texts(at)
    mine = at.dataframe[0].value
    assert mine.iloc[0]["Trạng thái"] == "Chờ xác minh"
    assert mine.iloc[0]["Giá trị"] == "sr_systems_approved = 3, sr_systems_total = 4"
    assert verified_counts(open_store(data_dir / "workflow.sqlite")) == []

    admin = signed_in(data_dir, "sokhcn", "self_assessment")
    queue = admin.dataframe[0].value
    assert list(queue["Đơn vị"]) == ["SO-A"]
    admin.button(key="wf_sa_verify").click().run()
    assert "Đã xác minh bản #1" in texts(admin)
    assert "Không có bản nào chờ xác minh" in texts(admin)
    assert verified_counts(open_store(data_dir / "workflow.sqlite")) == [
        ("SO-A", "2026", "sr_systems_approved", 3.0), ("SO-A", "2026", "sr_systems_total", 4.0)]

    at = signed_in(data_dir, "donvi.a", "self_assessment")
    assert at.dataframe[0].value.iloc[0]["Trạng thái"] == "Đã xác minh"


def test_bad_value_is_refused_with_the_field_named(data_dir: Path) -> None:
    at = signed_in(data_dir, "donvi.a", "self_assessment")
    fill_sr03(at, 5, 4)
    at.run()
    assert at.error and "sr_systems_approved" in at.error[0].value and "5 > sr_systems_total = 4" in at.error[0].value
    assert "Chưa có bản tự đánh giá nào" in texts(at)


def test_english_switch(data_dir: Path) -> None:
    at = signed_in(data_dir, "donvi.a", "self_assessment", lang="en")
    assert at.title[0].value == "Self-assessment"
    assert "No self-assessment yet." in texts(at)


def test_dispute_raised_accepted_and_history_shows_both_versions(data_dir: Path, tmp_path_factory) -> None:  # noqa: ANN001
    store = open_store(data_dir / "workflow.sqlite")
    publication = publish_period(store, tmp_path_factory.mktemp("scores"), province_rubric())

    at = signed_in(data_dir, "donvi.a", "disputes")
    assert not at.exception
    at.selectbox(key="wf_dp_metric").select("EO-01")
    at.text_area(key="wf_dp_explanation").input("Hệ thống bỏ sót 15 văn bản ký số gửi qua Trục liên thông")
    at.number_input(key="wf_dp_proposed").set_value(0.95)
    at.button[0].click().run()
    assert "Đã gửi khiếu nại #1" in texts(at)
    mine = at.dataframe[-1].value
    assert mine.iloc[0]["Trạng thái"] == "Đang xử lý" and mine.iloc[0]["Giá trị công bố"] == "0.8"

    admin = signed_in(data_dir, "sokhcn", "disputes")
    assert admin.number_input(key="wf_dp_num").value == 80.0
    admin.number_input(key="wf_dp_num").set_value(95.0)
    admin.button(key="wf_dp_accept").click().run()
    assert not admin.exception
    assert f"công bố phiên bản mới #{publication.publication_id + 1}" in texts(admin)
    assert "Lịch sử công bố của đơn vị" in texts(admin)
    assert list(admin.dataframe[-1].value["Thứ hạng"]) == [2, 1]

    at = signed_in(data_dir, "donvi.a", "disputes")
    history = at.dataframe[1].value
    assert list(history["Phiên bản"]) == [publication.rubric_version, f"{publication.rubric_version}+KN1"]
    assert list(history["Thứ hạng"]) == [2, 1]
    mine = at.dataframe[-1].value
    assert mine.iloc[0]["Trạng thái"] == "Được chấp nhận" and mine.iloc[0]["Giá trị sửa"] == "0.95"


def test_inspection_recorded_with_prefilled_checklist_and_follow_up_due(data_dir: Path) -> None:
    seed_snapshot(data_dir)
    at = signed_in(data_dir, "sokhcn", "inspections")
    assert not at.exception
    at.selectbox(key="wf_in_period").select("2026-10").run()
    at.selectbox(key="wf_in_unit").select(SEARCH_UNIT).run()
    at.text_input(key="wf_in_summary").input("Kiểm tra định kỳ")
    at.text_area(key="wf_in_findings").input("Chưa ký số văn bản đi\nCổng chưa có IPv6")
    today = open_store(data_dir / "workflow.sqlite").clock().date()
    editor_state = {"edited_rows": {}, "added_rows": [{"text": "Ban hành quy chế ký số",
                                                       "deadline": today.isoformat()}], "deleted_rows": []}
    at.session_state["wf_in_recommendations"] = editor_state
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "Đã lưu đợt kiểm tra #1" in texts(at), texts(at)

    admin = signed_in(data_dir, "sokhcn")
    from workflows.inspections import due_follow_ups, list_inspections

    store = open_store(data_dir / "workflow.sqlite")
    [visit] = list_inspections(store, admin.session_state[IDENTITY_KEY])
    measured = {line.metric_id: line.measured_value for line in visit.checklist}
    con = duckdb.connect(str(data_dir / "snapshot.duckdb"), read_only=True)
    expected = dict(con.execute("SELECT metric_id, value FROM metric_scores WHERE rubric_id = 'province-it' "
                                "AND unit_code = ? AND period = '2026-10'", [SEARCH_UNIT]).fetchall())
    con.close()
    assert measured == {k: None if v is None or math.isnan(v) else v for k, v in expected.items()}
    assert None in measured.values() or len(measured) > 10
    assert visit.findings == ("Chưa ký số văn bản đi", "Cổng chưa có IPv6")
    [due] = due_follow_ups(store, admin.session_state[IDENTITY_KEY], until=today)
    assert due.text == "Ban hành quy chế ký số"

    page = signed_in(data_dir, "lanhdao", "inspections")
    assert "Ban hành quy chế ký số" in page.dataframe[0].value.iloc[0].tolist()


@pytest.mark.parametrize("username", ["lanhdao", "donvi.a"])
def test_leader_and_unit_change_their_own_password_but_manage_no_accounts(data_dir: Path, username: str) -> None:
    from tests.workflows.pages import PASSWORDS
    from workflows.accounts import AuthError, authenticate

    at = signed_in(data_dir, username, "accounts")
    assert not at.exception
    assert at.text_input(key="wf_ac_own_old") is not None
    assert "wf_ac_new_username" not in [w.key for w in at.text_input]
    at.text_input(key="wf_ac_own_old").input(PASSWORDS[username])
    at.text_input(key="wf_ac_own_new").input("Mật-khẩu-mới-2026!")
    at.button[0].click().run()
    assert not at.exception
    store = open_store(data_dir / "workflow.sqlite")
    assert authenticate(store, username, "Mật-khẩu-mới-2026!").username == username
    with pytest.raises(AuthError):
        authenticate(store, username, PASSWORDS[username])
