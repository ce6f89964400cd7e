"""Disabled accounts: disabling and enabling (audited), and the ``arena users`` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from arena.accounts import create_user, disable_user, disabled_message, enable_user, find_user
from arena.db import Database
from arena.errors import NotFoundError
from arena.models import AuditEvent
from arena.settings import Settings
from cli.users import app


def test_disable_keeps_the_first_date_updates_the_reason_and_is_audited(db: Database) -> None:
    with db.session() as session:
        create_user(session, "alice", "competitor", "long-enough-secret")
        first = disable_user(session, "alice", "shared her token", actor="olga").disabled_at
        again = disable_user(session, "alice", " copied answers ", actor="olga")
        assert first is not None and again.disabled_at == first
        assert disabled_message(again) == (
            "the account 'alice' is disabled (copied answers); ask an organiser to enable it again"
        )
    with db.session() as session:
        enabled = enable_user(session, "alice", actor="olga")
        assert (enabled.disabled_at, enabled.disabled_reason) == (None, None)
        events = [(e.actor, e.action, e.object, e.detail) for e in session.scalars(select(AuditEvent))]
    assert events[-3:] == [
        ("olga", "user.disable", "user:alice", {"reason": "shared her token"}),
        ("olga", "user.disable", "user:alice", {"reason": "copied answers"}),
        ("olga", "user.enable", "user:alice", {}),
    ]


def test_disabling_a_user_that_does_not_exist_says_so(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFoundError, match="user 'nobody' does not exist"):
        disable_user(session, "nobody")
    with db.session() as session, pytest.raises(NotFoundError, match="user 'nobody' does not exist"):
        enable_user(session, "nobody")


def test_a_password_reset_leaves_the_account_disabled(db: Database) -> None:
    with db.session() as session:
        create_user(session, "bob", "competitor", "long-enough-secret")
        disable_user(session, "bob", "left the team")
        create_user(session, "bob", "competitor", "another-long-secret")
        assert find_user(session, "bob").disabled_reason == "left the team"


def test_the_cli_disables_lists_and_enables_and_says_when_no_hub_ever_ran(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARENA_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    database = Database.from_settings(settings)
    database.migrate()
    with database.session() as session:
        create_user(session, "carol", "competitor", "long-enough-secret")
    runner = CliRunner()

    disabled = runner.invoke(app, ["disable", "carol", "--reason", "account shared"])
    listed = runner.invoke(app, ["list"])
    enabled = runner.invoke(app, ["enable", "carol"])
    relisted = runner.invoke(app, ["list"])
    missing = runner.invoke(app, ["disable", "nobody"])

    assert disabled.exit_code == 0, disabled.output
    assert disabled.output.splitlines() == [
        "user carol disabled (account shared)",
        "the hub has never run here: no sandbox to stop",
    ]
    assert listed.output.splitlines() == ["carol\tcompetitor\tdisabled (account shared)"]
    assert enabled.exit_code == 0 and enabled.output.splitlines() == ["user carol enabled"]
    assert relisted.output.splitlines() == ["carol\tcompetitor"]
    assert missing.exit_code != 0 and isinstance(missing.exception, NotFoundError)
