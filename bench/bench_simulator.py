"""How many requests/s the simulator sustains in scale mode (5,000 units) with its artificial latency on.

Baseline, measured in the same run: the ideal rate of a client with C connections against a server that adds
L ms per request, C / L. The ratio sustained / ideal is 1.0 when the simulator itself is never the bottleneck.
The client is a keep-alive asyncio HTTP/1.1 client (h11) cycling a collector-like request mix over random units:
incremental documents, dossiers and mailboxes pages since two days ago, and the portal's RSS feed.

Usage: python bench/bench_simulator.py [--units 5000] [--latency-ms 50] [--concurrency 64] [--seconds 15]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup-seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        handle = start_sandbox(Path(tmp), token=TOKEN, preset="scale", units=args.units, end_date=END_DATE,
                               latency_ms=args.latency_ms, speed=0.0)
        try:
            codes = [u.code for u in handle.province.units if u.is_ranked]
            paths = request_mix(codes, 766, 200_000)
            asyncio.run(drive(handle.base_url, paths[-5000:], args.concurrency, args.warmup_seconds))
            cpu_before = cpu_seconds(handle.process.pid)
            done, elapsed, errors = asyncio.run(drive(handle.base_url, paths, args.concurrency, args.seconds))
            cpu_used = cpu_seconds(handle.process.pid) - cpu_before
        finally:
            handle.stop()
    sustained = done / elapsed
    ideal = args.concurrency / (args.latency_ms / 1000)
    print(f"units={len(codes)} latency={args.latency_ms:.0f} ms concurrency={args.concurrency} "
          f"requests={done} in {elapsed:.1f} s errors={len(errors)}")
    print(f"baseline (ideal for {args.concurrency} connections at {args.latency_ms:.0f} ms): {ideal:.0f} requests/s")
    print(f"sustained: {sustained:.0f} requests/s = {sustained / ideal:.2f} × ideal")
    per_request_ms = 1000 * cpu_used / max(done, 1)
    print(f"simulator CPU: {cpu_used:.1f} s = {per_request_ms:.2f} ms per request "
          f"(one free core would serve {1000 / per_request_ms:.0f} requests/s); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(json.dumps({"name": "simulator_scale_sustained_requests_per_s", "value": round(sustained, 1),
                      "unit": "requests/s", "baseline_ideal": round(ideal, 1), "ratio": round(sustained / ideal, 3),
                      "units": len(codes), "latency_ms": args.latency_ms, "concurrency": args.concurrency,
                      "requests": done, "errors": len(errors), "cpu_ms_per_request": round(per_request_ms, 3),
                      "load_average": round(os.getloadavg()[0], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
