"""Sandbox accounts on first start: env passwords are used and never shown; generated ones are shown once."""

from __future__ import annotations

import re
from pathlib import Path

from launcher.accounts import create_sandbox_accounts
from province.registry import load_registry
from workflows import open_store
from workflows.accounts import authenticate

REGISTRY = Path(__file__).resolve().parents[2] / "data" / "province.toml"


def test_accounts_created_once_with_env_or_generated_passwords(tmp_path: Path) -> None:
    store_path = tmp_path / "workflow.sqlite"
    said: list[str] = []
    env = {"ITMON_PASSWORD_LANHDAO": "mat-khau-lanh-dao-2026"}
    assert create_sandbox_accounts(store_path, REGISTRY, env=env, say=said.append) == ["quantri", "lanhdao", "donvi"]
    output = "\n".join(said)
    assert "mat-khau-lanh-dao-2026" not in output
    assert "account lanhdao (leader) (from ITMON_PASSWORD_LANHDAO)" in output
    generated = dict(re.findall(r"account (\w+) \([a-z_]+\) password: (\S+)", output))
    assert set(generated) == {"quantri", "donvi"}
    assert not list(tmp_path.glob("*.txt")) and generated["quantri"] not in store_path.read_bytes().decode("latin-1")

    store = open_store(store_path)
    assert authenticate(store, "lanhdao", "mat-khau-lanh-dao-2026").role == "leader"
    unit = authenticate(store, "donvi", generated["donvi"])
    first_department = next(u for u in load_registry(REGISTRY).units if u.level == "department" and u.is_ranked)
    assert (unit.role, unit.unit_code) == ("unit", first_department.code)

    again: list[str] = []
    assert create_sandbox_accounts(store_path, REGISTRY, env=env, say=again.append) == []
    assert again == []
