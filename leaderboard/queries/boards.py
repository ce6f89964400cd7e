"""A board one page at a time: ranked in the database, filtered by team, limited to the page.

Ranking follows ``scoring.leaderboard`` exactly (each team's best scored submission
on the split by the primary metric, direction-aware, ties by the first secondary
metric then the earliest submission); the tests check both agree. Ranks are global:
filtering by team keeps each team's rank on the whole board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session, aliased

from arena.models import Score, Submission, SubmissionState, Team
from leaderboard.catalog import ChallengeInfo
from leaderboard.queries.common import challenge_id, ordered

__all__ = ["PagedRow", "board_page", "board_size", "ranked_teams"]


@dataclass(frozen=True)
class PagedRow:
    """One team on a page of a board (``public_rank`` only when compared with the public board)."""

    rank: int
    team: str
    team_id: int
    score: float
    secondary: dict[str, float | None] = field(default_factory=dict)
    entries: int = 0
    last_submission_at: datetime | None = None
    public_rank: int | None = None


def ranked_teams(challenge: ChallengeInfo, split: str, name: str) -> Any:
    """Subquery: each team's best submission on ``split`` with its global rank."""
    primary = aliased(Score, name=f"{name}_primary")
    joined = select(Submission).join(
        primary,
        and_(
            primary.submission_id == Submission.id,
            primary.split == split,
            primary.metric == challenge.primary_metric,
        ),
    )
    secondary = []
    for position, metric in enumerate(challenge.secondary_metrics):
        score = aliased(Score, name=f"{name}_secondary_{position}")
        joined = joined.outerjoin(
            score, and_(score.submission_id == Submission.id, score.split == split, score.metric == metric)
        )
        secondary.append(score.value.label(f"s{position}"))
    order = [ordered(primary.value, challenge.primary_metric)]
    if secondary:
        order.append(ordered(secondary[0], challenge.secondary_metrics[0]))
    candidates = (
        joined.with_only_columns(
            Submission.id.label("submission_id"),
            Submission.team_id,
            Submission.created_at,
            primary.value.label("score"),
            *secondary,
            func.row_number()
            .over(partition_by=Submission.team_id, order_by=[*order, Submission.created_at, Submission.id])
            .label("team_position"),
        )
        .where(Submission.challenge_id == challenge_id(challenge.slug), Submission.state == SubmissionState.scored)
        .subquery(f"{name}_candidates")
    )
    best = [ordered(candidates.c.score, challenge.primary_metric)]
    if secondary:
        best.append(ordered(candidates.c.s0, challenge.secondary_metrics[0]))
    best += [candidates.c.created_at, candidates.c.submission_id]
    return (
        select(candidates, func.row_number().over(order_by=best).label("rank"))
        .where(candidates.c.team_position == 1)
        .subquery(name)
    )


def _stats(challenge: ChallengeInfo) -> Any:
    """Subquery: per team, its non-failed entries and newest submission."""
    return (
        select(
            Submission.team_id,
            func.count(Submission.id).label("entries"),
            func.max(Submission.created_at).label("last_submission_at"),
        )
        .where(Submission.challenge_id == challenge_id(challenge.slug), Submission.state != SubmissionState.failed)
        .group_by(Submission.team_id)
        .subquery("stats")
    )


def _team_matches(team_filter: str | None) -> Any:
    needle = (team_filter or "").strip().lower()
    return func.lower(Team.name).contains(needle, autoescape=True) if needle else true()


def board_size(session: Session, challenge: ChallengeInfo, split: str, team_filter: str | None = None) -> int:
    """How many teams are on the ``split`` board of ``challenge`` (matching ``team_filter``).

    Args:
        session: A (read-only) session.
        challenge: The challenge.
        split: ``"public"`` or ``"private"``; the caller has checked the viewer may see it.
        team_filter: Case-insensitive part of a team name, or None for every team.
    """
    ranked = ranked_teams(challenge, split, "board")
    query = (
        select(func.count())
        .select_from(ranked)
        .join(Team, Team.id == ranked.c.team_id)
        .where(_team_matches(team_filter))
    )
    return int(session.scalar(query) or 0)


def board_page(
    session: Session,
    challenge: ChallengeInfo,
    split: str,
    *,
    page: int = 1,
    page_size: int | None = 50,
    team_filter: str | None = None,
    compare_public: bool = False,
) -> list[PagedRow]:
    """One page of the ``split`` board of ``challenge``, best first.

    Args:
        session: A (read-only) session.
        challenge: The challenge.
        split: ``"public"`` or ``"private"``; the caller has checked the viewer may see it.
        page: 1-based page number.
        page_size: Teams per page, or None for the whole board (CSV download).
        team_filter: Case-insensitive part of a team name, or None for every team.
        compare_public: Also give each team's rank on the public board (``public_rank``).
    """
    ranked = ranked_teams(challenge, split, "board")
    stats = _stats(challenge)
    query = (
        select(ranked, Team.name.label("team"), stats.c.entries, stats.c.last_submission_at)
        .join(Team, Team.id == ranked.c.team_id)
        .join(stats, stats.c.team_id == ranked.c.team_id)
        .where(_team_matches(team_filter))
        .order_by(ranked.c.rank)
    )
    if compare_public:
        public = ranked_teams(challenge, "public", "public_board")
        query = query.outerjoin(public, public.c.team_id == ranked.c.team_id).add_columns(
            public.c.rank.label("public_rank")
        )
    if page_size is not None:
        query = query.limit(page_size).offset((max(page, 1) - 1) * page_size)
    return [
        PagedRow(
            rank=row["rank"],
            team=row["team"],
            team_id=row["team_id"],
            score=row["score"],
            secondary={name: row[f"s{i}"] for i, name in enumerate(challenge.secondary_metrics)},
            entries=row["entries"],
            last_submission_at=row["last_submission_at"],
            public_rank=row.get("public_rank"),
        )
        for row in session.execute(query).mappings()
    ]
