"""Local accounts: argon2 hashes, lockout after repeated failures, expiring server-side sessions, roles.

A role or unit is only ever read from the ``accounts`` table; :func:`validate_session` re-reads it on every
page run, so a tampered ``Identity`` in session state, a disabled account or an expired session is refused.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from workflows import audit
from workflows.store import Clock, WorkflowStore, from_text, to_text
from workflows.texts import WorkflowError

ROLES = ("leader", "it_admin", "unit")
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"[a-z0-9._@-]{3,64}")

# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): ~25 ms per check on this 2-core machine against
# ~130 ms for argon2-cffi's default (64 MiB, 3 passes, 4 lanes that only 2 cores can run), which every new
# dashboard session paid before its first page. Older hashes verify and are upgraded at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username does not exist, so a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(WorkflowError):
    """Sign-in or session refused; ``str()`` is Vietnamese, ``message("en")`` English."""


@dataclass(frozen=True)
class Identity:
    """Who is signed in. ``session_token`` ties it to a server-side session row."""

    username: str
    role: str
    unit_code: str | None
    display_name: str
    session_token: str = field(default="", repr=False, compare=False)

    @property
    def is_admin(self) -> bool:
        """The IT department."""
        return self.role == "it_admin"

    def can_see_unit(self, unit_code: str) -> bool:
        """Leaders and the IT department see every unit; a unit sees only itself."""
        return self.role in ("leader", "it_admin") or self.unit_code == unit_code


def normalise_username(username: str) -> str:
    """NFC, trimmed, lower-case."""
    return unicodedata.normalize("NFC", username).strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_role(identity: Identity, *roles: str) -> None:
    """Raise ``AuthError('auth.forbidden')`` unless ``identity`` has one of ``roles``."""
    if identity.role not in roles:
        raise AuthError("auth.forbidden")


def _check_new_password(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError("auth.password_too_short", min=MIN_PASSWORD_LENGTH)
    if normalise_username(password) == username:
        raise AuthError("auth.password_is_username")


INSERT_ACCOUNT_SQL = """
INSERT INTO accounts (username, password_hash, role, unit_code, display_name, oidc_subject, created_at,
                      password_changed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
ACCOUNT_EXISTS_SQL = "SELECT 1 FROM accounts WHERE username = ?"


def _check_account_fields(username: str, role: str, unit_code: str | None) -> None:
    if not USERNAME_PATTERN.fullmatch(username):
        raise AuthError("auth.bad_username", username=username)
    if role not in ROLES:
        raise AuthError("auth.bad_role", role=role, roles=", ".join(ROLES))
    if (role == "unit") != bool(unit_code):
        raise AuthError("auth.unit_required")


def create_account(
    store: WorkflowStore,
    username: str,
    password: str | None,
    role: str,
    unit_code: str | None = None,
    display_name: str = "",
    *,
    oidc_subject: str | None = None,
    actor: str = "system",
) -> Identity:
    """Create an account; ``password=None`` makes an OIDC-only account (needs ``oidc_subject``)."""
    username = normalise_username(username)
    unit_code = unit_code.strip() if unit_code else None
    _check_account_fields(username, role, unit_code)
    if password is not None:
        _check_new_password(username, password)
    elif not oidc_subject:
        raise AuthError("auth.password_too_short", min=MIN_PASSWORD_LENGTH)
    password_hash = _hasher.hash(password) if password is not None else None
    display_name = unicodedata.normalize("NFC", display_name.strip())
    now = store.clock()
    with store.write() as con:
        if con.execute(ACCOUNT_EXISTS_SQL, (username,)).fetchone():
            raise AuthError("auth.username_taken", username=username)
        con.execute(
            INSERT_ACCOUNT_SQL,
            (username, password_hash, role, unit_code, display_name, oidc_subject, to_text(now), to_text(now)),
        )
        audit.record(
            con, at=now, actor=actor, action=audit.ACCOUNT_CREATE, target=username, unit_code=unit_code,
            after={"role": role, "unit_code": unit_code, "display_name": display_name,
                   "oidc_subject": oidc_subject},
        )
    return Identity(username, role, unit_code, display_name)


ACCOUNT_SQL = """
SELECT username, password_hash, role, unit_code, display_name, failed_attempts, locked_until, disabled
FROM accounts WHERE username = ?
"""
RECORD_FAILURE_SQL = """
UPDATE accounts
SET failed_attempts = failed_attempts + 1,
    locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END
WHERE username = ?
"""
RESET_FAILURES_SQL = "UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE username = ?"
UPDATE_HASH_SQL = "UPDATE accounts SET password_hash = ? WHERE username = ?"
INSERT_SESSION_SQL = "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)"


def _start_session(con: sqlite3.Connection, username: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    con.execute(INSERT_SESSION_SQL, (_token_hash(token), username, to_text(now), to_text(now + SESSION_TTL)))
    return token


def _fail(store: WorkflowStore, username: str, now: datetime, reason: str, *, count: bool) -> None:
    with store.write() as con:
        if count:
            con.execute(RECORD_FAILURE_SQL, (MAX_FAILED_ATTEMPTS, to_text(now + LOCKOUT), username))
        audit.record(con, at=now, actor=username or "?", action=audit.SIGN_IN_FAILED, target=username,
                     after={"reason": reason})


def authenticate(store: WorkflowStore, username: str, password: str, *, clock: Clock | None = None) -> Identity:
    """Check the password and open a session; raise :class:`AuthError` (and audit it) on any refusal."""
    now = (clock or store.clock)()
    username = normalise_username(username)
    with store.read() as con:
        row = con.execute(ACCOUNT_SQL, (username,)).fetchone()
    if row is None or row["password_hash"] is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        _fail(store, username, now, "unknown_account", count=False)
        raise AuthError("auth.bad_credentials")
    if row["disabled"]:
        _fail(store, username, now, "disabled", count=False)
        raise AuthError("auth.disabled")
    if row["locked_until"] and from_text(row["locked_until"]) > now:
        _fail(store, username, now, "locked", count=False)
        raise AuthError("auth.locked", until=from_text(row["locked_until"]).strftime("%H:%M %d/%m/%Y UTC"))
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerifyMismatchError, InvalidHashError):
        _fail(store, username, now, "bad_password", count=True)
        raise AuthError("auth.bad_credentials") from None
    with store.write() as con:
        con.execute(RESET_FAILURES_SQL, (username,))
        if _hasher.check_needs_rehash(row["password_hash"]):
            con.execute(UPDATE_HASH_SQL, (_hasher.hash(password), username))
        token = _start_session(con, username, now)
        audit.record(con, at=now, actor=username, action=audit.SIGN_IN, target=username,
                     unit_code=row["unit_code"], after={"method": "password"})
    return Identity(username, row["role"], row["unit_code"], row["display_name"], session_token=token)


OIDC_ACCOUNT_SQL = """
SELECT username, role, unit_code, display_name, disabled FROM accounts
WHERE oidc_subject = ? OR (oidc_subject IS NULL AND username = ?)
ORDER BY oidc_subject IS NULL
LIMIT 1
"""


def identity_for_oidc(
    store: WorkflowStore, subject: str, email: str | None, *, clock: Clock | None = None
) -> Identity:
    """Map a provider-verified OIDC user to a server-side account; role and unit come only from the table."""
    now = (clock or store.clock)()
    email_name = normalise_username(email or "")
    with store.read() as con:
        row = con.execute(OIDC_ACCOUNT_SQL, (subject, email_name)).fetchone()
    if row is None:
        _fail(store, email_name or subject, now, "oidc_unknown", count=False)
        raise AuthError("auth.oidc_unknown", subject=email or subject)
    if row["disabled"]:
        _fail(store, row["username"], now, "disabled", count=False)
        raise AuthError("auth.disabled")
    with store.write() as con:
        token = _start_session(con, row["username"], now)
        audit.record(con, at=now, actor=row["username"], action=audit.SIGN_IN, target=row["username"],
                     unit_code=row["unit_code"], after={"method": "oidc", "subject": subject})
    return Identity(row["username"], row["role"], row["unit_code"], row["display_name"], session_token=token)


SESSION_ACCOUNT_SQL = """
SELECT s.expires_at, s.revoked_at, a.username, a.role, a.unit_code, a.display_name, a.disabled
FROM sessions AS s JOIN accounts AS a USING (username)
WHERE s.token_hash = ?
"""


def validate_session(store: WorkflowStore, identity: object, *, clock: Clock | None = None) -> Identity:
    """The server's current view of a session: fresh role and unit, or :class:`AuthError` if not valid.

    Anything stored in session state is treated as untrusted: only the token is used, and the returned
    identity is rebuilt from the accounts table. A mismatch with what the caller held is refused outright.
    """
    now = (clock or store.clock)()
    token = getattr(identity, "session_token", "")
    if not isinstance(identity, Identity) or not token:
        raise AuthError("auth.session_expired")
    with store.read() as con:
        row = con.execute(SESSION_ACCOUNT_SQL, (_token_hash(token),)).fetchone()
    if row is None or row["revoked_at"] or from_text(row["expires_at"]) <= now or row["disabled"]:
        raise AuthError("auth.session_expired")
    fresh = Identity(row["username"], row["role"], row["unit_code"], row["display_name"], session_token=token)
    if (fresh.username, fresh.role, fresh.unit_code) != (identity.username, identity.role, identity.unit_code):
        raise AuthError("auth.session_expired")
    return fresh


REVOKE_SESSION_SQL = "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL"
REVOKE_USER_SESSIONS_SQL = "UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL"


def sign_out(store: WorkflowStore, identity: Identity) -> None:
    """Revoke this session."""
    now = store.clock()
    with store.write() as con:
        con.execute(REVOKE_SESSION_SQL, (to_text(now), _token_hash(identity.session_token)))
        audit.record(con, at=now, actor=identity.username, action=audit.SIGN_OUT, target=identity.username)


SET_PASSWORD_SQL = """
UPDATE accounts SET password_hash = ?, password_changed_at = ?, failed_attempts = 0, locked_until = NULL
WHERE username = ?
"""


def change_password(store: WorkflowStore, identity: Identity, old_password: str, new_password: str) -> Identity:
    """Change one's own password; every other session of the account is revoked, a new one returned."""
    fresh = validate_session(store, identity)
    with store.read() as con:
        row = con.execute(ACCOUNT_SQL, (fresh.username,)).fetchone()
    try:
        _hasher.verify(row["password_hash"] or _DUMMY_HASH, old_password)
    except (VerifyMismatchError, InvalidHashError):
        _fail(store, fresh.username, store.clock(), "bad_password_on_change", count=True)
        raise AuthError("auth.bad_credentials") from None
    if new_password == old_password:
        raise AuthError("auth.password_same")
    _check_new_password(fresh.username, new_password)
    now = store.clock()
    with store.write() as con:
        con.execute(SET_PASSWORD_SQL, (_hasher.hash(new_password), to_text(now), fresh.username))
        con.execute(REVOKE_USER_SESSIONS_SQL, (to_text(now), fresh.username))
        token = _start_session(con, fresh.username, now)
        audit.record(con, at=now, actor=fresh.username, action=audit.PASSWORD_CHANGE, target=fresh.username)
    return replace(fresh, session_token=token)


def reset_password(store: WorkflowStore, admin: Identity, username: str, new_password: str) -> None:
    """The IT department sets a new password (and unlocks); the user's sessions are revoked."""
    require_role(admin, "it_admin")
    username = normalise_username(username)
    _check_new_password(username, new_password)
    now = store.clock()
    with store.write() as con:
        if not con.execute(ACCOUNT_EXISTS_SQL, (username,)).fetchone():
            raise AuthError("auth.unknown_account", username=username)
        con.execute(SET_PASSWORD_SQL, (_hasher.hash(new_password), to_text(now), username))
        con.execute(REVOKE_USER_SESSIONS_SQL, (to_text(now), username))
        audit.record(con, at=now, actor=admin.username, action=audit.PASSWORD_CHANGE, target=username,
                     after={"by_admin": True})


LIST_ACCOUNTS_SQL = """
SELECT username, role, unit_code, display_name, disabled, failed_attempts, locked_until, oidc_subject
FROM accounts ORDER BY role, unit_code, username
"""


@dataclass(frozen=True)
class AccountRow:
    """An account as the IT department sees it (never the hash)."""

    username: str
    role: str
    unit_code: str | None
    display_name: str
    disabled: bool
    locked: bool
    oidc_subject: str | None


def list_accounts(store: WorkflowStore, admin: Identity) -> list[AccountRow]:
    """All accounts, for the IT department only."""
    require_role(admin, "it_admin")
    now = store.clock()
    with store.read() as con:
        rows = con.execute(LIST_ACCOUNTS_SQL).fetchall()
    return [
        AccountRow(r["username"], r["role"], r["unit_code"], r["display_name"], bool(r["disabled"]),
                   bool(r["locked_until"] and from_text(r["locked_until"]) > now), r["oidc_subject"])
        for r in rows
    ]


UPDATE_ACCOUNT_SQL = "UPDATE accounts SET role = ?, unit_code = ?, display_name = ?, disabled = ? WHERE username = ?"


def update_account(
    store: WorkflowStore, admin: Identity, username: str, *, role: str, unit_code: str | None,
    display_name: str, disabled: bool,
) -> None:
    """Change role, unit, name or the disabled flag; audited with before and after. Revokes sessions."""
    require_role(admin, "it_admin")
    username = normalise_username(username)
    unit_code = unit_code.strip() if unit_code else None
    _check_account_fields(username, role, unit_code)
    display_name = unicodedata.normalize("NFC", display_name.strip())
    now = store.clock()
    with store.write() as con:
        row = con.execute(ACCOUNT_SQL, (username,)).fetchone()
        if row is None:
            raise AuthError("auth.unknown_account", username=username)
        before = {"role": row["role"], "unit_code": row["unit_code"], "display_name": row["display_name"],
                  "disabled": bool(row["disabled"])}
        after = {"role": role, "unit_code": unit_code, "display_name": display_name, "disabled": disabled}
        con.execute(UPDATE_ACCOUNT_SQL, (role, unit_code, display_name, int(disabled), username))
        con.execute(REVOKE_USER_SESSIONS_SQL, (to_text(now), username))
        audit.record(con, at=now, actor=admin.username, action=audit.ACCOUNT_UPDATE, target=username,
                     unit_code=unit_code, before=before, after=after)
