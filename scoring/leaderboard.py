"""Leaderboards as ONE SQL query (window functions; SQLite ≥ 3.30 and PostgreSQL).

Per team: its best eligible scored submission on the board's split by the primary metric
(direction-aware), ties broken by the first secondary metric, then the earliest submission.
Teams are ranked the same way. ``entries`` counts the team's non-failed submissions and
``last_submission_at`` is its newest submission.

Eligible submissions:

* public board: every scored submission of the team;
* private board: the submissions the team chose for the final ranking
  (``Submission.selected``, at most ``limits.final_selection``, see
  :func:`scoring.choose_final_submissions`). A team that chose none is ranked on its best
  ``limits.final_selection`` submissions by public score (same tie-breaks); without that
  limit, on all of its scored submissions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, case, func, or_, select
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


def _ranking(values: list[Any], names: list[str], created: Any, ident: Any) -> list[Any]:
    """ORDER BY terms: primary metric, first secondary metric, then earliest submission."""
    order = [_ordered(value, get_metric(name).higher_is_better) for value, name in zip(values[:2], names[:2])]
    return [*order, created.asc(), ident.asc()]


def _join_scores(query: Any, split: str, names: list[str], tag: str) -> tuple[Any, list[Any]]:
    """Join one Score column per metric of ``split`` (inner for the primary metric, outer for the others)."""
    columns = []
    for position, name in enumerate(names):
        score = aliased(Score, name=f"{tag}_{position}")
        on = and_(score.submission_id == Submission.id, score.split == split, score.metric == name)
        query = query.join(score, on) if position == 0 else query.outerjoin(score, on)
        columns.append(score.value)
    return query, columns


def _scored(challenge: Challenge, board: str, names: list[str]) -> tuple[Any, list[Any]]:
    query = select(Submission).where(
        Submission.challenge_id == challenge.id, Submission.state == SubmissionState.scored
    )
    return _join_scores(query, board, names, board)


def _labelled(values: list[Any]) -> list[Any]:
    return [values[0].label("score"), *(v.label(f"s{i}") for i, v in enumerate(values[1:]))]


def _public_candidates(challenge: Challenge, names: list[str]) -> Any:
    query, values = _scored(challenge, "public", names)
    order = _ranking(values, names, Submission.created_at, Submission.id)
    return query.with_only_columns(
        Submission.id.label("submission_id"),
        Submission.team_id,
        Submission.created_at,
        *_labelled(values),
        func.row_number().over(partition_by=Submission.team_id, order_by=order).label("team_position"),
    ).subquery("candidates")


def _private_candidates(challenge: Challenge, names: list[str]) -> Any:
    query, values = _scored(challenge, "private", names)
    query, public = _join_scores(query, "public", names, "fallback")
    by_team = {"partition_by": Submission.team_id}
    pool = query.with_only_columns(
        Submission.id.label("submission_id"),
        Submission.team_id,
        Submission.created_at,
        Submission.selected,
        *_labelled(values),
        func.row_number()
        .over(**by_team, order_by=_ranking(public, names, Submission.created_at, Submission.id))
        .label("public_position"),
        func.max(case((Submission.selected, 1), else_=0)).over(**by_team).label("has_selection"),
    ).subquery("pool")
    fallback = pool.c.has_selection == 0
    cap = (challenge.spec.get("limits") or {}).get("final_selection")
    if cap is not None:
        fallback = and_(fallback, pool.c.public_position <= cap)
    private = [pool.c.score, *(pool.c[f"s{i}"] for i in range(len(names) - 1))]
    order = _ranking(private, names, pool.c.created_at, pool.c.submission_id)
    return (
        select(
            pool.c.submission_id,
            pool.c.team_id,
            pool.c.created_at,
            *private,
            func.row_number().over(partition_by=pool.c.team_id, order_by=order).label("team_position"),
        )
        .where(or_(pool.c.selected, fallback))
        .subquery("candidates")
    )


def _board_query(challenge: Challenge, board: str) -> Any:
    names = metric_names(challenge.spec)
    candidates = (_private_candidates if board == "private" else _public_candidates)(challenge, names)
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
    values = [candidates.c.score, *(candidates.c[f"s{i}"] for i in range(len(names) - 1))]
    rank = func.row_number().over(order_by=_ranking(values, names, candidates.c.created_at, candidates.c.submission_id))
    return (
        select(rank.label("rank"), Team.name.label("team"), candidates, stats.c.entries, stats.c.last_submission_at)
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
