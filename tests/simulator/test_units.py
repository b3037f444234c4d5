"""The served units match the registry the simulator wrote: merged communes, validity, missing systems."""

from __future__ import annotations

from tests.plugins.sandbox import SandboxHandle
from tests.simulator.test_pagination import read_all

SUCCESSOR = "037.50.27.H27"
MERGE_DAY = "2025-07-01"


def test_registry_points_every_endpoint_at_the_running_server(sandbox: SandboxHandle) -> None:
    assert sandbox.health()["units"] == len(sandbox.province.units)
    for unit in sandbox.province.units:
        for system, endpoint in unit.endpoints.items():
            assert endpoint.base_url == f"{sandbox.base_url}/u/{unit.code}/{system}"
            if system != "portal":
                assert endpoint.credentials is not None and endpoint.credentials.resolve() == sandbox.token


def test_merged_commune_and_its_predecessors_are_consistent(sandbox: SandboxHandle) -> None:
    successor = sandbox.province.unit(SUCCESSOR)
    assert len(successor.predecessors) == 2
    assert str(successor.valid_from) == MERGE_DAY
    for code in successor.predecessors:
        predecessor = sandbox.province.unit(code)
        assert str(predecessor.valid_to) == "2025-06-30"
        assert sandbox.province.successors_of(code) == (successor,)
        history = read_all(sandbox, code, "onestop", "dossiers", page_size=1000)
        assert history and max(r["ngay_tiep_nhan"] for r in history) < MERGE_DAY
        assert sandbox.get(code, "onestop", "stats", month="2025-06").status_code == 200
        after = sandbox.get(code, "onestop", "stats", month="2025-08")
        assert after.status_code == 404 and after.json()["error"] == "no_data"
        documents = read_all(sandbox, code, "eoffice", "documents", page_size=1000)
        assert max(r["ngay_van_ban"] for r in documents) < MERGE_DAY
    own = read_all(sandbox, SUCCESSOR, "onestop", "dossiers", page_size=1000)
    assert own and min(r["ngay_tiep_nhan"] for r in own) >= MERGE_DAY
    assert all(r["ma_ho_so"].startswith(SUCCESSOR) for r in own)
    assert sandbox.get(SUCCESSOR, "onestop", "stats", month="2025-06").status_code == 404


def test_unit_without_one_stop_has_no_one_stop_endpoint(sandbox: SandboxHandle) -> None:
    without = [u for u in sandbox.province.units if u.level == "department" and "onestop" not in u.endpoints
               and u.valid_to is None]
    assert [u.code for u in without] == ["000.15.27.H27"]
    response = sandbox.get("000.15.27.H27", "onestop", "dossiers")
    assert response.status_code == 404
    assert response.json() == {"error": "unknown_system", "message": "unit 000.15.27.H27 has no onestop system; "
                               "it has ['eoffice', 'mail', 'portal']"}


def test_unknown_unit_feed_and_parameters_are_named(sandbox: SandboxHandle) -> None:
    assert sandbox.get("999.99.99.H99", "eoffice", "documents").json() == {
        "error": "unknown_unit", "message": "unit 999.99.99.H99 is not served by this sandbox"}
    assert sandbox.get("000.09.27.H27", "eoffice", "dossiers").json()["message"] == (
        "eoffice has no feed 'dossiers'; it serves ['documents']")
    bad = sandbox.get("000.09.27.H27", "eoffice", "documents", page_size=5000)
    assert bad.status_code == 400
    assert bad.json()["message"] == "page_size '5000' must be a whole number from 1 to 1000"
    assert sandbox.get("000.09.27.H27", "eoffice", "documents", since="x").json()["message"] == (
        "unknown query parameter(s) ['since']; this feed takes ['page_size', 'page_token', 'updated_since']")
    assert sandbox.get("000.09.27.H27", "eoffice", "documents", updated_since="yesterday").json()["message"] == (
        "updated_since 'yesterday' is not an ISO 8601 timestamp, e.g. 2026-03-02T08:15:00+07:00")
    assert sandbox.get("000.09.27.H27", "eoffice", "documents", page_token="@@").json()["error"] == "bad_page_token"
