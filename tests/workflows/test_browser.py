"""Each role's workflow journey in Debian's Chromium against the real `streamlit run app.py`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.dashboard.seed import SEARCH_UNIT, seed_snapshot
from tests.plugins.browser import save_screenshot, wait_for_app_run
from tests.workflows import files
from tests.workflows.conftest import PASSWORDS
from tests.workflows.pages import seed_accounts
from tests.workflows.publishing import province_rubric, publish_period
from workflows import open_store
from workflows.accounts import authenticate
from workflows.disputes import published_history
from workflows.evidence import store_evidence
from workflows.inspections import due_follow_ups, list_inspections
from workflows.selfreport import list_reports, verified_counts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    seed_snapshot(tmp_path)
    seed_accounts(tmp_path)
    return tmp_path


@pytest.fixture()
def url(streamlit_server: Callable[[Path], str], data_dir: Path) -> str:
    return streamlit_server(data_dir)


def sign_in(chromium: Browser, url: str, username: str) -> Page:
    page = chromium.new_context(viewport={"width": 1400, "height": 1100}, locale="vi-VN",
                                accept_downloads=True).new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a script ran and opened a dialog: {dialog.message}"))
    page.goto(url)
    wait_for_app_run(page)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    wait_for_app_run(page)
    return page


def open_page(page: Page, title: str) -> None:
    page.get_by_role("link", name=title).click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option).first.click()
    wait_for_app_run(page)


def test_unit_submits_it_verifies_and_the_value_scores(chromium: Browser, url: str, data_dir: Path,
                                                       tmp_path: Path) -> None:
    page = sign_in(chromium, url, "donvi.a")
    open_page(page, "Tự đánh giá")
    choose(page, "Chỉ tiêu", "SR-02")
    page.get_by_label("Số CBCC có chữ ký số cá nhân đang sử dụng", exact=True).fill("42")
    page.get_by_label("Số CBCC có chữ ký số cá nhân đang sử dụng", exact=True).press("Tab")
    evidence = tmp_path / "danh-sach-chu-ky-so.pdf"
    evidence.write_bytes(files.pdf_bytes())
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(evidence))
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Lưu nháp").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Đã lưu bản nháp #1.")).to_be_visible()
    page.get_by_role("button", name="Nộp để xác minh").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Đã nộp bản #1; đang chờ Sở KH&CN xác minh.")).to_be_visible()
    expect(page.get_by_role("heading", name="Các bản tự đánh giá của đơn vị")).to_be_visible()
    save_screenshot(page, "workflow-unit-submitted")
    store = open_store(data_dir / "workflow.sqlite")
    [pending] = list_reports(store, authenticate(store, "sokhcn", PASSWORDS["sokhcn"]))
    assert (pending.status, pending.values) == ("submitted", {"sr_signers_active": 42.0})
    assert verified_counts(store) == []

    admin = sign_in(chromium, url, "sokhcn")
    open_page(admin, "Tự đánh giá")
    expect(admin.get_by_role("button", name="Tải minh chứng “danh-sach-chu-ky-so.pdf”")).to_be_visible()
    admin.get_by_role("button", name="Xác minh").click()
    wait_for_app_run(admin)
    expect(admin.get_by_text("Đã xác minh bản #1.")).to_be_visible()
    expect(admin.get_by_text("Không có bản nào chờ xác minh.")).to_be_visible()
    wait_for_app_run(admin)
    save_screenshot(admin, "workflow-it-verified")
    assert verified_counts(store) == [("SO-A", pending.period, "sr_signers_active", 42.0)]


def test_dispute_raised_accepted_and_both_versions_published(chromium: Browser, url: str, data_dir: Path,
                                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    store = open_store(data_dir / "workflow.sqlite")
    publication = publish_period(store, tmp_path_factory.mktemp("scores"), province_rubric())
    page = sign_in(chromium, url, "donvi.a")
    open_page(page, "Kiến nghị, khiếu nại")
    choose(page, "Chỉ tiêu", "EO-01")
    page.get_by_label("Giải trình").fill("Hệ thống bỏ sót 15 văn bản ký số gửi qua Trục liên thông")
    page.get_by_role("button", name="Gửi khiếu nại").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Đã gửi khiếu nại #1.")).to_be_visible()

    admin = sign_in(chromium, url, "sokhcn")
    open_page(admin, "Kiến nghị, khiếu nại")
    admin.get_by_label("Tử số đã sửa").fill("95")
    admin.get_by_label("Tử số đã sửa").press("Enter")
    wait_for_app_run(admin)
    admin.get_by_role("button", name="Chấp nhận và chấm lại").click()
    wait_for_app_run(admin)
    expect(admin.get_by_text(f"Đã chấp nhận; công bố phiên bản mới #{publication.publication_id + 1}.")).to_be_visible()
    expect(admin.get_by_role("combobox", name="Chọn khiếu nại")).to_have_count(0, timeout=15_000)
    expect(admin.get_by_role("heading", name="Lịch sử công bố của đơn vị")).to_be_visible()
    wait_for_app_run(admin)
    save_screenshot(admin, "workflow-dispute-accepted")

    unit = authenticate(store, "donvi.a", PASSWORDS["donvi.a"])
    versions = published_history(store, unit, publication.rubric_id, publication.period)
    assert [v["rubric_version"] for v in versions] == [publication.rubric_version, f"{publication.rubric_version}+KN1"]
    page.reload()
    wait_for_app_run(page)
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()  # a reload is a new session: signed out


def test_inspection_recorded_and_follow_up_due(chromium: Browser, url: str, data_dir: Path) -> None:
    admin = sign_in(chromium, url, "sokhcn")
    open_page(admin, "Kiểm tra thực tế")
    choose(admin, "Kỳ báo cáo", "2026-10")
    choose(admin, "Đơn vị", SEARCH_UNIT)
    admin.get_by_label("Tóm tắt").fill("Kiểm tra định kỳ năm 2026")
    admin.get_by_label("Phát hiện (mỗi dòng một ý)").fill("Chưa ký số văn bản đi")
    admin.get_by_role("button", name="Lưu đợt kiểm tra").click()
    wait_for_app_run(admin)
    expect(admin.get_by_text("Đã lưu đợt kiểm tra #1.")).to_be_visible()
    save_screenshot(admin, "workflow-inspection-recorded")
    store = open_store(data_dir / "workflow.sqlite")
    identity = authenticate(store, "sokhcn", PASSWORDS["sokhcn"])
    [visit] = list_inspections(store, identity)
    assert visit.unit_code == SEARCH_UNIT and visit.checklist and visit.findings == ("Chưa ký số văn bản đi",)
    assert due_follow_ups(store, identity, until=store.clock().date()) == []


def test_unit_cannot_open_other_pages_or_fetch_evidence_and_names_are_text(chromium: Browser, url: str,
                                                                          data_dir: Path) -> None:
    store = open_store(data_dir / "workflow.sqlite")
    secret = files.pdf_bytes("evidence of unit A")
    evidence = store_evidence(store, authenticate(store, "donvi.a", PASSWORDS["donvi.a"]), "a.pdf", secret)
    for path in (f"/evidence/{evidence.id}", f"/app/static/{evidence.id}", f"/media/{evidence.id}",
                 f"/{evidence.id}", f"/app/static/../evidence/{evidence.id}", f"/nhat-ky?evidence={evidence.id}"):
        response = requests.get(url + path, timeout=10)
        assert secret not in response.content, path

    page = sign_in(chromium, url, "donvi.b")
    expect(page.get_by_text("Đăng nhập: Xã Bình Minh <script>alert(1)</script>")).to_be_visible()
    expect(page.get_by_role("link", name="Nhật ký")).to_have_count(0)
    expect(page.get_by_role("link", name="Kiểm tra thực tế")).to_have_count(0)
    page.goto(url + "/nhat-ky?unit=SO-A&role=it_admin")
    wait_for_app_run(page)
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    save_screenshot(page, "workflow-unit-direct-url")
