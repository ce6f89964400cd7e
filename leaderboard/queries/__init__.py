"""Read-only queries of the leaderboard's pages, one SQL query per answer.

Each module answers one page's questions with SQLAlchemy ``select`` on
``arena.models``; ranking and aggregation run in the database, never in Python
loops over ORM rows. Callers check access first (``leaderboard.access``) and pass
the split the viewer may read: a query never widens it. Boards are not ranked here:
they come from the scoring room (``scoring.leaderboard``, ``count_teams``,
``rank_shifts``, ``ranked_teams``), the one ranking with final selection.
"""

from __future__ import annotations

__all__: list[str] = []
