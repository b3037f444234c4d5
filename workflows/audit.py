"""The audit log: who did what, when, to what, with the state before and after.

Every write in ``workflows`` records its event in the same transaction as the change, so the log and the
data cannot disagree. Other modules (publication, registry, rubric changes) call :func:`log_event`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows.safe_cells import to_csv_bytes, to_xlsx_bytes
from workflows.store import WorkflowStore, to_text

SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
PASSWORD_CHANGE = "password_change"
ACCOUNT_CREATE = "account_create"
ACCOUNT_UPDATE = "account_update"
EVIDENCE_UPLOAD = "evidence_upload"
SELFREPORT_DRAFT = "selfreport_draft"
SELFREPORT_SUBMIT = "selfreport_submit"
SELFREPORT_VERIFY = "selfreport_verify"
SELFREPORT_REJECT = "selfreport_reject"
DISPUTE_RAISE = "dispute_raise"
DISPUTE_ACCEPT = "dispute_accept"
DISPUTE_REJECT = "dispute_reject"
PUBLICATION = "publication"
REGISTRY_CHANGE = "registry_change"
RUBRIC_CHANGE = "rubric_change"
INSPECTION_RECORD = "inspection_record"
FOLLOW_UP = "follow_up"

INSERT_EVENT_SQL = """
INSERT INTO audit_log (at, actor, action, target, unit_code, before_json, after_json)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""

FORBIDDEN_KEYS = frozenset({"password", "password_hash", "new_password", "old_password", "token", "secret"})


@dataclass(frozen=True)
class AuditEvent:
    """One row of the audit log."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    unit_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _state_json(state: Mapping[str, Any] | None) -> str | None:
    if state is None:
        return None
    leaked = FORBIDDEN_KEYS.intersection(state)
    if leaked:
        raise ValueError(f"audit state must not contain secrets; remove key(s) {sorted(leaked)}")
    return json.dumps(dict(state), ensure_ascii=False, sort_keys=True, default=str)


def record(
    con: sqlite3.Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str = "",
    unit_code: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one event inside the caller's open write transaction."""
    con.execute(
        INSERT_EVENT_SQL,
        (to_text(at), actor, action, target, unit_code, _state_json(before), _state_json(after)),
    )


def log_event(
    store: WorkflowStore,
    *,
    actor: str,
    action: str,
    target: str = "",
    unit_code: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one event in its own transaction (for changes made outside the workflow store)."""
    with store.write() as con:
        record(con, at=store.clock(), actor=actor, action=action, target=target, unit_code=unit_code,
               before=before, after=after)


LIST_EVENTS_SQL = """
SELECT id, at, actor, action, target, unit_code, before_json, after_json
FROM audit_log
WHERE (:action IS NULL OR action = :action)
  AND (:actor IS NULL OR actor = :actor)
  AND (:since IS NULL OR at >= :since)
ORDER BY id DESC
LIMIT :limit
"""


def _require_role(store: WorkflowStore, viewer: Any, roles: tuple[str, ...]) -> None:
    from workflows.accounts import AuthError, validate_session  # accounts records into this module

    if validate_session(store, viewer).role not in roles:
        raise AuthError("auth.forbidden")


def list_events(
    store: WorkflowStore,
    viewer: Any,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[AuditEvent]:
    """Newest first; the IT department and the leadership read the log (export: IT department only)."""
    _require_role(store, viewer, ("it_admin", "leader"))
    params = {"action": action, "actor": actor, "since": to_text(since) if since else None, "limit": limit}
    with store.read() as con:
        rows = con.execute(LIST_EVENTS_SQL, params).fetchall()
    return [
        AuditEvent(
            id=row["id"], at=row["at"], actor=row["actor"], action=row["action"], target=row["target"],
            unit_code=row["unit_code"],
            before=json.loads(row["before_json"]) if row["before_json"] else None,
            after=json.loads(row["after_json"]) if row["after_json"] else None,
        )
        for row in rows
    ]


EXPORT_HEADER = ("id", "at", "actor", "action", "target", "unit_code", "before", "after")


def _export_rows(events: list[AuditEvent]) -> list[tuple[Any, ...]]:
    return [
        (
            e.id, e.at, e.actor, e.action, e.target, e.unit_code,
            json.dumps(e.before, ensure_ascii=False, sort_keys=True) if e.before is not None else None,
            json.dumps(e.after, ensure_ascii=False, sort_keys=True) if e.after is not None else None,
        )
        for e in events
    ]


def export_csv(store: WorkflowStore, viewer: Any, **filters: Any) -> bytes:
    """The filtered log as CSV, safe against formula injection."""
    _require_role(store, viewer, ("it_admin",))
    return to_csv_bytes(EXPORT_HEADER, _export_rows(list_events(store, viewer, **filters)))


def export_xlsx(store: WorkflowStore, viewer: Any, **filters: Any) -> bytes:
    """The filtered log as xlsx, safe against formula injection."""
    _require_role(store, viewer, ("it_admin",))
    return to_xlsx_bytes(EXPORT_HEADER, _export_rows(list_events(store, viewer, **filters)), sheet_title="audit")
