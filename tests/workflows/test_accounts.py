"""Accounts: hashing, lockout, session expiry, password change, server-side roles, audit of sign-ins."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from argon2 import PasswordHasher

from tests.workflows.conftest import PASSWORDS, FakeClock, sign_in
from workflows import WorkflowStore
from workflows.accounts import (
    MAX_FAILED_ATTEMPTS,
    AuthError,
    Identity,
    authenticate,
    change_password,
    create_account,
    identity_for_oidc,
    list_accounts,
    reset_password,
    sign_out,
    update_account,
    validate_session,
)
from workflows.audit import list_events


def test_sign_in_returns_role_and_unit_from_the_account_table(seeded: WorkflowStore) -> None:
    user = sign_in(seeded, "donvi.a")
    assert (user.username, user.role, user.unit_code, user.display_name) == ("donvi.a", "unit", "SO-A", "Sở Tư pháp")
    assert user.session_token
    assert validate_session(seeded, user) == user


def test_username_is_case_and_space_insensitive(seeded: WorkflowStore) -> None:
    assert authenticate(seeded, "  DonVi.A ", PASSWORDS["donvi.a"]).unit_code == "SO-A"


def test_wrong_password_and_unknown_user_get_the_same_vietnamese_message(seeded: WorkflowStore) -> None:
    with pytest.raises(AuthError) as wrong:
        authenticate(seeded, "donvi.a", "sai-mat-khau-123")
    with pytest.raises(AuthError) as unknown:
        authenticate(seeded, "khong-co-ai", "sai-mat-khau-123")
    assert str(wrong.value) == str(unknown.value) == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert wrong.value.message("en") == "Wrong username or password."


def test_lockout_after_repeated_failures_even_with_the_right_password(seeded: WorkflowStore, clock: FakeClock) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError, match="không đúng"):
            authenticate(seeded, "donvi.a", "sai-mat-khau-123")
    with pytest.raises(AuthError) as locked:
        authenticate(seeded, "donvi.a", PASSWORDS["donvi.a"])
    assert locked.value.key == "auth.locked"
    clock.advance(minutes=16)
    assert sign_in(seeded, "donvi.a").unit_code == "SO-A"


def test_a_success_resets_the_failure_counter(seeded: WorkflowStore) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(AuthError):
            authenticate(seeded, "donvi.a", "sai-mat-khau-123")
    sign_in(seeded, "donvi.a")
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(AuthError):
            authenticate(seeded, "donvi.a", "sai-mat-khau-123")
    sign_in(seeded, "donvi.a")


def test_session_expires(seeded: WorkflowStore, clock: FakeClock) -> None:
    user = sign_in(seeded, "donvi.a")
    clock.advance(hours=7, minutes=59)
    validate_session(seeded, user)
    clock.advance(minutes=2)
    with pytest.raises(AuthError) as expired:
        validate_session(seeded, user)
    assert expired.value.key == "auth.session_expired"


def test_sign_out_revokes_the_session(seeded: WorkflowStore) -> None:
    user = sign_in(seeded, "donvi.a")
    sign_out(seeded, user)
    with pytest.raises(AuthError):
        validate_session(seeded, user)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"role": "it_admin"}, id="role"),
        pytest.param({"unit_code": "XA-B"}, id="unit"),
        pytest.param({"username": "donvi.b"}, id="username"),
        pytest.param({"session_token": "forged"}, id="token"),
    ],
)
def test_tampered_identity_is_refused(seeded: WorkflowStore, tamper: dict[str, str]) -> None:
    user = sign_in(seeded, "donvi.a")
    with pytest.raises(AuthError):
        validate_session(seeded, dataclasses.replace(user, **tamper))


def test_identity_built_by_hand_is_refused(seeded: WorkflowStore) -> None:
    with pytest.raises(AuthError):
        validate_session(seeded, Identity("sokhcn", "it_admin", None, "x"))
    with pytest.raises(AuthError):
        validate_session(seeded, {"username": "sokhcn", "role": "it_admin"})


def test_password_change_revokes_other_sessions(seeded: WorkflowStore) -> None:
    laptop = sign_in(seeded, "donvi.a")
    phone = sign_in(seeded, "donvi.a")
    renewed = change_password(seeded, laptop, PASSWORDS["donvi.a"], "mat-khau-moi-2027")
    validate_session(seeded, renewed)
    for old in (laptop, phone):
        with pytest.raises(AuthError):
            validate_session(seeded, old)
    with pytest.raises(AuthError):
        authenticate(seeded, "donvi.a", PASSWORDS["donvi.a"])
    assert authenticate(seeded, "donvi.a", "mat-khau-moi-2027").unit_code == "SO-A"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        pytest.param("wrong-old-password", "mat-khau-moi-2027", "auth.bad_credentials", id="wrong-old"),
        pytest.param(PASSWORDS["donvi.a"], "ngan", "auth.password_too_short", id="too-short"),
        pytest.param(PASSWORDS["donvi.a"], PASSWORDS["donvi.a"], "auth.password_same", id="same"),
    ],
)
def test_password_change_refusals(seeded: WorkflowStore, old: str, new: str, key: str) -> None:
    user = sign_in(seeded, "donvi.a")
    with pytest.raises(AuthError) as refused:
        change_password(seeded, user, old, new)
    assert refused.value.key == key


@pytest.mark.parametrize(
    ("username", "role", "unit", "key"),
    [
        pytest.param("<script>", "unit", "X", "auth.bad_username", id="bad-username"),
        pytest.param("someone", "superuser", None, "auth.bad_role", id="bad-role"),
        pytest.param("someone", "unit", None, "auth.unit_required", id="unit-without-code"),
        pytest.param("someone", "leader", "SO-A", "auth.unit_required", id="leader-with-unit"),
        pytest.param("donvi.a", "unit", "SO-A", "auth.username_taken", id="taken"),
    ],
)
def test_create_account_refusals(seeded: WorkflowStore, username: str, role: str, unit: str | None, key: str) -> None:
    with pytest.raises(AuthError) as refused:
        create_account(seeded, username, "mot-mat-khau-dai", role, unit)
    assert refused.value.key == key
    assert {a.username for a in list_accounts(seeded, sign_in(seeded, "sokhcn"))} == set(PASSWORDS)


def test_passwords_are_never_stored_or_logged_in_clear(seeded: WorkflowStore) -> None:
    with pytest.raises(AuthError):
        authenticate(seeded, "donvi.a", "typo-of-don-vi-a-2026!")
    sign_in(seeded, "donvi.a")
    change_password(seeded, sign_in(seeded, "donvi.b"), PASSWORDS["donvi.b"], "mat-khau-moi-2027")
    raw = b"".join(p.read_bytes() for p in seeded.path.parent.glob("workflow.sqlite*"))
    for password in [*PASSWORDS.values(), "typo-of-don-vi-a-2026!", "mat-khau-moi-2027"]:
        assert password.encode() not in raw
    with seeded.read() as con:
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM accounts")]
    assert all(h.startswith("$argon2id$") for h in hashes)


def test_a_hash_with_other_parameters_signs_in_and_is_upgraded(seeded: WorkflowStore) -> None:
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORDS["donvi.a"])
    with seeded.write() as con:
        con.execute("UPDATE accounts SET password_hash = ? WHERE username = 'donvi.a'", (old,))
    assert sign_in(seeded, "donvi.a").unit_code == "SO-A"
    with seeded.read() as con:
        upgraded = con.execute("SELECT password_hash FROM accounts WHERE username = 'donvi.a'").fetchone()[0]
    assert upgraded != old and upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert sign_in(seeded, "donvi.a").unit_code == "SO-A"


def test_sign_ins_and_failures_are_audited(seeded: WorkflowStore) -> None:
    with pytest.raises(AuthError):
        authenticate(seeded, "donvi.a", "sai-mat-khau-123")
    admin = sign_in(seeded, "sokhcn")
    actions = [(e.actor, e.action) for e in list_events(seeded, admin)]
    assert actions[:2] == [("sokhcn", "sign_in"), ("donvi.a", "sign_in_failed")]


def test_admin_changes_are_audited_with_before_and_after_and_revoke_sessions(seeded: WorkflowStore) -> None:
    admin = sign_in(seeded, "sokhcn")
    user = sign_in(seeded, "donvi.a")
    update_account(seeded, admin, "donvi.a", role="unit", unit_code="SO-C", display_name="Sở Xây dựng",
                   disabled=False)
    with pytest.raises(AuthError):
        validate_session(seeded, user)
    event = next(e for e in list_events(seeded, admin, action="account_update"))
    assert event.before["unit_code"] == "SO-A" and event.after["unit_code"] == "SO-C"
    assert sign_in(seeded, "donvi.a").unit_code == "SO-C"


def test_disabled_account_cannot_sign_in(seeded: WorkflowStore) -> None:
    admin = sign_in(seeded, "sokhcn")
    update_account(seeded, admin, "donvi.b", role="unit", unit_code="XA-B", display_name="", disabled=True)
    with pytest.raises(AuthError) as refused:
        sign_in(seeded, "donvi.b")
    assert refused.value.key == "auth.disabled"


def test_admin_reset_unlocks(seeded: WorkflowStore) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(AuthError):
            authenticate(seeded, "donvi.b", "sai-mat-khau-123")
    reset_password(seeded, sign_in(seeded, "sokhcn"), "donvi.b", "mat-khau-cap-lai-1")
    assert authenticate(seeded, "donvi.b", "mat-khau-cap-lai-1").unit_code == "XA-B"


def test_only_admin_manages_accounts(seeded: WorkflowStore) -> None:
    for name in ("lanhdao", "donvi.a"):
        user = sign_in(seeded, name)
        with pytest.raises(AuthError):
            list_accounts(seeded, user)
        with pytest.raises(AuthError):
            reset_password(seeded, user, "sokhcn", "mat-khau-chiem-quyen")


def test_oidc_maps_subject_to_the_server_side_account(seeded: WorkflowStore) -> None:
    create_account(seeded, "canbo@xa-b.gov.vn", None, "unit", "XA-B", oidc_subject="kc-123")
    user = identity_for_oidc(seeded, "kc-123", "anything@else")
    assert (user.role, user.unit_code) == ("unit", "XA-B")
    validate_session(seeded, user)
    with pytest.raises(AuthError) as unknown:
        identity_for_oidc(seeded, "kc-999", "stranger@example.org")
    assert unknown.value.key == "auth.oidc_unknown"
    with pytest.raises(AuthError):
        authenticate(seeded, "canbo@xa-b.gov.vn", "")


def test_passwords_never_reach_the_logs_or_error_messages(seeded: WorkflowStore,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    attempts = ["typo-of-don-vi-a-2026!", PASSWORDS["donvi.a"]]
    messages = []
    with pytest.raises(AuthError) as wrong:
        authenticate(seeded, "donvi.a", attempts[0])
    messages += [str(wrong.value), wrong.value.message("en"), repr(wrong.value)]
    user = sign_in(seeded, "donvi.a")
    with pytest.raises(AuthError) as short:
        change_password(seeded, user, PASSWORDS["donvi.a"], "ngan-qua")
    messages += [str(short.value), repr(short.value)]
    everything = caplog.text + "".join(messages) + repr(user)
    for password in [*attempts, "ngan-qua"]:
        assert password not in everything
    assert user.session_token not in repr(user)
