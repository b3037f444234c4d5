"""The sandbox accounts, created on first start with passwords from env vars or generated and shown once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from province.registry import load_registry
from workflows import open_store
from workflows.accounts import AuthError, create_account


@dataclass(frozen=True)
class SandboxAccount:
    username: str
    role: str
    display_name: str


SANDBOX_ACCOUNTS = (
    SandboxAccount("quantri", "it_admin", "Sở Khoa học và Công nghệ (quản trị)"),
    SandboxAccount("lanhdao", "leader", "Lãnh đạo UBND tỉnh"),
    SandboxAccount("donvi", "unit", ""),
)


def password_env(username: str) -> str:
    """The environment variable that sets ``username``'s first password, e.g. ITMON_PASSWORD_LANHDAO."""
    return f"ITMON_PASSWORD_{username.upper()}"


def create_sandbox_accounts(store_path: Path, registry_path: Path, *, env: Mapping[str, str] = os.environ,
                            say: Callable[[str], None] = print) -> list[str]:
    """Create the accounts that do not exist yet; print each generated password once (never to a file).

    The unit account belongs to the registry's first ranked department. Returns the usernames created.
    """
    store = open_store(store_path)
    unit = next(u for u in load_registry(registry_path).units if u.level == "department" and u.is_ranked)
    created = []
    for account in SANDBOX_ACCOUNTS:
        given = env.get(password_env(account.username))
        password = given or secrets.token_urlsafe(12)
        unit_code = unit.code if account.role == "unit" else None
        try:
            create_account(store, account.username, password, account.role, unit_code,
                           account.display_name or unit.name, actor="launcher")
        except AuthError as error:
            if error.key == "auth.username_taken":
                continue
            raise
        created.append(account.username)
        shown = f"(from {password_env(account.username)})" if given else f"password: {password}"
        say(f"[launcher] account {account.username} ({account.role}) {shown}")
    if created:
        say("[launcher] generated passwords are shown only now; change them after the first sign-in")
    return created
