"""Role boundaries of the workflow pages in AppTest: page switch, query parameters, tampered session state,
uploads (wrong type, oversize, faked extension, HTML names) and HTML in names shown as text."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.workflows import files
from tests.workflows.conftest import PASSWORDS
from tests.workflows.pages import APP, PAGE, seed_accounts, signed_in, texts
from tests.workflows.publishing import province_rubric, publish_period
from ui.data import DATA_DIR_ENV
from ui.navigation import ROLE_PAGES
from ui.session import IDENTITY_KEY
from workflows import open_store
from workflows.accounts import authenticate
from workflows.disputes import raise_dispute
from workflows.evidence import store_evidence
from workflows.selfreport import list_reports, save_draft

ROLES = {"sokhcn": "it_admin", "lanhdao": "leader", "donvi.a": "unit"}
WORKFLOW_PAGES = {"self_assessment", "disputes", "inspections", "audit", "accounts"}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    seed_accounts(tmp_path)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def unit_a_material(data_dir: Path) -> dict[str, object]:
    """Unit A's draft with evidence and a dispute: what unit B must never reach."""
    store = open_store(data_dir / "workflow.sqlite")
    user = authenticate(store, "donvi.a", PASSWORDS["donvi.a"])
    evidence = store_evidence(store, user, "bi-mat-don-vi-a.pdf", files.pdf_bytes())
    report_id = save_draft(store, user, period="2026", item_id="SR-02", values={"sr_signers_active": 77},
                           evidence_id=evidence.id, note="ghi chú nội bộ của đơn vị A")
    (data_dir / "scores").mkdir()
    publication = publish_period(store, data_dir / "scores", province_rubric())
    dispute_id = raise_dispute(store, user, publication.publication_id, "EO-01", "giải trình nội bộ của đơn vị A")
    return {"evidence": evidence, "report_id": report_id, "dispute_id": dispute_id}


@pytest.mark.parametrize("username", list(ROLES))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_workflow_page_runs_for_every_role_that_has_it(data_dir: Path, username: str, lang: str) -> None:
    for page in WORKFLOW_PAGES & set(ROLE_PAGES[ROLES[username]]):
        at = signed_in(data_dir, username, page, lang=lang)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])


@pytest.mark.parametrize("page", sorted(WORKFLOW_PAGES - set(ROLE_PAGES["unit"])))
def test_unit_cannot_switch_to_province_workflow_pages(data_dir: Path, page: str) -> None:
    at = signed_in(data_dir, "donvi.a")
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE[page])


def test_unit_b_sees_nothing_of_unit_a_on_any_page_even_with_query_parameters(
    data_dir: Path, unit_a_material: dict[str, object]
) -> None:
    for page in ("self_assessment", "disputes"):
        at = signed_in(data_dir, "donvi.b")
        at.query_params["unit"] = "SO-A"
        at.query_params["unit_code"] = "SO-A"
        at.query_params["report"] = str(unit_a_material["report_id"])
        at.switch_page(PAGE[page]).run()
        assert not at.exception
        shown = texts(at) + "".join(df.value.to_csv() for df in at.dataframe)
        shown += "".join(str(s.options) for s in at.selectbox)
        for secret in ("SO-A", "77", "bi-mat-don-vi-a", "giải trình nội bộ", "ghi chú nội bộ"):
            assert secret not in shown, (page, secret)


def test_it_department_does_see_unit_a(data_dir: Path, unit_a_material: dict[str, object]) -> None:
    at = signed_in(data_dir, "sokhcn", "self_assessment")
    assert "SO-A" in at.dataframe[-1].value.to_csv()
    at = signed_in(data_dir, "sokhcn", "disputes")
    assert "giải trình nội bộ của đơn vị A" in at.dataframe[0].value.to_csv()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"unit_code": "SO-A"}, id="unit-code"),
        pytest.param({"role": "it_admin", "unit_code": None}, id="role"),
        pytest.param({"username": "donvi.a", "unit_code": "SO-A"}, id="username"),
        pytest.param({"session_token": "x" * 43}, id="token"),
    ],
)
def test_tampered_session_state_is_refused_by_app_and_page(data_dir: Path, unit_a_material: dict[str, object],
                                                           tamper: dict[str, object]) -> None:
    identity = authenticate(open_store(data_dir / "workflow.sqlite"), "donvi.b", PASSWORDS["donvi.b"])
    forged = dataclasses.replace(identity, **tamper)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[IDENTITY_KEY] = forged
    at.run()
    assert IDENTITY_KEY not in at.session_state
    assert [b.label for b in at.button] == ["Đăng nhập"]
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE["self_assessment"])
    # defence in depth: the page itself, run without the router, refuses the forged identity too
    page = AppTest.from_file(str(Path(APP).parent / PAGE["self_assessment"]), default_timeout=60)
    page.session_state[IDENTITY_KEY] = forged
    page.run()
    assert "đăng nhập lại" in page.error[0].value
    assert not page.dataframe


def upload(at: AppTest, name: str, content: bytes, mime: str) -> AppTest:
    at.selectbox(key="wf_sa_item").select("SR-02").run()
    at.number_input(key="wf_sa_sr_signers_active").set_value(12)
    at.file_uploader(key="wf_sa_file").set_value((name, content, mime))
    at.button[0].click()
    return at.run()


@pytest.mark.parametrize(
    ("name", "content", "mime", "message"),
    [
        pytest.param("quyet-dinh.pdf", files.HTML_BYTES, "application/pdf", "không phải PDF", id="html-as-pdf"),
        pytest.param("anh.png", files.gif_bytes(), "image/png", "image/gif", id="gif-as-png"),
        pytest.param("ke-hoach.docx", files.pdf_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     "phần mở rộng “docx” nhưng nội dung là application/pdf", id="faked-extension"),
        pytest.param("lon.pdf", files.pdf_bytes() + b"\0" * (11 * 1024 * 1024), "application/pdf",
                     "vượt giới hạn 10.0 MB", id="oversize"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(data_dir: Path, name: str, content: bytes, mime: str,
                                                      message: str) -> None:
    at = upload(signed_in(data_dir, "donvi.a", "self_assessment"), name, content, mime)
    assert at.error and message in at.error[0].value and name in at.error[0].value
    assert list_reports(open_store(data_dir / "workflow.sqlite"),
                        authenticate(open_store(data_dir / "workflow.sqlite"), "sokhcn", PASSWORDS["sokhcn"])) == []
    assert list((data_dir / "evidence").iterdir()) == []


def test_html_in_names_and_uploads_is_shown_as_text(data_dir: Path) -> None:
    hostile = "<img src=x onerror=alert(1)>.pdf"
    at = upload(signed_in(data_dir, "donvi.b", "self_assessment"), hostile, files.pdf_bytes(), "application/pdf")
    assert not at.error
    at = signed_in(data_dir, "donvi.b", "self_assessment")
    sidebar = [c.value for c in at.sidebar.caption]
    assert any("Xã Bình Minh <script>alert(1)</script>" in c for c in sidebar)
    assert at.get("download_button")[0].proto.label == f"Tải minh chứng “{hostile}”"
    elements = [*at.markdown, *at.caption, *at.sidebar.caption, *at.error, *at.success, *at.info]
    assert elements and not any(getattr(e.proto, "allow_html", False) for e in elements)


def test_audit_page_for_it_and_leader_but_only_it_exports(data_dir: Path) -> None:
    admin = signed_in(data_dir, "sokhcn", "audit")
    log = admin.dataframe[0].value
    assert {"sign_in", "account_create"} <= set(log["Thao tác"])
    assert len(admin.get("download_button")) == 2
    leader = signed_in(data_dir, "lanhdao", "audit")
    assert not leader.get("download_button") and len(leader.dataframe[0].value) == len(log) + 1


def test_admin_creates_an_account_and_sees_refusals(data_dir: Path) -> None:
    at = signed_in(data_dir, "sokhcn", "accounts")
    at.text_input(key="wf_ac_new_username").input("donvi.c")
    at.selectbox(key="wf_ac_new_role").select("unit")
    at.text_input(key="wf_ac_new_unit").input("SO-C")
    at.text_input(key="wf_ac_new_name").input("Sở Xây dựng")
    at.text_input(key="wf_ac_new_password").input("mat-khau-so-c-2026")
    at.button[0].click().run()
    assert "Đã tạo tài khoản donvi.c" in texts(at)
    assert authenticate(open_store(data_dir / "workflow.sqlite"), "donvi.c", "mat-khau-so-c-2026").unit_code == "SO-C"
    at.text_input(key="wf_ac_new_username").input("donvi.d")
    at.selectbox(key="wf_ac_new_role").select("unit")
    at.text_input(key="wf_ac_new_password").input("mat-khau-so-d-2026")
    at.button[0].click().run()
    assert "Tài khoản đơn vị phải gắn với đúng một mã đơn vị" in at.error[0].value


OIDC_SECRETS = {"redirect_uri": "http://127.0.0.1/oauth2callback", "cookie_secret": "not-a-real-secret",
                "client_id": "itmon", "client_secret": "not-a-real-secret",
                "server_metadata_url": "http://127.0.0.1/.well-known/openid-configuration"}


def oidc_app(user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = user
    return at.run()


def test_oidc_role_and_unit_come_from_the_account_table_not_the_token(data_dir: Path) -> None:
    from workflows.accounts import create_account

    create_account(open_store(data_dir / "workflow.sqlite"), "canbo@xa-b.gov.vn", None, "unit", "XA-B",
                   "Cán bộ xã", oidc_subject="kc-123")
    at = oidc_app({"is_logged_in": True, "sub": "kc-123", "email": "canbo@xa-b.gov.vn",
                   "roles": ["it_admin"], "unit_code": "SO-A"})
    who = at.session_state[IDENTITY_KEY]
    assert (who.username, who.role, who.unit_code) == ("canbo@xa-b.gov.vn", "unit", "XA-B")
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE["audit"])

    stranger = oidc_app({"is_logged_in": True, "sub": "kc-999", "email": "ai.do@example.org", "roles": ["it_admin"]})
    assert IDENTITY_KEY not in stranger.session_state
    assert "chưa được Sở KH&CN cấp quyền" in stranger.error[0].value

    logged_out = oidc_app({"is_logged_in": False})
    assert "Đăng nhập qua hệ thống xác thực của tỉnh" in [b.label for b in logged_out.button]
