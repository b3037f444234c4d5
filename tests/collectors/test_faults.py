"""Every fault the sandbox can inject, for every system it affects, over real HTTP.

A fault that breaks a poll must give the affected unit and system a failed attempt with a clear reason, leave
the other units untouched, store nothing twice, and the next cycle after clearing it must fill the gap. A fault
that a correct client absorbs (duplicates across pages, records updated while paging, a small clock skew) must
leave exactly the records of a clean cycle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.collectors.conftest import AFFECTED, UNITS, counts, make_daemon

SYSTEMS = ("eoffice", "onestop", "mail", "portal")
FEED_SYSTEMS = ("eoffice", "onestop", "mail")

FAILING = [
    ("down", {}, "cannot connect"),
    ("slow", {"seconds": 8}, "timed out waiting for the response"),
    ("http_5xx", {"status": 503}, "HTTP 503"),
    ("rate_limit", {"retry_after": 1}, "HTTP 429"),
    ("malformed_json", {}, "malformed JSON"),
    ("truncated_page", {}, "cut off before its end"),
]
PORTAL_REASONS = {"malformed_json": "not well-formed XML"}  # the portal serves HTML and XML, not JSON


def failing_cases() -> list[object]:
    cases = []
    for fault, params, reason in FAILING:
        for system in SYSTEMS:
            expected = PORTAL_REASONS.get(fault, reason) if system == "portal" else reason
            cases.append(pytest.param(fault, params, system, expected, id=f"{fault}-{system}"))
    for system in FEED_SYSTEMS:
        cases.append(pytest.param("clock_skew", {"seconds": 3600}, system, "server clock is off by",
                                  id=f"clock_skew_beyond_overlap-{system}"))
    return cases


def attempts_of(daemon: object, cycle_id: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    rows = daemon.con.execute(  # type: ignore[attr-defined]
        "SELECT unit_code, system, outcome, error FROM attempts WHERE cycle_id = ?", [cycle_id]).fetchall()
    return {(u, s): (o, e) for u, s, o, e in rows}


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "params", "system", "reason"), failing_cases())
def test_fault_fails_only_the_affected_poll_and_the_next_cycle_fills_the_gap(
    sandbox: object, tmp_path: Path, reference_counts: dict, fault: str, params: dict, system: str, reason: str,
) -> None:
    sandbox.set_fault(AFFECTED, system, fault, **params)  # type: ignore[attr-defined]
    daemon = make_daemon(sandbox, tmp_path / "data")
    try:
        faulty = daemon.run_cycle()
        attempts = attempts_of(daemon, faulty.cycle_id)
        outcome, error = attempts[(AFFECTED, system)]
        assert outcome == "failed" and reason in error, error
        assert sandbox.token not in error  # type: ignore[attr-defined]
        assert all(o == "ok" for key, (o, _) in attempts.items() if key != (AFFECTED, system)), attempts
        stored = counts(daemon.con)
        others = {k: v for k, v in reference_counts.items() if k[1] != AFFECTED}
        assert {k: v for k, v in stored.items() if k[1] != AFFECTED} == others
        affected_tables = {t for t, u in reference_counts if u == AFFECTED} & set(SYSTEM_TABLES[system])
        assert all(k not in stored for k in ((t, AFFECTED) for t in affected_tables if t != "portal_probes"))

        sandbox.clear_faults()  # type: ignore[attr-defined]
        healed = daemon.run_cycle()
        assert all(o == "ok" for o, _ in attempts_of(daemon, healed.cycle_id).values())
        assert counts(daemon.con) == reference_counts
    finally:
        daemon.close()


SYSTEM_TABLES = {
    "eoffice": ("documents",),
    "onestop": ("dossiers", "procedures", "feedback", "onestop_stats"),
    "mail": ("mailboxes", "mail_activity"),
    "portal": ("portal_items",),
}


@pytest.mark.slow
@pytest.mark.parametrize("system", FEED_SYSTEMS)
@pytest.mark.parametrize(("fault", "params"), [
    pytest.param("duplicates_across_pages", {"overlap": 5}, id="duplicates_across_pages"),
    pytest.param("updated_after_read", {"per_page": 3}, id="updated_after_read"),
    pytest.param("clock_skew", {"seconds": -600}, id="clock_skew_within_overlap"),
])
def test_absorbed_fault_stores_exactly_the_clean_records(
    sandbox: object, tmp_path: Path, reference_counts: dict, fault: str, params: dict, system: str,
) -> None:
    sandbox.set_fault(AFFECTED, system, fault, **params)  # type: ignore[attr-defined]
    daemon = make_daemon(sandbox, tmp_path / "data")
    try:
        report = daemon.run_cycle()
        assert report.failed == 0
        assert counts(daemon.con) == reference_counts  # every record once, none missing
        again = daemon.run_cycle()  # re-reading with the overlap window must not double anything
        assert again.failed == 0
        assert counts(daemon.con) == reference_counts
    finally:
        daemon.close()


@pytest.mark.slow
def test_broken_identities_quarantine_the_report_and_the_fixed_report_fills_the_gap(
    sandbox: object, tmp_path: Path, reference_counts: dict,
) -> None:
    sandbox.set_fault(AFFECTED, "onestop", "broken_identities", column=0, delta=1)  # type: ignore[attr-defined]
    daemon = make_daemon(sandbox, tmp_path / "data")
    try:
        daemon.run_cycle()
        reasons = daemon.con.execute(
            "SELECT DISTINCT unit_code, feed, reason FROM quarantine").fetchall()
        assert reasons == [(AFFECTED, "onestop_stats", "identity broken: da_giai_quyet = truoc_han + dung_han + qua_han; "
                                                        "identity broken: tong_tiep_nhan = da_giai_quyet + dang_giai_quyet")]
        assert ("onestop_stats", AFFECTED) not in counts(daemon.con)
        sandbox.clear_faults()  # type: ignore[attr-defined]
        daemon.run_cycle()
        assert counts(daemon.con) == reference_counts
    finally:
        daemon.close()


def test_units_of_the_sandbox_are_the_ones_under_test(sandbox: object) -> None:
    codes = set(sandbox.province.codes())  # type: ignore[attr-defined]
    assert set(UNITS) <= codes
