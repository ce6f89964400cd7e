"""Leaderboards as ONE SQL query (window functions; SQLite ≥ 3.30 and PostgreSQL).

Per team: its best scored submission on the board's split by the primary metric
(direction-aware), ties broken by the first secondary metric, then the earliest submission.
Teams are ranked the same way. ``entries`` counts the team's non-failed submissions and
``last_submission_at`` is its newest submission.

Private board (for now): each team's best private score among all its scored submissions.
Final-selection rules (``limits.final_selection`` / ``Submission.selected``) come later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from arena.models import Challenge, Score, Submission, SubmissionState, Team
from scoring.compute import metric_names
from scoring.errors import ScoringError
from scoring.metrics import get_metric
from scoring.store import find_challenge

__all__ = ["LeaderboardRow", "leaderboard"]

Board = Literal["public", "private"]


@dataclass(frozen=True)
class LeaderboardRow:
    """One team on a board."""

    rank: int
    team: str
    team_id: int
    submission_id: int
    metric: str
    score: float
    secondary: dict[str, float | None] = field(default_factory=dict)
    entries: int = 0
    last_submission_at: datetime | None = None
    submitted_at: datetime | None = None


def _ordered(column: Any, higher_is_better: bool) -> Any:
    return (column.desc() if higher_is_better else column.asc()).nulls_last()


def _board_query(challenge: Challenge, board: str) -> Any:
    names = metric_names(challenge.spec)
    primary = aliased(Score, name="primary_score")
    joined = select(Submission).join(
        primary,
        and_(primary.submission_id == Submission.id, primary.split == board, primary.metric == names[0]),
    )
    secondary_columns = []
    for position, name in enumerate(names[1:]):
        score = aliased(Score, name=f"secondary_{position}")
        joined = joined.outerjoin(
            score, and_(score.submission_id == Submission.id, score.split == board, score.metric == name)
        )
        secondary_columns.append(score.value.label(f"s{position}"))
    order = [_ordered(primary.value, get_metric(names[0]).higher_is_better)]
    if secondary_columns:
        order.append(_ordered(secondary_columns[0], get_metric(names[1]).higher_is_better))
    order += [Submission.created_at.asc(), Submission.id.asc()]
    candidates = (
        joined.with_only_columns(
            Submission.id.label("submission_id"),
            Submission.team_id,
            Submission.created_at,
            primary.value.label("score"),
            *secondary_columns,
            func.row_number().over(partition_by=Submission.team_id, order_by=order).label("team_position"),
        )
        .where(Submission.challenge_id == challenge.id, Submission.state == SubmissionState.scored)
        .subquery("candidates")
    )
    stats = (
        select(
            Submission.team_id,
            func.count(Submission.id).label("entries"),
            func.max(Submission.created_at).label("last_submission_at"),
        )
        .where(Submission.challenge_id == challenge.id, Submission.state != SubmissionState.failed)
        .group_by(Submission.team_id)
        .subquery("stats")
    )
    best_order = [_ordered(candidates.c.score, get_metric(names[0]).higher_is_better)]
    if secondary_columns:
        best_order.append(_ordered(candidates.c.s0, get_metric(names[1]).higher_is_better))
    best_order += [candidates.c.created_at.asc(), candidates.c.submission_id.asc()]
    rank = func.row_number().over(order_by=best_order).label("rank")
    return (
        select(
            rank,
            Team.name.label("team"),
            candidates,
            stats.c.entries,
            stats.c.last_submission_at,
        )
        .join(Team, Team.id == candidates.c.team_id)
        .join(stats, stats.c.team_id == candidates.c.team_id)
        .where(candidates.c.team_position == 1)
        .order_by(rank)
    )


def leaderboard(session: Session, slug: str, board: Board = "public") -> list[LeaderboardRow]:
    """The ranked board of a challenge.

    Args:
        session: An open database session.
        slug: Challenge slug.
        board: ``public`` or ``private`` (the split scored).

    Returns:
        Rows ordered by rank (1 = best).

    Raises:
        NotFoundError: unknown challenge.
        ScoringError: unknown board.
    """
    if board not in ("public", "private"):
        raise ScoringError(f"board {board!r} is unknown; use 'public' or 'private'")
    challenge = find_challenge(session, slug)
    names = metric_names(challenge.spec)
    rows = session.execute(_board_query(challenge, board)).mappings().all()
    return [
        LeaderboardRow(
            rank=row["rank"],
            team=row["team"],
            team_id=row["team_id"],
            submission_id=row["submission_id"],
            metric=names[0],
            score=row["score"],
            secondary={name: row[f"s{i}"] for i, name in enumerate(names[1:])},
            entries=row["entries"],
            last_submission_at=row["last_submission_at"],
            submitted_at=row["created_at"],
        )
        for row in rows
    ]
