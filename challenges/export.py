"""The final ranking of a challenge as a table and as CSV (``arena challenge export``).

The ranking itself is the scoring room's leaderboard query; it is passed in (``ranking``) so this
room does not import ``scoring``, which imports ``challenges``. When judges have reviewed the
challenge's submissions, the table also carries each team's mean rubric score per criterion
(``review_<criterion>``: the mean over every judge's score on any of the team's submissions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.db import Database, audit
from arena.errors import NotFoundError
from arena.models import Challenge, ChallengeState, ReviewScore, Submission, TeamMember, User
from challenges.errors import ChallengeError
from challenges.spec import rubric_of

__all__ = [
    "BOARDS",
    "REVIEW_PREFIX",
    "RankedTeam",
    "RankingQuery",
    "export_ranking",
    "ranking_csv",
    "ranking_table",
    "team_members",
    "team_review_means",
    "with_review_means",
]

BOARDS = ("public", "private")
MEMBER_SEPARATOR = ";"
REVIEW_PREFIX = "review_"


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


def team_review_means(session: Session, slug: str) -> dict[int, dict[str, float]]:
    """Mean rubric score of each team of challenge ``slug``, per criterion, by team id (one SQL query).

    The mean is over every judge's score on any of the team's submissions; a team nobody
    reviewed is absent.
    """
    query = (
        select(Submission.team_id, ReviewScore.rubric, func.avg(ReviewScore.score))
        .join(Submission, Submission.id == ReviewScore.submission_id)
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .where(Challenge.slug == slug)
        .group_by(Submission.team_id, ReviewScore.rubric)
    )
    means: dict[int, dict[str, float]] = {}
    for team_id, rubric, mean in session.execute(query):
        means.setdefault(team_id, {})[rubric] = float(mean)
    return means


def with_review_means(
    table: pd.DataFrame, team_ids: Sequence[int], means: Mapping[int, Mapping[str, float]], criteria: Sequence[str]
) -> pd.DataFrame:
    """``table`` (one row per team, in ``team_ids`` order) with a ``review_<criterion>`` column per criterion.

    Args:
        table: A ranking table.
        team_ids: The team id of each row.
        means: :func:`team_review_means` of the challenge.
        criteria: The names of the challenge's rubric criteria, in column order (criteria reviewed but
            no longer in the rubric come last).

    Returns:
        ``table`` unchanged when nobody was reviewed, else a copy with the columns added (empty for
        teams nobody reviewed).
    """
    if not means:
        return table
    reviewed = {rubric for by_team in means.values() for rubric in by_team}
    names = [name for name in criteria if name in reviewed]
    names += sorted(reviewed - set(names))
    extended = table.copy()
    for name in names:
        extended[REVIEW_PREFIX + name] = [means.get(team_id, {}).get(name) for team_id in team_ids]
    return extended


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
        The table of :func:`ranking_table`, with the teams' mean rubric scores when judges reviewed
        (:func:`with_review_means`).

    Raises:
        NotFoundError: no challenge has this slug.
        ChallengeError: unknown board, or the private board of a challenge that is not closed.
    """
    with db.session() as session:
        challenge = _exportable(session, slug, board)
        rows = ranking(session, slug, board)
        metric = challenge.spec["metric"]
        table = ranking_table(rows, team_members(session, challenge.id), [metric["primary"], *metric["secondary"]])
        reviews = team_review_means(session, slug)
        criteria = [criterion.name for criterion in rubric_of(challenge.spec)]
        table = with_review_means(table, [row.team_id for row in rows], reviews, criteria)
        audit(session, actor, "challenge.export", slug, board=board, teams=len(table), version=challenge.version)
    return table
