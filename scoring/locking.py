"""Write locks that work the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from arena.db import Database

__all__ = ["begin_write"]


def begin_write(db: Database, session: Session) -> bool:
    """On SQLite, start the session's transaction with ``BEGIN IMMEDIATE`` (takes the write lock now).

    Call first in a fresh session. On PostgreSQL this does nothing and the caller takes
    row locks (``SELECT … FOR UPDATE``) instead.

    Returns:
        Whether the database-wide write lock was taken (SQLite).
    """
    if db.is_sqlite:
        session.execute(text("BEGIN IMMEDIATE"))
        return True
    return False
