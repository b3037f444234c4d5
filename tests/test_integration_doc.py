"""Every JSON example in docs/integration.md is what the simulator actually serves, byte for byte as JSON.

An example is a ```json block preceded by `<!-- example: GET <path> | options -->`. Options: `status=NNN`
(default 200), `auth=none` (no token), `keys` (compare the key set only: for values that vary per run), and
`fault=<kind>:<param>=<value>,...` (injected once for that unit and system before the request).
A block preceded by `<!-- request: POST <path> -->` is a request body the control API must accept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.plugins.sandbox import SandboxHandle

DOC = Path(__file__).resolve().parent.parent / "docs" / "integration.md"
MARKER = re.compile(r"<!-- (example|request): (GET|POST) (\S+)(?: \| ([^>]*))? -->\n```json\n(.*?)\n```", re.S)


@dataclass(frozen=True)
class Example:
    kind: str
    method: str
    path: str
    options: dict[str, str]
    body: str
    line: int

    @property
    def id(self) -> str:
        return f"line{self.line}:{self.path[:60]}"


def examples(text: str | None = None) -> list[Example]:
    text = DOC.read_text(encoding="utf-8") if text is None else text
    found = []
    for match in MARKER.finditer(text):
        options: dict[str, str] = {}
        for option in (match.group(4) or "").split():
            name, _, value = option.partition("=")
            options[name] = value
        found.append(Example(match.group(1), match.group(2), match.group(3), options, match.group(5),
                             text.count("\n", 0, match.start()) + 1))
    return found


def serve(sandbox: SandboxHandle, example: Example) -> requests.Response:
    """Ask the sandbox for what `example` documents."""
    fault = example.options.get("fault")
    if fault:
        kind, _, raw = fault.partition(":")
        params = {k: float(v) for k, v in (p.split("=") for p in raw.split(",") if p)}
        unit, system = example.path.split("/")[2:4]
        sandbox.set_fault(unit, system, kind, count=1, **params)
    headers = {} if example.options.get("auth") == "none" else {"Authorization": f"Bearer {sandbox.token}"}
    return requests.get(sandbox.base_url + example.path, headers=headers, timeout=30)


def test_the_document_has_an_example_for_every_feed_and_fault() -> None:
    paths = " ".join(e.path for e in examples())
    for feed in ("documents", "dossiers", "procedures", "feedback", "stats", "mailboxes", "activity", "health"):
        assert f"/{feed}" in paths, feed
    assert len(examples()) >= 15


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.id)
def test_example_is_what_the_simulator_serves(sandbox: SandboxHandle, example: Example) -> None:
    documented = json.loads(example.body)
    if example.kind == "request":
        response = requests.post(sandbox.base_url + example.path, json=documented, timeout=10)
        assert response.status_code == 201, response.text
        return
    response = serve(sandbox, example)
    assert response.status_code == int(example.options.get("status", "200")), response.text
    served = response.json()
    if "keys" in example.options:
        assert set(served) == set(documented)
    else:
        assert served == documented
