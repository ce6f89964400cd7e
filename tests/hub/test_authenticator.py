"""Hub log-in against arena accounts: password check, role → group, admin flag, open sessions re-checked."""

from __future__ import annotations

import asyncio

import pytest

from types import SimpleNamespace

from arena.accounts import create_user, disable_user, enable_user, set_role
from arena.db import Database
from arena.errors import AccountDisabled
from arena.settings import Settings
from hub import ArenaAuthenticator
from hub.authenticator import check_credentials, group_of

PASSWORD = "long-enough-secret"


@pytest.fixture
def accounts(db: Database) -> Database:
    with db.session() as session:
        create_user(session, "alice", "competitor", PASSWORD)
        create_user(session, "olga", "admin", PASSWORD)
        create_user(session, "nopass", "judge", None)
    return db


def test_valid_credentials_give_the_role_as_group(accounts: Database) -> None:
    assert check_credentials(accounts.url, "alice", PASSWORD) == {
        "name": "alice",
        "groups": ["competitors"],
        "admin": False,
    }
    assert check_credentials(accounts.url, "olga", PASSWORD) == {"name": "olga", "groups": ["admins"], "admin": True}


@pytest.mark.parametrize(("name", "password"), [("alice", "wrong-password"), ("nobody", PASSWORD), ("nopass", "")])
def test_bad_credentials_are_refused(accounts: Database, name: str, password: str) -> None:
    assert check_credentials(accounts.url, name, password) is None


def test_authenticator_reads_the_database_named_by_settings(
    accounts: Database, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_DATABASE_URL", db_settings.db_url)
    authenticator = ArenaAuthenticator()

    accepted = asyncio.run(authenticator.authenticate(None, {"username": " Alice ", "password": PASSWORD}))
    refused = asyncio.run(authenticator.authenticate(None, {"username": "alice", "password": ""}))

    assert accepted is not None and accepted["name"] == "alice" and refused is None
    assert authenticator.manage_groups is True and authenticator.allow_all is True


def test_every_role_has_a_plural_group() -> None:
    assert [group_of(role) for role in ("competitor", "organiser", "judge", "admin")] == [
        "competitors",
        "organisers",
        "judges",
        "admins",
    ]


def test_a_disabled_account_is_refused_with_the_reason_only_with_the_right_password(accounts: Database) -> None:
    with accounts.session() as session:
        disable_user(session, "alice", "shared her password")

    with pytest.raises(AccountDisabled, match=r"^the account 'alice' is disabled \(shared her password\)"):
        check_credentials(accounts.url, "alice", PASSWORD)
    assert check_credentials(accounts.url, "alice", "wrong-password") is None  # no hint without the password
    with accounts.session() as session:
        enable_user(session, "alice")
    assert check_credentials(accounts.url, "alice", PASSWORD) == {"name": "alice", "groups": ["competitors"], "admin": False}


def _refresh(authenticator: ArenaAuthenticator, name: str) -> object:
    return asyncio.run(authenticator.refresh_user(SimpleNamespace(name=name)))


def test_an_open_session_is_re_checked_disabled_or_deleted_signs_out_and_a_new_role_moves_the_group(
    accounts: Database, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_DATABASE_URL", db_settings.db_url)
    monkeypatch.setenv("ARENA_HUB_AUTH_REFRESH_SECONDS", "7")
    authenticator = ArenaAuthenticator()

    assert (authenticator.auth_refresh_age, authenticator.auth_refresh_strict) == (7, True)
    assert _refresh(authenticator, "alice") == {"name": "alice", "groups": ["competitors"], "admin": False}
    with accounts.session() as session:
        set_role(session, "alice", "judge")
    assert _refresh(authenticator, "alice") == {"name": "alice", "groups": ["judges"], "admin": False}
    with accounts.session() as session:
        disable_user(session, "alice", "shared her password")
    assert _refresh(authenticator, "alice") is False
    assert _refresh(authenticator, "nobody") is False


def test_while_the_database_is_down_an_open_session_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")

    assert _refresh(ArenaAuthenticator(), "alice") is True
