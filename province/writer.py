"""Write a registry back to TOML (the simulator writes the registry matching the ports it serves on)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from province.registry import SCHEMA_VERSION, CredentialRef, Endpoint, Unit


def _string(text: str) -> str:
    # A JSON string literal is a valid TOML basic string for every character we write.
    return json.dumps(text, ensure_ascii=False)


def _credentials(ref: CredentialRef) -> str:
    if ref.env is not None:
        return f"{{env = {_string(ref.env)}}}"
    return f"{{file = {_string(str(ref.file))}}}"


def _endpoint_lines(endpoint: Endpoint) -> list[str]:
    lines = [f"[units.endpoints.{endpoint.system}]",
             f"adapter = {_string(endpoint.adapter)}",
             f"base_url = {_string(endpoint.base_url)}"]
    if endpoint.credentials is not None:
        lines.append(f"credentials = {_credentials(endpoint.credentials)}")
    return lines


def _unit_lines(unit: Unit) -> list[str]:
    lines = ["[[units]]", f"code = {_string(unit.code)}"]
    if unit.dvcqg_code:
        lines.append(f"dvcqg_code = {_string(unit.dvcqg_code)}")
    lines += [f"name = {_string(unit.name)}", f"level = {_string(unit.level)}"]
    if unit.parent:
        lines.append(f"parent = {_string(unit.parent)}")
    if unit.headcount is not None:
        lines.append(f"headcount = {unit.headcount}")
    lines += [f"is_ranked = {'true' if unit.is_ranked else 'false'}", f"valid_from = {unit.valid_from.isoformat()}"]
    if unit.valid_to:
        lines.append(f"valid_to = {unit.valid_to.isoformat()}")
    if unit.predecessors:
        lines.append(f"predecessors = [{', '.join(_string(p) for p in unit.predecessors)}]")
    for endpoint in unit.endpoints.values():
        lines += _endpoint_lines(endpoint)
    return lines


def render_registry(name: str, code: str, units: Iterable[Unit], header: str = "") -> str:
    """The registry as TOML text, readable by `load_registry`."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [f"schema_version = {SCHEMA_VERSION}", "", "[province]", f"name = {_string(name)}",
              f"code = {_string(code)}"]
    for unit in units:
        lines += ["", *_unit_lines(unit)]
    return "\n".join(lines) + "\n"


def write_registry(path: Path, name: str, code: str, units: Iterable[Unit], header: str = "") -> None:
    """Write atomically, so a reader never sees half a registry."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_registry(name, code, units, header)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
