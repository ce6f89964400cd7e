"""``arena db backup`` / ``restore``: round trips on SQLite and PostgreSQL, refusals that name the problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from typer.testing import CliRunner

from arena.backup import BackupError, backup_database, restore_database, table_rows
from arena.db import Database
from arena.health import schema_revision
from arena.models import (
    AuditEvent,
    Base,
    Challenge,
    Dataset,
    Phase,
    ReviewScore,
    Score,
    Submission,
    Team,
    TeamMember,
    User,
    utcnow,
)
from arena.settings import Settings
from cli.db import app as db_app


def _fill_every_table(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        user = User(name="lan", role="judge")
        challenge = Challenge(slug="churn", title="Churn", spec={"task": "classification"}, answers_digest="0" * 64)
        challenge.phases.append(Phase(name="dev", starts_at=now, ends_at=now + timedelta(days=1)))
        session.add_all([user, challenge, Dataset(name="people", version=1, checksum="c" * 64, rows=5)])
        session.flush()
        team = Team(challenge_id=challenge.id, name="tigers")
        session.add(team)
        session.flush()
        ids = {"challenge_id": challenge.id, "team_id": team.id, "user_id": user.id}
        session.add(TeamMember(**ids))
        submission = Submission(**ids, filename="s.csv", file_digest="d" * 64, size_bytes=10, scored_at=now)
        submission.scores.append(Score(split="public", metric="accuracy", value=0.75))
        session.add_all([submission, AuditEvent(actor="lan", action="probe", object="x", detail={"n": 1})])
        session.flush()
        session.add(ReviewScore(submission_id=submission.id, judge_id=user.id, rubric="overall", score=7.5))


def _empty(db: Database) -> None:
    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    db.dispose()


def test_round_trip_keeps_every_row_and_the_alembic_version(db: Database, tmp_path: Path) -> None:
    _fill_every_table(db)
    before = table_rows(db.url)
    backup = tmp_path / "arena.backup"

    backed_up = backup_database(db.url, backup)
    _empty(db)
    emptied = table_rows(db.url)
    restored = restore_database(db.url, backup)

    assert backed_up == before
    assert emptied == {}
    assert restored == before
    assert set(before) == {*Base.metadata.tables, "alembic_version"}
    assert all(rows >= 1 for rows in before.values()), before
    with db.session() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == schema_revision(db).head
        assert session.scalars(select(Score.value)).all() == [0.75]
        assert session.scalars(select(AuditEvent.detail)).one() == {"n": 1}
        session.add(User(name="new-after-restore"))  # sequences / autoincrement survive too
    db.migrate()  # the restored schema is recognised as the newest


def test_restore_refuses_a_non_empty_database_unless_forced(db: Database, tmp_path: Path) -> None:
    backup = tmp_path / "arena.backup"
    backup_database(db.url, backup)
    _fill_every_table(db)
    db.dispose()

    with pytest.raises(BackupError, match=r"is not empty \(.*users: 1.*\): pass --force"):
        restore_database(db.url, backup)
    restored = restore_database(db.url, backup, force=True)

    assert {name: rows for name, rows in restored.items() if rows} == {"alembic_version": 1}


def test_backup_refuses_to_overwrite_a_file_unless_forced(db: Database, tmp_path: Path) -> None:
    backup = tmp_path / "arena.backup"
    backup.write_text("an older backup")

    with pytest.raises(BackupError, match="already exists"):
        backup_database(db.url, backup)
    backup_database(db.url, backup, force=True)

    assert backup.read_bytes()[:5] in (b"SQLit", b"PGDMP")


def test_restore_refuses_a_backup_of_the_other_database_kind(db: Database, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(b"PGDMP-not-for-sqlite" if db.is_sqlite else b"SQLite format 3\x00...")

    with pytest.raises(BackupError, match="is not a .* backup"):
        restore_database(db.url, wrong)


def test_sqlite_backup_is_one_self_contained_file(settings: Settings, tmp_path: Path) -> None:
    db = Database.from_settings(settings)
    db.migrate()
    _fill_every_table(db)
    backup = tmp_path / "copy.db"

    backup_database(db.url, backup)
    db.dispose()

    assert not backup.with_name("copy.db-wal").exists()
    target = f"sqlite:///{tmp_path / 'elsewhere' / 'restored.db'}"
    assert restore_database(target, backup) == table_rows(db.url)
    assert "users" in inspect(Database(target).engine).get_table_names()


def test_cli_backup_and_restore_print_one_line_each(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("ARENA_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    Database.from_settings(settings).migrate()
    runner = CliRunner()
    backup = tmp_path / "cli.backup"

    made = runner.invoke(db_app, ["backup", str(backup)])
    refused = runner.invoke(db_app, ["backup", str(backup)])
    restored = runner.invoke(db_app, ["restore", str(backup)])

    assert made.exit_code == 0 and f"to {backup}" in made.output
    assert isinstance(refused.exception, BackupError)
    tables = len(Base.metadata.tables) + 1  # and alembic_version
    assert restored.exit_code == 0 and f"{tables} tables" in restored.output
