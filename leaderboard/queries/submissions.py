"""Submissions as tables: a team's own list, a challenge's recent list, one submission in detail.

Scores come only from the splits the caller passes (checked against the viewer's
role and the challenge's state beforehand): a competitor's query before close never
names the private split, so private values are never read for them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from arena.models import Score, Submission, Team, TeamMember, User
from leaderboard.catalog import ChallengeInfo
from leaderboard.queries.common import challenge_id, frame_of

__all__ = [
    "SUBMISSION_COLUMNS",
    "count_submissions",
    "find_team",
    "recent_submissions",
    "submission_detail",
    "team_members",
    "team_submissions",
]

SUBMISSION_COLUMNS = ["id", "team_id", "team", "user", "filename", "size_bytes", "file_digest", "description",
                      "state", "error", "attempts", "created_at", "scored_at", "selected"]  # fmt: skip


def team_members(session: Session, team_id: int) -> list[str]:
    """The user names of team ``team_id``'s members, sorted."""
    query = select(User.name).join(TeamMember, TeamMember.user_id == User.id).where(TeamMember.team_id == team_id)
    return sorted(session.scalars(query))


def find_team(session: Session, challenge: ChallengeInfo, user_name: str) -> tuple[int, str] | None:
    """The id and name of ``user_name``'s team in ``challenge``, or None when they have none."""
    query = (
        select(Team.id, Team.name)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(User, User.id == TeamMember.user_id)
        .where(User.name == user_name, Team.challenge_id == challenge_id(challenge.slug))
    )
    row = session.execute(query).first()
    return None if row is None else (row.id, row.name)


def _with_scores(query: Any, challenge: ChallengeInfo, splits: list[str]) -> Any:
    """``query`` on Submission with one column ``"<split> <metric>"`` per split and metric."""
    for split in splits:
        for metric in [challenge.primary_metric, *challenge.secondary_metrics]:
            score = aliased(Score)
            query = query.outerjoin(
                score, and_(score.submission_id == Submission.id, score.split == split, score.metric == metric)
            ).add_columns(score.value.label(f"{split} {metric}"))
    return query


def _submissions(challenge: ChallengeInfo) -> Any:
    return (
        select(
            Submission.id,
            Submission.team_id,
            Team.name.label("team"),
            User.name.label("user"),
            *(getattr(Submission, column) for column in SUBMISSION_COLUMNS[4:]),
        )
        .join(Team, Team.id == Submission.team_id)
        .join(User, User.id == Submission.user_id)
        .where(Submission.challenge_id == challenge_id(challenge.slug))
    )


def team_submissions(session: Session, challenge: ChallengeInfo, team_id: int, splits: list[str]) -> pd.DataFrame:
    """Every submission of team ``team_id`` in ``challenge``, newest first, with scores on ``splits``.

    Args:
        session: A (read-only) session.
        challenge: The challenge.
        team_id: The team (from :func:`find_team`).
        splits: The splits the viewer may see (``["public"]`` for a competitor before close).
    """
    query = _with_scores(_submissions(challenge).where(Submission.team_id == team_id), challenge, splits)
    return frame_of(session, query.order_by(Submission.created_at.desc(), Submission.id.desc()))


def recent_submissions(session: Session, challenge: ChallengeInfo, limit: int = 200, offset: int = 0) -> pd.DataFrame:
    """The ``limit`` newest submissions of ``challenge`` after the ``offset`` newest (no scores), newest first."""
    newest_first = _submissions(challenge).order_by(Submission.created_at.desc(), Submission.id.desc())
    return frame_of(session, newest_first.limit(limit).offset(offset))


def count_submissions(session: Session, challenge: ChallengeInfo) -> int:
    """How many submissions ``challenge`` has received (every state)."""
    query = select(func.count(Submission.id)).where(Submission.challenge_id == challenge_id(challenge.slug))
    return int(session.scalar(query) or 0)


def submission_detail(
    session: Session, challenge: ChallengeInfo, submission_id: int, splits: list[str]
) -> dict[str, Any] | None:
    """Submission ``submission_id`` of ``challenge`` with its scores on ``splits``, or None when absent."""
    query = _with_scores(_submissions(challenge).where(Submission.id == submission_id), challenge, splits)
    row = session.execute(query).mappings().first()
    return None if row is None else dict(row)
