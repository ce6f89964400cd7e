"""Back up and restore the platform database: ``pg_dump``/``pg_restore`` on PostgreSQL, SQLite's online backup API.

A PostgreSQL backup is a ``pg_dump`` custom-format archive; when the database URL pins a schema
(``options=-csearch_path=<schema>``), only that schema is dumped and restored. A SQLite backup is a
self-contained database file made with the online backup API (consistent even while the platform
writes to its WAL database). Restoring refuses a target that holds rows unless ``force`` is given.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url

from arena.errors import ArenaError

__all__ = ["BackupError", "DatabaseTarget", "backup_database", "restore_database", "table_rows"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"
_SEARCH_PATH = re.compile(r"search_path\s*=\s*([^\s,&]+)")
_ALEMBIC = "alembic_version"
# A table entry of ``pg_restore --list``: "<id>; <tableoid> <oid> TABLE <schema> <name> <owner>".
_TOC_TABLE = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s")


class BackupError(ArenaError):
    """A backup or restore cannot be done (tool missing, wrong file, non-empty target, tool failure)."""


@dataclass(frozen=True)
class DatabaseTarget:
    """A database URL seen the way the backup tools need it."""

    url: URL

    @classmethod
    def parse(cls, url: str) -> DatabaseTarget:
        """Parse a SQLAlchemy URL (``sqlite:///…`` or ``postgresql+<driver>://…``)."""
        parsed = make_url(url)
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise BackupError(f"cannot back up a {parsed.get_backend_name()!r} database: only SQLite and PostgreSQL")
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            raise BackupError("an in-memory SQLite database cannot be backed up or restored")
        return cls(parsed)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is a SQLite file."""
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        """The SQLite database file."""
        return Path(str(self.url.database))

    @property
    def schema(self) -> str | None:
        """The schema pinned by ``options=-csearch_path=<schema>`` (PostgreSQL), else None."""
        options = self.url.query.get("options")
        found = _SEARCH_PATH.search(" ".join(options) if isinstance(options, tuple) else options or "")
        return found.group(1).strip('"') if found else None

    @property
    def libpq_url(self) -> str:
        """The URL for libpq tools: dialect prefix stripped, password left out (given as PGPASSWORD)."""
        return self.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)

    @property
    def shown(self) -> str:
        """The URL without its password, for messages."""
        return self.url.render_as_string(hide_password=True)


def table_rows(url: str) -> dict[str, int]:
    """Rows of every table of a database (its pinned schema on PostgreSQL), ``alembic_version`` included.

    Args:
        url: SQLAlchemy URL of the database.

    Returns:
        Table name -> row count (empty for an empty database).
    """
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {name: connection.scalar(select(func.count()).select_from(table(name))) or 0 for name in names}
    finally:
        engine.dispose()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client (apt-get install postgresql-client-15)"
        )
    return found


def _run(target: DatabaseTarget, command: list[str]) -> str:
    env = {**os.environ, **({"PGPASSWORD": str(target.url.password)} if target.url.password else {})}
    result = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().replace(str(target.url.password or "\0"), "***")
        raise BackupError(f"{Path(command[0]).name} failed on {target.shown}: {detail}")
    return result.stdout


def _pg_schema_args(target: DatabaseTarget) -> list[str]:
    return [f"--schema={target.schema}"] if target.schema else []


def _backup_postgres(target: DatabaseTarget, out: Path) -> None:
    _run(
        target,
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            *_pg_schema_args(target),
            f"--file={out}",
            f"--dbname={target.libpq_url}",
        ],
    )


def _archive_schemas(target: DatabaseTarget, archive: Path) -> set[str]:
    listing = _run(target, [_tool("pg_restore"), "--list", str(archive)])
    return {found.group(1) for found in map(_TOC_TABLE.match, listing.splitlines()) if found}


def _restore_postgres(target: DatabaseTarget, archive: Path) -> None:
    schemas = _archive_schemas(target, archive)
    if target.schema and schemas - {target.schema}:
        raise BackupError(
            f"backup {archive} holds schema(s) {', '.join(sorted(schemas))}, but the database URL pins schema "
            f"{target.schema!r}: restore into a URL with options=-csearch_path={' '.join(sorted(schemas))}"
        )
    _run(
        target,
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *_pg_schema_args(target),
            f"--dbname={target.libpq_url}",
            str(archive),
        ],
    )


def _sqlite_copy(source: Path, destination: Path) -> None:
    """Copy one SQLite database onto another through the online backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _backup_sqlite(target: DatabaseTarget, out: Path) -> None:
    if not target.sqlite_path.is_file():
        raise BackupError(f"SQLite database {target.sqlite_path} does not exist")
    _sqlite_copy(target.sqlite_path, out)
    with sqlite3.connect(out) as copy:  # a backup is one self-contained file, not a WAL database
        copy.execute("PRAGMA journal_mode=DELETE")
    copy.close()


def backup_database(url: str, out: Path, *, force: bool = False) -> dict[str, int]:
    """Write a backup of the database at ``url`` to the file ``out``.

    Args:
        url: SQLAlchemy URL of the database.
        out: Backup file to write (written beside, then renamed into place).
        force: Overwrite ``out`` if it exists.

    Returns:
        Rows per table at the time of the backup.

    Raises:
        BackupError: ``out`` exists (without ``force``), the database is missing, or the tool failed.
    """
    target = DatabaseTarget.parse(url)
    if out.exists() and not force:
        raise BackupError(f"{out} already exists: choose another file or pass --force to overwrite it")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        (_backup_sqlite if target.is_sqlite else _backup_postgres)(target, partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return table_rows(url)


def _check_backup_kind(target: DatabaseTarget, archive: Path) -> None:
    if not archive.is_file():
        raise BackupError(f"backup file {archive} does not exist")
    with archive.open("rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    expected, kind = (_SQLITE_MAGIC, "SQLite") if target.is_sqlite else (_PGDUMP_MAGIC, "pg_dump custom-format")
    if not head.startswith(expected):
        raise BackupError(f"{archive} is not a {kind} backup, which a {target.url.get_backend_name()} database needs")


def restore_database(url: str, archive: Path, *, force: bool = False) -> dict[str, int]:
    """Restore the backup ``archive`` into the database at ``url``.

    Args:
        url: SQLAlchemy URL of the target database (on PostgreSQL, the schema it pins must be the one backed up).
        archive: A file written by :func:`backup_database`.
        force: Overwrite a target whose tables hold rows.

    Returns:
        Rows per table after the restore.

    Raises:
        BackupError: the file is missing or of the other database kind, the target holds rows (without
            ``force``), or the tool failed (PostgreSQL restores in one transaction: nothing changes then).
    """
    target = DatabaseTarget.parse(url)
    _check_backup_kind(target, archive)
    if not target.is_sqlite or target.sqlite_path.exists():
        filled = {name: rows for name, rows in table_rows(url).items() if rows and name != _ALEMBIC}
        if filled and not force:
            summary = ", ".join(f"{name}: {rows}" for name, rows in sorted(filled.items()))
            raise BackupError(f"database {target.shown} is not empty ({summary} rows): pass --force to overwrite it")
    if target.is_sqlite:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(archive, target.sqlite_path)
    else:
        _restore_postgres(target, archive)
    return table_rows(url)
