"""Poll benchmark: one steady-state cycle over N units × 4 systems of the simulator's scale mode.

The simulator adds a fixed latency to every request. The cycle (poll, validate, write, publish) is timed and
compared with the ideal, requests × latency ÷ concurrency, where `requests` is what the simulator counted for
that cycle. Baseline in the same run: the same work done sequentially (one worker), timed on a bounded sample
of units and extrapolated to N (the output says so). A first cycle loads the history and is not timed.
Last line: one JSON object.

    python3 bench/bench_poll.py [--units 5000] [--latency-ms 200] [--workers 64] [--sample-units 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client import CollectorRegistry  # noqa: E402

from collectors.daemon import Daemon, DaemonConfig  # noqa: E402
from collectors.http import HttpSettings  # noqa: E402
from collectors.instrumentation import make_instruments  # noqa: E402
from province.registry import Province, load_registry  # noqa: E402
from tests.plugins.sandbox import TEST_TOKEN, TOKEN_ENV, start_sandbox  # noqa: E402


def make_daemon(registry: Path, data_dir: Path, workers: int, history_start: date,
                units: int | None = None) -> Daemon:
    def load(path: Path) -> Province:
        province = load_registry(path)
        if units is None:
            return province
        polled = [u for u in province.units if u.endpoints][:units]
        return dataclasses.replace(province, units=tuple(polled))

    config = DaemonConfig(registry, data_dir, max_workers=workers, history_start=history_start,
                          http=HttpSettings(read_timeout=30.0, pool_size=2))
    return Daemon(config, instruments=make_instruments(CollectorRegistry()), scoring_hook=None,
                  registry_loader=load)


def timed_cycle(daemon: Daemon, sandbox: object) -> tuple[float, float, int, int]:
    """(cycle seconds, polling seconds, requests the simulator served, failed attempts) of one cycle."""
    before = sandbox.health()["requests"]  # type: ignore[attr-defined]
    start = time.perf_counter()
    report = daemon.run_cycle()
    seconds = time.perf_counter() - start
    return seconds, report.poll_seconds, sandbox.health()["requests"] - before, report.failed  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=200.0, help="a government WAN round trip")
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--sample-units", type=int, default=20, help="units polled sequentially for the baseline")
    parser.add_argument("--volume-scale", type=float, default=0.02, help="simulator record volume")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault(TOKEN_ENV, TEST_TOKEN)
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        sandbox = start_sandbox(Path(tmp) / "sandbox", preset="scale", units=args.units, history_months=1,
                                speed=0.0, latency_ms=args.latency_ms, token=os.environ[TOKEN_ENV],
                                extra=("--volume-scale", str(args.volume_scale)))
        try:
            history_start = date.fromisoformat(sandbox.health()["history_start"])
            daemon = make_daemon(sandbox.registry_path, Path(tmp) / "data", args.workers, history_start)
            first_load, _, _, _ = timed_cycle(daemon, sandbox)
            seconds, poll_seconds, requests, failed = timed_cycle(daemon, sandbox)
            polled_units = len({t.unit_code for t in daemon.targets(daemon.config.intervals)})
            daemon.close()

            sequential = make_daemon(sandbox.registry_path, Path(tmp) / "sequential", 1, history_start,
                                     args.sample_units)
            timed_cycle(sequential, sandbox)
            _, sample_seconds, sample_requests, _ = timed_cycle(sequential, sandbox)
            sample_units = len({t.unit_code for t in sequential.targets(sequential.config.intervals)})
            sequential.close()
        finally:
            sandbox.stop()
    ideal = requests * latency / args.workers
    # The sequential polling time is extrapolated; the cycle's write and publish are added as measured.
    sequential_estimate = sample_seconds * polled_units / sample_units + (seconds - poll_seconds)
    print(f"scale sandbox: {polled_units:,} units x 4 systems, {args.latency_ms:g} ms per request, "
          f"{args.workers} workers (first load, not timed: {first_load:.1f} s)")
    print(f"steady cycle: {requests:,} requests in {seconds:.1f} s ({failed} failed attempts); "
          f"ideal = {requests:,} x {latency:g} s / {args.workers} = {ideal:.1f} s; ratio {seconds / ideal:.2f} "
          f"(target <= 1.3); of which polling {poll_seconds:.1f} s (ratio {poll_seconds / ideal:.2f}), "
          f"validate + write + publish {seconds - poll_seconds:.1f} s")
    print(f"sequential baseline: {sample_units} units ({sample_requests} requests) polled in {sample_seconds:.1f} s, "
          f"extrapolated to {polled_units:,} units (+ the same write/publish) = {sequential_estimate:,.0f} s "
          f"({sequential_estimate / seconds:,.0f}x slower)")
    print(json.dumps({
        "name": "poll_cycle_vs_ideal", "value": round(seconds / ideal, 3), "unit": "ratio",
        "cycle_seconds": round(seconds, 2), "poll_seconds": round(poll_seconds, 2), "ideal_seconds": round(ideal, 2), "requests": requests,
        "units": polled_units, "latency_ms": args.latency_ms, "workers": args.workers,
        "failed_attempts": failed, "sequential_seconds_extrapolated": round(sequential_estimate, 1),
        "sequential_sample_units": sample_units, "first_load_seconds": round(first_load, 1), "target": 1.3,
    }))


if __name__ == "__main__":
    main()
