"""Fixtures for the importer tests: the sandbox registry's unit codes and a folder of sample files."""

from __future__ import annotations

from pathlib import Path

import pytest

from province.registry import load_registry

REGISTRY = Path(__file__).resolve().parents[2] / "data" / "province.toml"


@pytest.fixture(scope="session")
def known_units() -> frozenset[str]:
    return frozenset(load_registry(REGISTRY).codes())


@pytest.fixture()
def write(tmp_path: Path):
    """write(name, text) → a UTF-8 file in the test's folder."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return _write
