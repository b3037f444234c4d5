"""Workflow store benchmark: self-assessment transactions/s with two units submitting while the IT department
verifies, each in its own process, against the same work done by one process alone (baseline, same run).

Every submission is two write transactions (draft, submit) and every verification one, each with its audit row.
The ratio says what the WAL store keeps of its single-writer rate when three writers contend for it. The
script checks nothing was lost before printing. Last line: one JSON object.

    python3 bench/bench_workflow_writes.py [--reports 200]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflows import open_store  # noqa: E402
from workflows.accounts import Identity, authenticate, create_account  # noqa: E402
from workflows.selfreport import list_reports, save_draft, submit, verify  # noqa: E402

PASSWORD = "mat-khau-do-hieu-nang"
ACCOUNTS = (("sokhcn", "it_admin", None), ("donvi.a", "unit", "SO-A"), ("donvi.b", "unit", "XA-B"))


def prepare(directory: Path) -> Path:
    store = open_store(directory / "workflow.sqlite")
    for username, role, unit in ACCOUNTS:
        create_account(store, username, PASSWORD, role, unit)
    return store.path


def submit_many(path: Path, user: Identity, count: int) -> None:
    store = open_store(path)
    for n in range(count):
        report_id = save_draft(store, user, period="2026", item_id="SR-02", values={"sr_signers_active": n},
                               doc_number=f"{n}/BC", doc_date=date(2026, 1, 1))
        submit(store, user, report_id)


def verify_until(path: Path, admin: Identity, total: int) -> None:
    store = open_store(path)
    done = 0
    while done < total:
        for report in list_reports(store, admin, status="submitted"):
            verify(store, admin, report.id)
            done += 1


def unit_process(path: Path, username: str, count: int, start: mp.synchronize.Barrier) -> None:
    user = authenticate(open_store(path), username, PASSWORD)
    start.wait()
    submit_many(path, user, count)


def admin_process(path: Path, total: int, start: mp.synchronize.Barrier) -> None:
    admin = authenticate(open_store(path), "sokhcn", PASSWORD)
    start.wait()
    verify_until(path, admin, total)


def sequential(path: Path, per_unit: int) -> float:
    store = open_store(path)
    users = [authenticate(store, name, PASSWORD) for name, _, _ in ACCOUNTS]
    began = time.perf_counter()
    for user in users[1:]:
        submit_many(path, user, per_unit)
    verify_until(path, users[0], 2 * per_unit)
    return time.perf_counter() - began


def concurrent(path: Path, per_unit: int) -> float:
    context = mp.get_context("spawn")
    start = context.Barrier(4)
    workers = [context.Process(target=unit_process, args=(path, "donvi.a", per_unit, start)),
               context.Process(target=unit_process, args=(path, "donvi.b", per_unit, start)),
               context.Process(target=admin_process, args=(path, 2 * per_unit, start))]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"{worker.name} failed with exit code {worker.exitcode}")
    return time.perf_counter() - began


def check_nothing_lost(path: Path, expected: int) -> None:
    store = open_store(path)
    reports = list_reports(store, authenticate(store, "sokhcn", PASSWORD))
    verified = sum(r.status == "verified" for r in reports)
    if len(reports) != expected or verified != expected:
        raise RuntimeError(f"lost writes: {len(reports)} reports, {verified} verified, expected {expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=200, help="reports per unit (default 200)")
    args = parser.parse_args()
    transactions = 2 * args.reports * 3  # per report: draft + submit + verify
    with tempfile.TemporaryDirectory() as scratch:
        base = prepare(Path(scratch) / "sequential")
        seconds_sequential = sequential(base, args.reports)
        check_nothing_lost(base, 2 * args.reports)
        shared = prepare(Path(scratch) / "concurrent")
        seconds_concurrent = concurrent(shared, args.reports)
        check_nothing_lost(shared, 2 * args.reports)
    rate_sequential = transactions / seconds_sequential
    rate_concurrent = transactions / seconds_concurrent
    print(f"one process, sequential : {transactions} transactions in {seconds_sequential:.2f} s "
          f"= {rate_sequential:,.0f}/s (baseline)")
    print(f"3 processes, concurrent : {transactions} transactions in {seconds_concurrent:.2f} s "
          f"= {rate_concurrent:,.0f}/s; nothing lost")
    print(f"ratio concurrent / sequential: {rate_concurrent / rate_sequential:.2f}")
    print(json.dumps({"name": "workflow_store_concurrent_writes", "value": round(rate_concurrent, 1),
                      "unit": "transactions/s", "baseline": round(rate_sequential, 1),
                      "baseline_name": "one process sequential", "ratio": round(rate_concurrent / rate_sequential, 3),
                      "reports": 2 * args.reports}))


if __name__ == "__main__":
    main()
