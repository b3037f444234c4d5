"""`python -m simulator serve ...`: serve the sandbox province and write the matching registry."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from metrics.calendar import load_calendar
from province.registry import RegistryError
from simulator.faults import FaultBook, FaultSpecError, load_fault_file
from simulator.feeds import Feeds
from simulator.generate import ChunkStore, World, month_first, month_key
from simulator.presets import (
    COLLAPSING_UNIT,
    PORTAL_DOWN_UNIT,
    PRESETS,
    SANDBOX_DEFAULT_TOKEN,
    TOKEN_ENV,
    build_province,
    write_served_registry,
)
from simulator.server import Sandbox, SimClock, serve_connection
from simulator.timegrid import TimeGrid, day_seconds

VIETNAM = timezone(timedelta(hours=7))
CLOCK_START_S = 9 * 3600  # with --end-date, the simulated clock starts at 09:00 on that day
SCALE_VOLUME = 0.25  # national-scale units are many and small; keeps a warm 5,000-unit cache near 0.5 GB
SCALE_CACHE_CHUNKS = 65536


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve every unit's systems on one local port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700, help="0 picks a free port (printed on stdout)")
    serve.add_argument("--seed", type=int, default=766)
    serve.add_argument("--registry-out", type=Path, required=True, help="where to write the served registry")
    serve.add_argument("--preset", choices=PRESETS, default="default")
    serve.add_argument("--units", type=int, default=None, help="limit (default, small) or size (scale)")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="fixed artificial latency per request")
    serve.add_argument("--faults", type=Path, default=None, help="JSON file of faults to start with")
    serve.add_argument("--end-date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    serve.add_argument("--history-months", type=int, default=24)
    serve.add_argument("--speed", type=float, default=1.0,
                       help="simulated seconds per wall second for the live trickle (0 freezes the clock)")
    serve.add_argument("--volume-scale", type=float, default=None,
                       help=f"multiplies record volumes (default 1, scale preset {SCALE_VOLUME})")
    return parser


def build_sandbox(args: argparse.Namespace, base_url: str) -> Sandbox:
    if args.history_months < 1:
        raise ValueError("--history-months must be at least 1")
    if args.end_date is None:
        wall = datetime.now(VIETNAM)
        end = wall.date()
        start_s = day_seconds(end) + wall.hour * 3600 + wall.minute * 60 + wall.second
    else:
        end = args.end_date
        start_s = day_seconds(end) + CLOCK_START_S
    history_start = month_first(month_key(end) - args.history_months + 1)
    grid = TimeGrid(load_calendar(), date(history_start.year - 1, 1, 1), date(end.year + 2, 12, 31))
    volume = args.volume_scale if args.volume_scale is not None else SCALE_VOLUME if args.preset == "scale" else 1.0
    world = World(args.seed, grid, history_start, end, frozenset({COLLAPSING_UNIT}), volume)
    faults = FaultBook(load_fault_file(args.faults) if args.faults else [])
    province = build_province(args.preset, args.units)
    served = write_served_registry(province, base_url, args.registry_out)
    token = os.environ.get(TOKEN_ENV) or SANDBOX_DEFAULT_TOKEN
    info = {"preset": args.preset, "seed": args.seed, "end_date": end.isoformat(),
            "history_start": history_start.isoformat(), "registry": str(args.registry_out)}
    store = ChunkStore(world, maxsize=SCALE_CACHE_CHUNKS if args.preset == "scale" else 4096)
    return Sandbox(served, Feeds(served, world, store), SimClock(start_s, args.speed), token,
                   latency_s=args.latency_ms / 1000, faults=faults, down_portals=frozenset({PORTAL_DOWN_UNIT}),
                   info=info)


async def _serve(args: argparse.Namespace) -> None:
    holder: dict[str, Sandbox] = {}  # the sandbox needs the bound port, so it is built after binding

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_connection(holder["app"], reader, writer)

    server = await asyncio.start_server(handle, args.host, args.port, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    holder["app"] = build_sandbox(args, f"http://{args.host}:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"event": "listening", "host": args.host, "port": port,
                      "registry": str(args.registry_out)}), flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except (RegistryError, FaultSpecError, ValueError, OSError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
