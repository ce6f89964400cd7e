"""Waiting for submissions to be scored, for the reliability and load tests (one copy for both).

Importable as ``submission_states``: ``tests/`` is on ``sys.path`` because ``tests/conftest.py`` is
the rootdir conftest.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from arena.db import Database
from arena.models import Submission

__all__ = ["wait_until_scored"]


def wait_until_scored(db: Database, ids: set[int], timeout: float = 180) -> dict[int, str]:
    """Poll until every submission of ``ids`` is scored or failed (or the time is up); their states."""
    deadline = time.monotonic() + timeout
    query = select(Submission.id, Submission.state).where(Submission.id.in_(ids))
    while True:
        with db.session() as session:
            states = {sid: state.value for sid, state in session.execute(query)}
        finished = len(states) == len(ids) and all(state in ("scored", "failed") for state in states.values())
        if finished or time.monotonic() > deadline:
            return states
        time.sleep(0.2)
