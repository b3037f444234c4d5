"""`<data_dir>/daemon-status.json`: what the daemon is doing, written atomically for the dashboard."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

STATUS_FILE = "daemon-status.json"
PHASES = ("first_load", "polling", "writing", "publishing", "idle")


class StatusFile:
    """Holds the status and rewrites the file (tmp + os.replace) on every phase change and at most every
    `min_interval` seconds for progress updates."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], datetime], min_interval: float = 1.0) -> None:
        self.path = Path(data_dir) / STATUS_FILE
        self.clock = clock
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._last_write = 0.0
        self.state: dict[str, Any] = {
            "phase": "idle", "pid": os.getpid(), "cycle_started_at": None, "units_done": 0, "units_total": 0,
            "records_so_far": 0, "last_cycle_finished_at": None, "last_snapshot_path": None,
            "last_snapshot_at": None, "metrics_port": None, "updated_at": None,
        }

    def update(self, *, force: bool = False, **changes: Any) -> None:
        """Merge `changes`; write now when forced, when the phase changes, or when the last write is old."""
        if "phase" in changes and changes["phase"] not in PHASES:
            raise ValueError(f"unknown daemon phase {changes['phase']!r}; valid phases: {PHASES}")
        with self._lock:
            phase_changed = changes.get("phase", self.state["phase"]) != self.state["phase"]
            self.state.update(changes)
            if force or phase_changed or time.monotonic() - self._last_write >= self.min_interval:
                self._write()

    @contextmanager
    def heartbeat(self, every: float = 2.0) -> Iterator[None]:
        """Rewrite the file every `every` seconds inside the block, so long phases still show signs of life."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                self.update(force=True)

        beater = threading.Thread(target=beat, name="status-heartbeat", daemon=True)
        beater.start()
        try:
            yield
        finally:
            stop.set()
            beater.join()

    def _write(self) -> None:
        self.state["updated_at"] = self.clock().isoformat()
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
        self._last_write = time.monotonic()


def read_status(data_dir: Path | str) -> dict[str, Any] | None:
    """The daemon's last written status, or None when it never ran in this data directory."""
    path = Path(data_dir) / STATUS_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
