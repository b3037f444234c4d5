"""Playwright in Debian's Chromium against the real `streamlit run app.py` on the seeded snapshot."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from tests.dashboard.conftest import PASSWORD
from tests.plugins.browser import save_screenshot, wait_for_app_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture()
def dashboard_url(streamlit_server: Callable[[Path], str], dashboard_data_dir: Path) -> str:
    return streamlit_server(dashboard_data_dir)


def open_signed_in(chromium: Browser, url: str, username: str) -> Page:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    wait_for_app_run(page)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    wait_for_app_run(page)
    return page


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option).first.click()
    wait_for_app_run(page)


def download(page: Page, button: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    return Path(info.value.path()).read_bytes()


def pdf_text(data: bytes) -> str:
    raw = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def test_rankings_level_period_and_accentless_search(chromium: Browser, dashboard_url: str) -> None:
    page = open_signed_in(chromium, dashboard_url, "lanhdao")
    expect(page.get_by_role("heading", name="Bảng xếp hạng")).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart'] .marks").first).to_be_visible(timeout=20_000)

    page.get_by_role("radio", name="Xã, phường, đặc khu").click()
    wait_for_app_run(page)
    expect(page.get_by_text("Chỉ số của 7 đơn vị đứng đầu")).to_be_visible(timeout=20_000)

    page.get_by_role("radio", name="Sở, ban, ngành").click()
    wait_for_app_run(page)
    choose(page, "Loại kỳ", "Quý")
    expect(page.get_by_role("combobox", name="Kỳ", exact=True)).to_have_value("Quý 3/2026")

    search = page.get_by_label("Tìm đơn vị")
    search.fill("so y te")
    search.press("Enter")
    wait_for_app_run(page)
    expect(page.get_by_text("Tìm thấy 1 đơn vị")).to_be_visible()
    save_screenshot(page, "rankings-search-so-y-te")

    grid = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    assert grid is not None
    page.mouse.click(grid["x"] + 12, grid["y"] + 53)  # the row-selection marker of the only row
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Phiếu điểm đơn vị")).to_be_visible()
    expect(page.get_by_role("heading", name="Sở Y tế")).to_be_visible()


def test_unit_card_records_and_exports(chromium: Browser, dashboard_url: str) -> None:
    page = open_signed_in(chromium, dashboard_url, "lanhdao")
    ranking_xlsx = load_workbook(io.BytesIO(download(page, "Tải Excel (.xlsx)"))).active
    assert [cell.value for cell in ranking_xlsx[3]][:4] == ["Hạng", "Thay đổi", "Mã đơn vị", "Tên đơn vị"]
    assert "Sở Y tế" in [row[3] for row in ranking_xlsx.iter_rows(min_row=4, values_only=True)]
    assert "Bảng xếp hạng ứng dụng CNTT — Sở, ban, ngành — 10/2026" in pdf_text(download(page, "Tải PDF (A4)"))

    choose(page, "Mở phiếu điểm của đơn vị", "Sở Y tế")
    page.get_by_role("button", name="Xem phiếu điểm").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Sở Y tế")).to_be_visible()

    choose(page, "Chỉ tiêu", "EO-05")
    expect(page.get_by_text("3 bản ghi (tối đa 500)")).to_be_visible()
    save_screenshot(page, "unit-card-records-eo05")

    card = load_workbook(io.BytesIO(download(page, "Tải Excel (.xlsx)"))).active
    assert card["A1"].value == "Phiếu điểm: Sở Y tế — 10/2026"
    rows = {row[0]: row for row in card.iter_rows(min_row=4, values_only=True)}
    assert isinstance(rows["EO-05"][3], int | float) and isinstance(rows["EO-05"][6], int | float)
    text = pdf_text(download(page, "Tải PDF (A4)"))
    assert "Phiếu điểm: Sở Y tế — 10/2026" in text
    assert "Tỷ lệ văn bản đến có hạn xử lý được giải quyết đúng hạn" in text


def test_language_switch(chromium: Browser, dashboard_url: str) -> None:
    page = open_signed_in(chromium, dashboard_url, "lanhdao")
    page.get_by_role("radio", name="English").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Rankings")).to_be_visible()
    expect(page.get_by_text("Find a unit")).to_be_visible()
    save_screenshot(page, "rankings-english")
    page.get_by_role("radio", name="Tiếng Việt").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Bảng xếp hạng")).to_be_visible()


def test_silent_unit_card_says_no_data_since(chromium: Browser, dashboard_url: str) -> None:
    page = open_signed_in(chromium, dashboard_url, "giabinh")
    expect(page.get_by_role("heading", name="Xã Gia Bình")).to_be_visible()
    expect(page.get_by_text("Tạm tính — không có dữ liệu từ 05/10/2026 (Một cửa điện tử)")).to_be_visible()
    wait_for_app_run(page)
    save_screenshot(page, "unit-card-provisional")


def test_trends_health_and_methodology_render(chromium: Browser, dashboard_url: str) -> None:
    page = open_signed_in(chromium, dashboard_url, "quantri")
    page.get_by_role("link", name="Xu hướng").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Bản đồ nhiệt đơn vị × chỉ tiêu")).to_be_visible()
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(4, timeout=30_000)
    save_screenshot(page, "trends")

    page.get_by_role("link", name="Tình trạng thu thập").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Đơn vị × hệ thống")).to_be_visible()
    expect(page.get_by_text("Đang lỗi")).to_be_visible()
    save_screenshot(page, "collection-health")

    page.get_by_role("link", name="Phương pháp").click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", name="Thay đổi so với phiên bản trước")).to_be_visible()
    save_screenshot(page, "methodology")
