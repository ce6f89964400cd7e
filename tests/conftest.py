"""Shared fixtures: isolated settings and a real database (SQLite, and PostgreSQL when configured).

``ARENA_TEST_POSTGRES_URL`` (set by ``make test`` when 127.0.0.1:5432 answers) makes every
test that uses ``db`` run a second time on PostgreSQL, each test in a schema of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from arena.db import Database
from arena.settings import Settings

POSTGRES_URL = os.environ.get("ARENA_TEST_POSTGRES_URL")
DB_KINDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose every store lives under a fresh temporary data dir (SQLite database)."""
    return Settings(data_dir=tmp_path / "var", _env_file=None)


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'arena-test.db'}"
        return
    assert POSTGRES_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database (parametrised over SQLite and PostgreSQL)."""
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def db_settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings under a fresh data dir pointing at the parametrised database."""
    return Settings(data_dir=tmp_path / "var", database_url=db_url, _env_file=None)
