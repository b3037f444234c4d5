"""Start services as subprocesses, restart one that dies (with a limit), stop all on request."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Service:
    """One supervised program: its name (for messages), command line and environment."""

    name: str
    command: Sequence[str]
    env: dict[str, str] = field(repr=False)


class SupervisorError(RuntimeError):
    """A service keeps dying; the message names it and its last exit code."""


class Supervisor:
    """Runs services in start order and stops them in reverse order."""

    def __init__(self, *, popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
                 say: Callable[[str], None] = print, max_restarts: int = 3, restart_delay_s: float = 2.0,
                 cwd: str | None = None) -> None:
        self.popen = popen
        self.say = say
        self.max_restarts = max_restarts
        self.restart_delay_s = restart_delay_s
        self.cwd = cwd
        self.running: dict[str, tuple[Service, subprocess.Popen[bytes]]] = {}
        self.restarts: dict[str, int] = {}
        self.stopping = threading.Event()

    def start(self, service: Service) -> subprocess.Popen[bytes]:
        process = self.popen(list(service.command), env=service.env, cwd=self.cwd)
        self.running[service.name] = (service, process)
        self.say(f"[launcher] started {service.name} (pid {process.pid})")
        return process

    def check(self) -> None:
        """Restart any service that exited; raise SupervisorError once one exceeds its restart budget."""
        for name, (service, process) in list(self.running.items()):
            code = process.poll()
            if code is None or self.stopping.is_set():
                continue
            count = self.restarts.get(name, 0) + 1
            if count > self.max_restarts:
                raise SupervisorError(f"{name} exited with code {code} {count} times; giving up (see its output above)")
            self.restarts[name] = count
            self.say(f"[launcher] {name} exited with code {code}; restart {count}/{self.max_restarts}")
            time.sleep(self.restart_delay_s)
            self.start(service)

    def watch(self, poll_s: float = 1.0) -> None:
        """Check every ``poll_s`` seconds until :meth:`request_stop`."""
        while not self.stopping.wait(poll_s):
            self.check()

    def request_stop(self) -> None:
        self.stopping.set()

    def stop_all(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM every service (newest first), wait, then SIGKILL what is left."""
        self.stopping.set()
        for name, (_, process) in reversed(list(self.running.items())):
            if process.poll() is None:
                self.say(f"[launcher] stopping {name}")
                process.terminate()
        deadline = time.monotonic() + timeout_s
        for name, (_, process) in reversed(list(self.running.items())):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"[launcher] {name} did not stop in {timeout_s:.0f} s; killing it")
                process.kill()
                process.wait()
        self.running.clear()
