"""Same seed, same data: two simulator processes started alike serve byte-identical feeds; another seed differs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.plugins.sandbox import SMALL, SandboxHandle

REQUESTS = [
    ("000.09.27.H27", "eoffice", "documents", {"page_size": 1000}),
    ("019.50.27.H27", "onestop", "dossiers", {"page_size": 1000, "updated_since": "2025-08-01T00:00:00+07:00"}),
    ("019.50.27.H27", "onestop", "procedures", {}),
    ("000.01.27.H27", "onestop", "feedback", {"page_size": 1000}),
    ("000.01.27.H27", "onestop", "stats", {"month": "2025-07"}),
    ("000.13.27.H27", "mail", "mailboxes", {"page_size": 1000}),
    ("000.13.27.H27", "mail", "activity", {"date_from": "2025-09-01", "date_to": "2025-09-10", "page_size": 1000}),
    ("001.50.27.H27", "portal", "rss.xml", {}),
    ("001.50.27.H27", "portal", "sitemap.xml", {}),
    ("001.50.27.H27", "portal", "", {}),
]


def snapshot(handle: SandboxHandle) -> list[bytes]:
    bodies = []
    for unit, system, path, params in REQUESTS:
        response = handle.get(unit, system, path, **params)
        assert response.status_code == 200, response.text
        bodies.append(response.content.replace(handle.base_url.encode(), b"BASE"))
    return bodies


def test_same_seed_serves_identical_data(sandbox: SandboxHandle,
                                         sandbox_factory: Callable[..., SandboxHandle]) -> None:
    twin = sandbox_factory(**SMALL)
    assert snapshot(twin) == snapshot(sandbox)


@pytest.mark.slow
def test_another_seed_serves_other_data(sandbox: SandboxHandle,
                                        sandbox_factory: Callable[..., SandboxHandle]) -> None:
    other = sandbox_factory(**{**SMALL, "seed": 767})
    mine, theirs = snapshot(sandbox), snapshot(other)
    assert all(a != b for a, b in zip(mine[:7], theirs[:7], strict=True))
