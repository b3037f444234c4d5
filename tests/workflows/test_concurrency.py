"""Two unit users and the IT department write at the same moment from separate processes: nothing is lost."""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import date

from tests.workflows.conftest import PASSWORDS
from workflows import WorkflowStore, open_store
from workflows.accounts import authenticate
from workflows.audit import list_events
from workflows.selfreport import list_reports, save_draft, submit, verified_counts, verify

REPORTS_PER_UNIT = 25


def unit_worker(path: str, username: str, start: mp.synchronize.Barrier, done: mp.Queue) -> None:
    store = open_store(path)
    user = authenticate(store, username, PASSWORDS[username])
    start.wait()
    ids = []
    for n in range(REPORTS_PER_UNIT):
        report_id = save_draft(store, user, period=f"2026-{n % 12 + 1:02d}", item_id="SR-02",
                               values={"sr_signers_active": n}, doc_number=f"{n}/BC", doc_date=date(2026, 1, 1))
        submit(store, user, report_id)
        ids.append(report_id)
    done.put((username, ids))


def admin_worker(path: str, start: mp.synchronize.Barrier, done: mp.Queue) -> None:
    store = open_store(path)
    admin = authenticate(store, "sokhcn", PASSWORDS["sokhcn"])
    start.wait()
    verified: list[int] = []
    deadline = time.monotonic() + 120
    while len(verified) < 2 * REPORTS_PER_UNIT and time.monotonic() < deadline:
        for report in list_reports(store, admin, status="submitted"):
            verify(store, admin, report.id)
            verified.append(report.id)
    done.put(("sokhcn", verified))


def test_two_units_and_the_it_department_at_once_lose_nothing(seeded: WorkflowStore) -> None:
    context = mp.get_context("spawn")
    start = context.Barrier(3)
    done = context.Queue()
    path = str(seeded.path)
    workers = [
        context.Process(target=unit_worker, args=(path, "donvi.a", start, done)),
        context.Process(target=unit_worker, args=(path, "donvi.b", start, done)),
        context.Process(target=admin_worker, args=(path, start, done)),
    ]
    for worker in workers:
        worker.start()
    results = dict(done.get(timeout=180) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    submitted = results["donvi.a"] + results["donvi.b"]
    assert len(set(submitted)) == 2 * REPORTS_PER_UNIT
    assert sorted(results["sokhcn"]) == sorted(submitted)

    store = open_store(path)
    admin = authenticate(store, "sokhcn", PASSWORDS["sokhcn"])
    reports = list_reports(store, admin)
    assert len(reports) == 2 * REPORTS_PER_UNIT and {r.status for r in reports} == {"verified"}
    assert {r.unit_code for r in reports} == {"SO-A", "XA-B"}
    assert len(verified_counts(store)) == 2 * 12
    events = list_events(store, admin, limit=10_000)
    for action in ("selfreport_draft", "selfreport_submit", "selfreport_verify"):
        assert sum(e.action == action for e in events) == 2 * REPORTS_PER_UNIT
