"""The launcher's supervisor on real subprocesses: restart within a budget, stop everything on request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from functools import partial

import pytest

from launcher.supervisor import Service, Supervisor, SupervisorError


def _service(name: str, code: str) -> Service:
    return Service(name, [sys.executable, "-c", code], dict(os.environ))


def test_a_dying_service_is_restarted_then_given_up() -> None:
    said: list[str] = []
    supervisor = Supervisor(say=said.append, max_restarts=2, restart_delay_s=0)
    supervisor.start(_service("flaky", "raise SystemExit(3)"))
    with pytest.raises(SupervisorError, match="flaky exited with code 3 3 times"):
        for _ in range(50):
            supervisor.running["flaky"][1].wait(timeout=10)
            supervisor.check()
    assert [line for line in said if "restart" in line] == [
        "[launcher] flaky exited with code 3; restart 1/2", "[launcher] flaky exited with code 3; restart 2/2"]
    supervisor.stop_all()


def test_stop_all_ends_every_service_even_one_ignoring_sigterm() -> None:
    supervisor = Supervisor(say=lambda _: None, popen=partial(subprocess.Popen, stdout=subprocess.PIPE))
    calm = supervisor.start(_service("calm", "import time; time.sleep(60)"))
    stubborn = supervisor.start(_service(
        "stubborn", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True);"
                    " time.sleep(60)"))
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    watcher = threading.Thread(target=supervisor.watch, kwargs={"poll_s": 0.1})
    watcher.start()
    supervisor.request_stop()
    watcher.join(timeout=5)
    supervisor.stop_all(timeout_s=2)
    assert calm.returncode == -signal.SIGTERM
    assert stubborn.returncode == -signal.SIGKILL
    assert not supervisor.running
