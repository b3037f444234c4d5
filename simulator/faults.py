"""Fault injection per unit × system: what can be injected, with which parameters, and the active set.

The wire behaviour of each fault is documented in docs/integration.md §8 and tested over real HTTP in
tests/simulator/test_faults.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from province.registry import SYSTEMS

ANY = "*"
FAULT_PARAMS: dict[str, dict[str, float]] = {
    "down": {},
    "slow": {"seconds": 30.0},
    "http_5xx": {"status": 503.0},
    "rate_limit": {"retry_after": 2.0},
    "malformed_json": {},
    "truncated_page": {},
    "duplicates_across_pages": {"overlap": 2.0},
    "updated_after_read": {"per_page": 1.0},
    "clock_skew": {"seconds": -600.0},
    "broken_identities": {"column": 0.0, "delta": 1.0},
}
IDENTITY_COLUMNS = ("da_giai_quyet", "tong_tiep_nhan", "dang_giai_quyet", "truoc_han")


class FaultSpecError(ValueError):
    """A fault specification is invalid; the message names the entry, the field and the fix."""


@dataclass
class Fault:
    unit: str
    system: str
    kind: str
    params: dict[str, float] = field(default_factory=dict)
    remaining: int | None = None  # None: until cleared; n: the next n requests only

    def param(self, name: str) -> float:
        return self.params.get(name, FAULT_PARAMS[self.kind][name])

    def as_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "system": self.system, "fault": self.kind, "params": self.params,
                "remaining": self.remaining}


def parse_fault(entry: Any, where: str = "fault") -> Fault:
    """One fault from its JSON form: {"unit", "system", "fault", "params"?, "count"?}."""
    if not isinstance(entry, dict):
        raise FaultSpecError(f"{where}: must be an object with unit, system and fault")
    unknown = sorted(set(entry) - {"unit", "system", "fault", "params", "count"})
    if unknown:
        raise FaultSpecError(f"{where}: unknown key(s) {unknown}; allowed: unit, system, fault, params, count")
    kind = entry.get("fault")
    if kind not in FAULT_PARAMS:
        raise FaultSpecError(f"{where}: fault {kind!r} is not one of {sorted(FAULT_PARAMS)}")
    unit = entry.get("unit")
    if not isinstance(unit, str) or not unit:
        raise FaultSpecError(f"{where}: unit must be a unit code or \"*\"")
    system = entry.get("system")
    if system not in (*SYSTEMS, ANY):
        raise FaultSpecError(f"{where}: system {system!r} is not one of {[*SYSTEMS, ANY]}")
    params = entry.get("params", {})
    if kind == "broken_identities" and isinstance(params, dict) and isinstance(params.get("column"), str):
        column = params["column"]
        if column not in IDENTITY_COLUMNS:
            raise FaultSpecError(f"{where}: params.column {column!r} is not one of {list(IDENTITY_COLUMNS)}")
        params = {**params, "column": float(IDENTITY_COLUMNS.index(column))}
    if not isinstance(params, dict) or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                               for v in params.values()):
        raise FaultSpecError(f"{where}: params must be an object of numbers, e.g. {{\"seconds\": 5}}")
    bad = sorted(set(params) - set(FAULT_PARAMS[kind]))
    if bad:
        raise FaultSpecError(f"{where}: fault {kind} has no parameter(s) {bad}; it takes {sorted(FAULT_PARAMS[kind])}")
    count = entry.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise FaultSpecError(f"{where}: count must be a whole number ≥ 1 (or omitted for 'until cleared')")
    return Fault(unit, system, kind, {k: float(v) for k, v in params.items()}, count)


def parse_faults(document: Any, where: str) -> list[Fault]:
    entries = document if isinstance(document, list) else [document]
    return [parse_fault(entry, f"{where} entry #{i}") for i, entry in enumerate(entries, start=1)]


def load_fault_file(path: Path) -> list[Fault]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FaultSpecError(f"{path}: cannot read the fault file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise FaultSpecError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_faults(document, str(path))


class FaultBook:
    """The active faults; the most recently added matching fault wins."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._faults: list[Fault] = list(faults or [])

    def add(self, faults: list[Fault]) -> None:
        self._faults.extend(faults)

    def clear(self, unit: str | None = None, system: str | None = None) -> int:
        keep = [f for f in self._faults if (unit is not None and f.unit != unit)
                or (system is not None and f.system != system)]
        removed = len(self._faults) - len(keep)
        self._faults = keep
        return removed

    def take(self, unit: str, system: str) -> Fault | None:
        """The fault for this request, counting it down when it is limited to a number of requests."""
        for fault in reversed(self._faults):
            if fault.unit in (unit, ANY) and fault.system in (system, ANY):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def as_json(self) -> list[dict[str, Any]]:
        return [f.as_json() for f in self._faults]
