"""`python -m launcher`: start the sandbox province, the collector daemon and the dashboard; Ctrl-C stops all.

Settings come from options or environment variables (ports for tests, data directory, sandbox size); the
sandbox token and first passwords are environment values or generated for this run, never written to files.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType

import requests

from launcher.accounts import create_sandbox_accounts
from launcher.supervisor import Service, Supervisor, SupervisorError
from metrics.publication import WORKFLOW_DB_NAME
from simulator.presets import TOKEN_ENV

REPO = Path(__file__).resolve().parent.parent
SIMULATOR_START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse_args(argv: Sequence[str], env: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m launcher", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(env.get("ITMON_DATA_DIR") or "data/runtime"),
                        help="where the databases live (env ITMON_DATA_DIR; default data/runtime)")
    parser.add_argument("--port", type=int, default=int(env.get("ITMON_PORT") or 8501),
                        help="dashboard port (env ITMON_PORT; default 8501)")
    parser.add_argument("--simulator-port", type=int, default=int(env.get("ITMON_SIMULATOR_PORT") or 0),
                        help="sandbox port (env ITMON_SIMULATOR_PORT; default: a free port)")
    parser.add_argument("--metrics-port", type=int, default=int(env.get("ITMON_METRICS_PORT") or 9108),
                        help="daemon's Prometheus port (env ITMON_METRICS_PORT; default 9108)")
    parser.add_argument("--preset", default=env.get("ITMON_SANDBOX_PRESET") or "default",
                        choices=("default", "small", "scale"), help="sandbox province (env ITMON_SANDBOX_PRESET)")
    parser.add_argument("--history-months", type=int, default=int(env.get("ITMON_HISTORY_MONTHS") or 24),
                        help="months of sandbox history (env ITMON_HISTORY_MONTHS; default 24)")
    return parser.parse_args(list(argv))


def services(args: argparse.Namespace, env: Mapping[str, str], simulator_port: int) -> dict[str, Service]:
    """The three command lines, all bound to 127.0.0.1."""
    python = sys.executable
    data_dir = args.data_dir.resolve()
    registry = data_dir / "province.toml"
    child_env = {**env, "ITMON_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return {
        "simulator": Service("simulator", [
            python, "-m", "simulator", "serve", "--host", "127.0.0.1", "--port", str(simulator_port),
            "--preset", args.preset, "--history-months", str(args.history_months), "--registry-out", str(registry),
        ], child_env),
        "collectors": Service("collectors", [
            python, "-m", "collectors", "--registry", str(registry), "--data-dir", str(data_dir),
            "--metrics-port", str(args.metrics_port), "run",
        ], child_env),
        "dashboard": Service("dashboard", [
            python, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(args.port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ], child_env),
    }


def wait_for_simulator(url: str, registry: Path, supervisor: Supervisor, timeout_s: float) -> None:
    """Until the sandbox answers its health check and has written the registry."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not supervisor.stopping.is_set():
        supervisor.check()
        try:
            if requests.get(f"{url}/_control/health", timeout=2).ok and registry.exists():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    if not supervisor.stopping.is_set():
        raise SupervisorError(f"the sandbox at {url} did not answer within {timeout_s:.0f} s")


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
         say: Callable[[str], None] = print) -> int:
    env = dict(os.environ if env is None else env)
    args = parse_args(sys.argv[1:] if argv is None else argv, env)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    env.setdefault(TOKEN_ENV, secrets.token_urlsafe(24))
    simulator_port = args.simulator_port or free_port()
    plan = services(args, env, simulator_port)
    registry = args.data_dir.resolve() / "province.toml"
    registry.unlink(missing_ok=True)

    supervisor = Supervisor(say=say, cwd=str(REPO))

    def stop(signum: int, _frame: FrameType | None) -> None:
        say(f"[launcher] {signal.Signals(signum).name} received; stopping")
        supervisor.request_stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        supervisor.start(plan["simulator"])
        wait_for_simulator(f"http://127.0.0.1:{simulator_port}", registry, supervisor, SIMULATOR_START_TIMEOUT_S)
        if supervisor.stopping.is_set():
            return 0
        create_sandbox_accounts(args.data_dir / WORKFLOW_DB_NAME, registry, env=env, say=say)
        supervisor.start(plan["collectors"])
        supervisor.start(plan["dashboard"])
        say(f"[launcher] dashboard: http://127.0.0.1:{args.port}  (Ctrl-C stops all three)")
        supervisor.watch()
        return 0
    except SupervisorError as error:
        say(f"[launcher] {error}")
        return 1
    finally:
        supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
