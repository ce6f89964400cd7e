"""The final ranking of a challenge as a table and as CSV (``arena challenge export``).

The ranking itself is the scoring room's leaderboard query; it is passed in (``ranking``) so this
room does not import ``scoring``, which imports ``challenges``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.db import Database, audit
from arena.errors import NotFoundError
from arena.models import Challenge, ChallengeState, TeamMember, User
from challenges.errors import ChallengeError

__all__ = ["BOARDS", "RankedTeam", "RankingQuery", "export_ranking", "ranking_csv", "ranking_table", "team_members"]

BOARDS = ("public", "private")
MEMBER_SEPARATOR = ";"


class RankedTeam(Protocol):
    """One team on a board, as the scoring room's ``leaderboard`` returns it."""

    rank: int
    team: str
    team_id: int
    score: float
    secondary: Mapping[str, float | None]
    entries: int
    last_submission_at: datetime | None


RankingQuery = Callable[[Session, str, str], Sequence[RankedTeam]]
"""``(session, slug, board) → ranked teams`` (``scoring.leaderboard``)."""


def team_members(session: Session, challenge_id: int) -> dict[int, list[str]]:
    """User names of each team of a challenge, sorted, by team id."""
    query = (
        select(TeamMember.team_id, User.name)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.challenge_id == challenge_id)
        .order_by(User.name)
    )
    members: dict[int, list[str]] = {}
    for team_id, name in session.execute(query):
        members.setdefault(team_id, []).append(name)
    return members


def ranking_table(
    rows: Sequence[RankedTeam], members: Mapping[int, Sequence[str]], metrics: Sequence[str]
) -> pd.DataFrame:
    """Lay ranked teams out as the export table.

    Args:
        rows: Ranked teams, best first.
        members: User names by team id.
        metrics: Primary then secondary metric names (the score column names).

    Returns:
        Columns rank, team, members (``;``-separated), one column per metric, entries,
        last_submission (ISO 8601 UTC); one row per team.
    """
    primary, *secondary = metrics
    columns = ["rank", "team", "members", *metrics, "entries", "last_submission"]
    records = [
        {
            "rank": row.rank,
            "team": row.team,
            "members": MEMBER_SEPARATOR.join(members.get(row.team_id, [])),
            primary: row.score,
            **{name: row.secondary.get(name) for name in secondary},
            "entries": row.entries,
            "last_submission": None if row.last_submission_at is None else row.last_submission_at.isoformat(),
        }
        for row in rows
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def ranking_csv(table: pd.DataFrame) -> str:
    """The export table as CSV text (header line first, ``\\n`` line ends, full float precision)."""
    return table.to_csv(index=False, lineterminator="\n")


def _exportable(session: Session, slug: str, board: str) -> Challenge:
    if board not in BOARDS:
        raise ChallengeError(f"board {board!r} is unknown; use {' or '.join(BOARDS)}")
    challenge = session.scalar(select(Challenge).where(Challenge.slug == slug))
    if challenge is None:
        raise NotFoundError(f"challenge {slug!r} does not exist")
    if board == "private" and challenge.state != ChallengeState.closed:
        raise ChallengeError(
            f"challenge {slug!r} is {challenge.state.value}, not closed: its private ranking is final only once "
            f"it is closed (arena challenge close {slug}); export the public board with --board public"
        )
    return challenge


def export_ranking(db: Database, slug: str, board: str, ranking: RankingQuery, actor: str) -> pd.DataFrame:
    """The ranking of a challenge on a board, for export; the export is audited.

    Args:
        db: The platform database.
        slug: Challenge slug.
        board: ``private`` (the final ranking; only once the challenge is closed) or ``public``.
        ranking: The ranking query, ``scoring.leaderboard``.
        actor: Who exports (audit log).

    Returns:
        The table of :func:`ranking_table`.

    Raises:
        NotFoundError: no challenge has this slug.
        ChallengeError: unknown board, or the private board of a challenge that is not closed.
    """
    with db.session() as session:
        challenge = _exportable(session, slug, board)
        rows = ranking(session, slug, board)
        metric = challenge.spec["metric"]
        table = ranking_table(rows, team_members(session, challenge.id), [metric["primary"], *metric["secondary"]])
        audit(session, actor, "challenge.export", slug, board=board, teams=len(table), version=challenge.version)
    return table
