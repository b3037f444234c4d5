"""How many requests/s the simulator sustains in scale mode (5,000 units) with its artificial latency on.

Baseline, measured in the same run: the ideal rate of a client with C connections against a server that adds
L ms per request, C / L. The ratio sustained / ideal is 1.0 when the simulator itself is never the bottleneck.
The client is a keep-alive asyncio HTTP/1.1 client (h11) cycling a collector-like request mix over random units:
incremental documents, dossiers and mailboxes pages since two days ago, and the portal's RSS feed.

Two passes: the WAN latency the poll benchmark uses (200 ms) and a stress pass (50 ms) where the ideal rate is
four times higher, so the simulator's own limit shows.

Usage: python bench/bench_simulator.py [--units 5000] [--latency-ms 200] [--stress-latency-ms 50]
       [--concurrency 64] [--seconds 12]
Last line: one JSON object with name, value, unit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import h11

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.process import start_sandbox  # noqa: E402

END_DATE = "2026-10-31"
SINCE = "2026-10-29T00:00:00%2B07:00"
TOKEN = "bench-token"  # noqa: S105 - loopback benchmark only


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request_mix(province_codes: list[str], seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        code = rng.choice(province_codes)
        paths.append(rng.choice([
            f"/u/{code}/eoffice/documents?updated_since={SINCE}&page_size=100",
            f"/u/{code}/onestop/dossiers?updated_since={SINCE}&page_size=100",
            f"/u/{code}/mail/mailboxes?updated_since={SINCE}&page_size=100",
            f"/u/{code}/portal/rss.xml",
        ]))
    return paths


async def one_connection(host: str, port: int, paths: list[str], stop_at: float, counts: list[int],
                         errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    conn = h11.Connection(h11.CLIENT)
    i = 0
    try:
        while time.monotonic() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            writer.write(conn.send(h11.Request(method="GET", target=path, headers=[
                ("Host", f"{host}:{port}"), ("Authorization", f"Bearer {TOKEN}")])) or b"")
            writer.write(conn.send(h11.EndOfMessage()) or b"")
            status = 0
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise ConnectionError("server closed the connection")
            if status != 200:
                errors.append(f"{status} {path}")
            counts[0] += 1
            conn.start_next_cycle()
    finally:
        writer.close()


async def drive(base_url: str, paths: list[str], concurrency: int, seconds: float) -> tuple[int, float, list[str]]:
    parts = urlsplit(base_url)
    counts = [0]
    errors: list[str] = []
    started = time.monotonic()
    stop_at = started + seconds
    slices = [paths[i::concurrency] for i in range(concurrency)]
    await asyncio.gather(*(one_connection(parts.hostname or "127.0.0.1", parts.port or 80, s, stop_at, counts, errors)
                           for s in slices))
    return counts[0], time.monotonic() - started, errors


def measure(units: int, latency_ms: float, concurrency: int, seconds: float, warmup: float,
            steady: bool = False) -> dict[str, float]:
    """One simulator process at one latency: sustained rate, its ideal, and the simulator's CPU per request.

    The first pass meets mostly units not generated yet (a first poll cycle); with `steady`, a second pass
    repeats the requests already served, as a collector's next cycle does, from the simulator's chunk cache.
    """
    with tempfile.TemporaryDirectory() as tmp:
        handle = start_sandbox(Path(tmp), token=TOKEN, preset="scale", units=units, end_date=END_DATE,
                               latency_ms=latency_ms, speed=0.0)
        try:
            codes = [u.code for u in handle.province.units if u.is_ranked]
            paths = request_mix(codes, 766, 200_000)
            asyncio.run(drive(handle.base_url, paths[-5000:], concurrency, warmup))
            cpu_before = cpu_seconds(handle.process.pid)
            done, elapsed, errors = asyncio.run(drive(handle.base_url, paths, concurrency, seconds))
            cpu_used = cpu_seconds(handle.process.pid) - cpu_before
            if steady:
                cpu_before = cpu_seconds(handle.process.pid)
                again, again_elapsed, again_errors = asyncio.run(drive(handle.base_url, paths[:done], concurrency,
                                                                       seconds))
                again_cpu = cpu_seconds(handle.process.pid) - cpu_before
        finally:
            handle.stop()
    sustained = done / elapsed
    ideal = concurrency / (latency_ms / 1000)
    cpu_ms = 1000 * cpu_used / max(done, 1)
    print(f"{len(codes)} units, {latency_ms:g} ms latency, {concurrency} connections: {done} requests in "
          f"{elapsed:.1f} s, {len(errors)} errors")
    print(f"  baseline (ideal = connections / latency): {ideal:.0f} requests/s")
    print(f"  sustained: {sustained:.0f} requests/s = {sustained / ideal:.2f} x ideal")
    print(f"  simulator CPU {cpu_ms:.2f} ms per request: one free core serves about {1000 / cpu_ms:.0f} requests/s")
    result = {"sustained": sustained, "ideal": ideal, "ratio": sustained / ideal, "cpu_ms": cpu_ms,
              "requests": done, "errors": len(errors)}
    if steady:
        steady_rate = again / again_elapsed
        steady_cpu_ms = 1000 * again_cpu / max(again, 1)
        print(f"  steady state (same requests again, cached): {steady_rate:.0f} requests/s = "
              f"{steady_rate / ideal:.2f} x ideal; simulator CPU {steady_cpu_ms:.2f} ms per request, "
              f"{len(again_errors)} errors")
        result.update({"steady": steady_rate, "steady_cpu_ms": steady_cpu_ms})
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=200.0, help="a government WAN round trip")
    parser.add_argument("--stress-latency-ms", type=float, default=50.0, help="second pass; 0 skips it")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared)")
    main_pass = measure(args.units, args.latency_ms, args.concurrency, args.seconds, args.warmup_seconds)
    result = {"name": "simulator_scale_sustained_requests_per_s", "value": round(main_pass["sustained"], 1),
              "unit": "requests/s", "baseline_ideal": round(main_pass["ideal"], 1),
              "ratio": round(main_pass["ratio"], 3), "units": args.units, "latency_ms": args.latency_ms,
              "concurrency": args.concurrency, "errors": main_pass["errors"],
              "cpu_ms_per_request": round(main_pass["cpu_ms"], 3)}
    if args.stress_latency_ms:
        stress = measure(args.units, args.stress_latency_ms, args.concurrency, args.seconds, args.warmup_seconds,
                         steady=True)
        result.update({"stress_latency_ms": args.stress_latency_ms, "stress_value": round(stress["sustained"], 1),
                       "stress_baseline_ideal": round(stress["ideal"], 1), "stress_ratio": round(stress["ratio"], 3),
                       "stress_cpu_ms_per_request": round(stress["cpu_ms"], 3),
                       "stress_steady_value": round(stress["steady"], 1),
                       "stress_steady_ratio": round(stress["steady"] / stress["ideal"], 3),
                       "stress_steady_cpu_ms_per_request": round(stress["steady_cpu_ms"], 3)})
    result["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
