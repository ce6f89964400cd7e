"""Write locks that work the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from arena.db import Database

__all__ = ["CLAIM_LOCK_KEY", "begin_write", "serialise_claims"]

CLAIM_LOCK_KEY = 0x41524E41
"""PostgreSQL advisory lock taken by every queue claim (``ARNA``)."""


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


def serialise_claims(db: Database, session: Session) -> None:
    """Make queue claims take turns, so that a claim sees every claim committed before it.

    A claim's "does this team already run code?" test reads other rows: two concurrent claims
    under PostgreSQL's READ COMMITTED would each miss the other's. On PostgreSQL this takes a
    transaction-level advisory lock (claims are one short statement); on SQLite the claim's
    single UPDATE already runs under the database's write lock.
    """
    if not db.is_sqlite:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
