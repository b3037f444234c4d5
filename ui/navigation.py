"""Which pages each role gets: the role -> pages table, and the st.Page list built from it.

The role comes only from the authenticated identity in the session, never from a URL, widget or cookie.
Entries whose file does not exist yet are skipped (workflow pages arrive from another module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui.i18n import t

APP_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageEntry:
    path: str
    title_key: str
    url_path: str
    icon: str
    section_key: str


PAGES: dict[str, PageEntry] = {
    "rankings": PageEntry("app_pages/rankings.py", "page.rankings", "xep-hang", ":material/leaderboard:", "nav.scores"),
    "unit_card": PageEntry("app_pages/unit_card.py", "page.unit_card", "phieu-diem", ":material/assignment:", "nav.scores"),
    "trends": PageEntry("app_pages/trends.py", "page.trends", "xu-huong", ":material/trending_up:", "nav.scores"),
    "collection_health": PageEntry(
        "app_pages/collection_health.py", "page.collection_health", "thu-thap", ":material/monitor_heart:", "nav.operations"
    ),
    "methodology": PageEntry("app_pages/methodology.py", "page.methodology", "phuong-phap", ":material/menu_book:", "nav.scores"),
    "self_assessment": PageEntry(
        "app_pages/self_assessment.py", "page.self_assessment", "tu-danh-gia", ":material/edit_note:", "nav.workflows"
    ),
    "disputes": PageEntry("app_pages/disputes.py", "page.disputes", "khieu-nai", ":material/gavel:", "nav.workflows"),
    "inspections": PageEntry(
        "app_pages/inspections.py", "page.inspections", "kiem-tra", ":material/fact_check:", "nav.workflows"
    ),
    "audit": PageEntry("app_pages/audit.py", "page.audit", "nhat-ky", ":material/history:", "nav.operations"),
    "accounts": PageEntry("app_pages/accounts.py", "page.accounts", "tai-khoan", ":material/group:", "nav.operations"),
}

SIGN_IN = PageEntry("app_pages/sign_in.py", "page.sign_in", "dang-nhap", ":material/login:", "nav.scores")

ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "leader": ("rankings", "unit_card", "trends", "collection_health", "methodology", "disputes", "inspections",
               "audit", "accounts"),
    "it_admin": ("rankings", "unit_card", "trends", "collection_health", "methodology", "self_assessment",
                 "disputes", "inspections", "audit", "accounts"),
    "unit": ("unit_card", "rankings", "methodology", "self_assessment", "disputes", "accounts"),
}


def page_keys(role: str, root: Path = APP_ROOT) -> list[str]:
    """The page keys a role may open, in menu order, skipping pages whose file is not there."""
    return [key for key in ROLE_PAGES.get(role, ()) if (root / PAGES[key].path).exists()]


def build_pages(role: str, root: Path = APP_ROOT) -> dict[str, list[st.Page]]:
    """``st.navigation`` input for a role: sections of st.Page, the first page the default."""
    sections: dict[str, list[st.Page]] = {}
    for index, key in enumerate(page_keys(role, root)):
        entry = PAGES[key]
        page = st.Page(
            str(root / entry.path), title=t(entry.title_key), icon=entry.icon, url_path=entry.url_path,
            default=index == 0,
        )
        sections.setdefault(t(entry.section_key), []).append(page)
    return sections


def sign_in_page(root: Path = APP_ROOT) -> st.Page | None:
    """The sign-in page (from the workflow module), or None while it does not exist."""
    if not (root / SIGN_IN.path).exists():
        return None
    return st.Page(str(root / SIGN_IN.path), title=t(SIGN_IN.title_key), url_path=SIGN_IN.url_path, default=True)
