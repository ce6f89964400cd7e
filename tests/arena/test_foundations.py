"""Settings, data model, migrations and accounts on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from arena.accounts import AccountError, create_user, find_user, verify_password
from arena.db import Database, audit
from arena.models import AuditEvent, Role, User
from arena.settings import Settings


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ARENA_SUBMISSION_MAX_BYTES", "123")
    settings = Settings(_env_file=None)
    assert settings.submission_max_bytes == 123
    assert settings.answers_dir == (tmp_path / "d" / "answers").resolve()
    assert settings.db_url == f"sqlite:///{(tmp_path / 'd' / 'arena.db').resolve()}"


def test_empty_variables_mean_not_set(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """``${ARENA_DATABASE_URL:-}`` in a compose file or script gives an empty value: the default applies."""
    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path / "d"))
    for name in ("ARENA_DATABASE_URL", "ARENA_SUBMISSION_MAX_BYTES", "ARENA_LOG_FORMAT", "ARENA_SANDBOX_CPU_SECONDS"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)
    assert settings.database_url is None
    assert settings.db_url == f"sqlite:///{(tmp_path / 'd' / 'arena.db').resolve()}"
    assert settings.submission_max_bytes == Settings.model_fields["submission_max_bytes"].default
    assert settings.log_format == "text" and settings.sandbox_cpu_seconds is None


def test_migrations_are_idempotent(db: Database) -> None:
    db.migrate()
    with db.session() as session:
        assert session.scalars(select(User)).all() == []


def test_datetimes_come_back_utc_aware(db: Database) -> None:
    with db.session() as session:
        audit(session, "tester", "probe", "thing", n=1)
    with db.session() as session:
        event = session.scalars(select(AuditEvent)).one()
        assert event.at.tzinfo is not None
        assert abs((datetime.now(UTC) - event.at).total_seconds()) < 60
        assert event.detail == {"n": 1}


def test_accounts_hash_and_verify(db: Database) -> None:
    with db.session() as session:
        create_user(session, "lan", Role.judge, "correct horse")
    with db.session() as session:
        user = find_user(session, "lan")
        assert user is not None and user.role is Role.judge
        assert user.password_hash and "correct horse" not in user.password_hash
        assert verify_password("correct horse", user.password_hash)
        assert not verify_password("wrong horse!", user.password_hash)


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("Bad Name", "competitor", "longenough", "user name 'Bad Name' is not valid"),
        ("lan", "emperor", "longenough", "role 'emperor' is unknown"),
        ("lan", "judge", "short", "too short: 5 characters"),
    ],
)
def test_accounts_reject_bad_input(db: Database, name: str, role: str, password: str, message: str) -> None:
    with db.session() as session, pytest.raises(AccountError, match=message):
        create_user(session, name, role, password)
