"""Leaderboards as ONE SQL query (window functions; SQLite ≥ 3.30 and PostgreSQL).

Per team: its best eligible scored submission on the board's split by the primary metric
(direction-aware), ties broken by the first secondary metric, then the earliest submission.
Teams are ranked the same way. ``entries`` counts the team's non-failed submissions and
``last_submission_at`` is its newest submission. A board can be read one page at a time and
filtered by team name; the filter applies after ranking, so rows keep their rank on the whole
board. :func:`rank_shifts`, :func:`count_teams` and :func:`ranked_teams` reuse the same ranking.

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

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from arena.models import Challenge, Score, Submission, SubmissionState, Team
from scoring.compute import metric_names
from scoring.errors import ScoringError
from scoring.metrics import get_metric
from scoring.store import find_challenge

__all__ = ["LeaderboardRow", "count_teams", "leaderboard", "rank_shifts", "ranked_teams"]

Board = Literal["public", "private"]


@dataclass(frozen=True)
class LeaderboardRow:
    """One team on a board (``public_rank`` only from :func:`rank_shifts`)."""

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
    public_rank: int | None = None


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


def _scored(challenge: Challenge, board: str, names: list[str], name: str) -> tuple[Any, list[Any]]:
    query = select(Submission).where(
        Submission.challenge_id == challenge.id, Submission.state == SubmissionState.scored
    )
    return _join_scores(query, board, names, f"{name}_{board}")


def _labelled(values: list[Any]) -> list[Any]:
    return [values[0].label("score"), *(v.label(f"s{i}") for i, v in enumerate(values[1:]))]


def _best_primary(challenge: Challenge, names: list[str], name: str) -> Any:
    """Subquery: each team's best primary public score (one GROUP BY, cheaper than a window over every row)."""
    query, values = _scored(challenge, "public", names[:1], f"{name}_best")
    best = func.max if get_metric(names[0]).higher_is_better else func.min
    return (
        query.with_only_columns(Submission.team_id, best(values[0]).label("best"))
        .group_by(Submission.team_id)
        .subquery(f"{name}_best")
    )


def _public_candidates(challenge: Challenge, names: list[str], name: str) -> Any:
    query, values = _scored(challenge, "public", names, name)
    best = _best_primary(challenge, names, name)
    # Only the submissions reaching their team's best primary score can be its best: rank those alone.
    query = query.join(best, and_(best.c.team_id == Submission.team_id, best.c.best == values[0]))
    order = _ranking(values, names, Submission.created_at, Submission.id)
    return query.with_only_columns(
        Submission.id.label("submission_id"),
        Submission.team_id,
        Submission.created_at,
        *_labelled(values),
        func.row_number().over(partition_by=Submission.team_id, order_by=order).label("team_position"),
    ).subquery(f"{name}_candidates")


def _private_candidates(challenge: Challenge, names: list[str], name: str) -> Any:
    query, values = _scored(challenge, "private", names, name)
    query, public = _join_scores(query, "public", names, f"{name}_fallback")
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
    ).subquery(f"{name}_pool")
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
        .subquery(f"{name}_candidates")
    )


def _ranked(challenge: Challenge, board: str, names: list[str], name: str) -> Any:
    """Subquery ``name``: each team's best eligible submission on ``board`` with its global ``rank``."""
    candidates = (_private_candidates if board == "private" else _public_candidates)(challenge, names, name)
    values = [candidates.c.score, *(candidates.c[f"s{i}"] for i in range(len(names) - 1))]
    rank = func.row_number().over(order_by=_ranking(values, names, candidates.c.created_at, candidates.c.submission_id))
    return (
        select(
            candidates.c.submission_id,
            candidates.c.team_id,
            candidates.c.created_at,
            *values,
            rank.label("rank"),
        )
        .where(candidates.c.team_position == 1)
        .subquery(name)
    )


def _team_stats(challenge: Challenge, team_id: Any) -> list[Any]:
    """Correlated columns ``entries`` (non-failed submissions) and ``last_submission_at`` of team ``team_id``.

    Per ranked team they are index lookups, cheaper than joining a grouped subquery of every submission.
    """
    mine = and_(
        Submission.challenge_id == challenge.id,
        Submission.team_id == team_id,
        Submission.state != SubmissionState.failed,
    )
    return [
        select(func.count(Submission.id)).where(mine).scalar_subquery().label("entries"),
        select(func.max(Submission.created_at)).where(mine).scalar_subquery().label("last_submission_at"),
    ]


def _team_matches(team_filter: str | None) -> Any:
    """Case-insensitive substring match on the team name (LIKE wildcards matched literally)."""
    needle = (team_filter or "").strip().lower()
    return func.lower(Team.name).contains(needle, autoescape=True) if needle else true()


def _paged(query: Any, page: int | None, page_size: int | None) -> Any:
    if page_size is None:
        if page not in (None, 1):
            raise ScoringError(f"page {page} asked without a page_size; give page_size or leave page out")
        return query
    if page_size < 1 or (page is not None and page < 1):
        raise ScoringError(f"page {page} of size {page_size} is invalid; both must be at least 1")
    return query.limit(page_size).offset(((page or 1) - 1) * page_size)


def _board_query(challenge: Challenge, board: str, team_filter: str | None, compare_public: bool) -> Any:
    """The ranked board joined with team names and entry counts, filtered by team AFTER ranking."""
    names = metric_names(challenge.spec)
    ranked = _ranked(challenge, board, names, "ranked")
    query = (
        select(ranked, Team.name.label("team"), *_team_stats(challenge, ranked.c.team_id))
        .join(Team, Team.id == ranked.c.team_id)
        .where(_team_matches(team_filter))
        .order_by(ranked.c.rank)
    )
    if compare_public:
        public = _ranked(challenge, "public", names, "public_ranked")
        query = query.outerjoin(public, public.c.team_id == ranked.c.team_id).add_columns(
            public.c.rank.label("public_rank")
        )
    return query


def _challenge(session: Session, slug: str, board: str) -> Challenge:
    if board not in ("public", "private"):
        raise ScoringError(f"board {board!r} is unknown; use 'public' or 'private'")
    return find_challenge(session, slug)


def _rows(session: Session, challenge: Challenge, query: Any) -> list[LeaderboardRow]:
    names = metric_names(challenge.spec)
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
            public_rank=row.get("public_rank"),
        )
        for row in session.execute(query).mappings()
    ]


def leaderboard(
    session: Session,
    slug: str,
    board: Board = "public",
    *,
    page: int | None = None,
    page_size: int | None = None,
    team_filter: str | None = None,
) -> list[LeaderboardRow]:
    """The ranked board of a challenge, whole or one page of it (one SQL query).

    Args:
        session: An open database session.
        slug: Challenge slug.
        board: ``public`` or ``private`` (the split scored; the private board honours final selection).
        page: 1-based page number (needs ``page_size``; default the first page).
        page_size: Teams per page, or None for the whole board.
        team_filter: Case-insensitive part of a team name, or None for every team. Applied after
            ranking: each row keeps its rank on the whole board.

    Returns:
        Rows ordered by rank (1 = best).

    Raises:
        NotFoundError: unknown challenge.
        ScoringError: unknown board, or a page number or size below 1.
    """
    challenge = _challenge(session, slug, board)
    query = _paged(_board_query(challenge, board, team_filter, compare_public=False), page, page_size)
    return _rows(session, challenge, query)


def rank_shifts(
    session: Session,
    slug: str,
    *,
    page: int | None = None,
    page_size: int | None = None,
    team_filter: str | None = None,
) -> list[LeaderboardRow]:
    """The private board (or one page of it) with each team's rank on the public board (one SQL query).

    Same rows as ``leaderboard(session, slug, "private", ...)`` with ``public_rank`` set (None for a
    team absent from the public board). Arguments and errors as :func:`leaderboard`.
    """
    challenge = _challenge(session, slug, "private")
    query = _paged(_board_query(challenge, "private", team_filter, compare_public=True), page, page_size)
    return _rows(session, challenge, query)


def count_teams(session: Session, slug: str, board: Board = "public", team_filter: str | None = None) -> int:
    """How many teams are on ``board`` of the challenge (those matching ``team_filter``).

    Args:
        session: An open database session.
        slug: Challenge slug.
        board: ``public`` or ``private``.
        team_filter: Case-insensitive part of a team name, or None for every team.

    Raises:
        NotFoundError: unknown challenge.
        ScoringError: unknown board.
    """
    challenge = _challenge(session, slug, board)
    ranked = _ranked(challenge, board, metric_names(challenge.spec), "ranked")
    query = (
        select(func.count())
        .select_from(ranked)
        .join(Team, Team.id == ranked.c.team_id)
        .where(_team_matches(team_filter))
    )
    return int(session.scalar(query) or 0)


def ranked_teams(session: Session, slug: str, board: Board = "public", name: str = "ranked") -> Any:
    """The board's ranking as a subquery to join in another query (e.g. "the top 10 teams").

    Columns: ``team_id``, ``submission_id`` (the team's counted submission), ``created_at``,
    ``score``, ``s0``… (secondary metrics) and ``rank`` (1 = best), one row per ranked team.

    Raises:
        NotFoundError: unknown challenge.
        ScoringError: unknown board.
    """
    challenge = _challenge(session, slug, board)
    return _ranked(challenge, board, metric_names(challenge.spec), name)
