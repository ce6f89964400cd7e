"""The platform database, opened read-only: the leaderboard never writes.

Every connection of the app's engine is made read-only as it is opened
(SQLite ``PRAGMA query_only``, PostgreSQL read-only transactions), so a bug in a
page cannot change the platform's data.
"""

from __future__ import annotations

from threading import Lock
from typing import Any

from sqlalchemy import event

from arena.db import Database

__all__ = ["close_databases", "read_only_database"]


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _postgres_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    dbapi_connection.commit()


_OPEN: dict[str, Database] = {}
_LOCK = Lock()


def read_only_database(url: str) -> Database:
    """The database at ``url`` with read-only connections (one engine per URL and process).

    Args:
        url: SQLAlchemy URL, usually ``settings.db_url``.
    """
    with _LOCK:
        database = _OPEN.get(url)
        if database is None:
            database = Database(url)
            listener = _sqlite_read_only if database.is_sqlite else _postgres_read_only
            event.listen(database.engine, "connect", listener)
            _OPEN[url] = database
        return database


def close_databases() -> None:
    """Dispose every engine opened by :func:`read_only_database` (tests, shutdown)."""
    with _LOCK:
        while _OPEN:
            _OPEN.popitem()[1].dispose()
