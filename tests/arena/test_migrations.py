"""The Alembic migrations build exactly the schema of ``arena.models``, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from arena.db import Database
from arena.health import schema_revision
from arena.models import Base


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []
    assert schema_revision(db).migrated


def test_review_scores_table_has_its_unique_key_and_foreign_keys(db: Database) -> None:
    inspector = inspect(db.engine)

    uniques = [sorted(u["column_names"]) for u in inspector.get_unique_constraints("review_scores")]
    keys = inspector.get_foreign_keys("review_scores")
    targets = {key["referred_table"]: key["options"].get("ondelete") for key in keys}

    assert ["judge_id", "rubric", "submission_id"] in uniques
    assert targets == {"submissions": "CASCADE", "users": "CASCADE"}
