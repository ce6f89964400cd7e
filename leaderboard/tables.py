"""Boards as tables: the guarded query and the table a viewer is shown.

Every board, page, team count and rank shift comes from the scoring room's one ranking
(``scoring.leaderboard`` and friends), so the private board honours final selection here
exactly as in the scoring service. The access check runs before the scoring room's query,
so a board the viewer may not see is never computed, let alone sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Protocol

import pandas as pd
from sqlalchemy.orm import Session

from challenges import team_review_means, with_review_means
from leaderboard.access import Viewer, display_digits, ensure_board_allowed
from leaderboard.catalog import ChallengeInfo
from scoring import count_teams as scoring_count_teams
from scoring import leaderboard as scoring_leaderboard
from scoring import rank_shifts

__all__ = [
    "BoardRow",
    "PageRequest",
    "board_frame",
    "count_teams",
    "fetch_board",
    "fetch_page",
    "format_time",
    "page_count",
]


class BoardRow(Protocol):
    """One team's line of a board, as ``scoring.leaderboard`` returns it."""

    rank: int
    team: str
    team_id: int
    score: float
    secondary: dict[str, float | None]
    entries: int
    last_submission_at: datetime | None
    public_rank: int | None


def format_time(moment: datetime | None) -> str:
    """``moment`` as ``YYYY-MM-DD HH:MM UTC`` (empty for None)."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _shown(value: float | None, digits: int | None) -> float | None:
    if value is None or digits is None:
        return value
    return round(float(value), digits)


def _shift(rank: int, public_rank: int | None) -> str:
    if public_rank is None:
        return "new"
    moved = public_rank - rank
    return f"▲ {moved}" if moved > 0 else f"▼ {-moved}" if moved < 0 else "="


def board_frame(
    rows: Sequence[BoardRow], challenge: ChallengeInfo, digits: int | None, shifts: bool = False
) -> pd.DataFrame:
    """The table of a board: rank, team, primary metric, secondary metrics, entries, last submission.

    Args:
        rows: Board rows, best first.
        challenge: The challenge (names the metric columns).
        digits: Digits to round every score to, or None to show full precision.
        shifts: Add "Public rank" and "Shift" (rows must carry ``public_rank``).

    Returns:
        One row per team; score columns are named after their metric.
    """
    metric_columns = [challenge.primary_metric, *challenge.secondary_metrics]
    records = [
        {
            "Rank": row.rank,
            "Team": row.team,
            challenge.primary_metric: _shown(row.score, digits),
            **{name: _shown(row.secondary.get(name), digits) for name in challenge.secondary_metrics},
            "Entries": row.entries,
            "Last submission": format_time(row.last_submission_at),
        }
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=["Rank", "Team", *metric_columns, "Entries", "Last submission"])
    if shifts:
        public_ranks = [row.public_rank for row in rows]
        frame.insert(1, "Public rank", pd.array(public_ranks, dtype="Int64"))
        frame.insert(2, "Shift", [_shift(row.rank, rank) for row, rank in zip(rows, public_ranks, strict=True)])
    return frame


@dataclass(frozen=True)
class PageRequest:
    """Which page of which board a viewer asks for."""

    board: str
    page: int = 1
    page_size: int = 50
    team_filter: str = ""
    shifts: bool = False


def page_count(teams: int, page_size: int) -> int:
    """Pages needed to show ``teams`` teams (at least one)."""
    return max(1, ceil(teams / page_size))


def count_teams(session: Session, viewer: Viewer, challenge: ChallengeInfo, request: PageRequest) -> int:
    """How many teams of the requested board match the request's team filter.

    Raises:
        BoardNotAllowed: the viewer may not see this board; nothing was queried.
    """
    ensure_board_allowed(viewer, challenge, request.board)
    return scoring_count_teams(session, challenge.slug, request.board, request.team_filter)  # type: ignore[arg-type]


def fetch_page(
    session: Session, viewer: Viewer, challenge: ChallengeInfo, request: PageRequest, score_digits: int
) -> pd.DataFrame:
    """The requested page of a board as ``viewer`` may see it.

    Rank shifts compare a private page with the public board; they are given only
    for the private board, which the viewer has been checked to see.

    Raises:
        BoardNotAllowed: the viewer may not see this board; nothing was queried.
    """
    ensure_board_allowed(viewer, challenge, request.board)
    shifts = request.shifts and request.board == "private"
    paging = {"page": request.page, "page_size": request.page_size, "team_filter": request.team_filter}
    if shifts:
        rows = rank_shifts(session, challenge.slug, **paging)
    else:
        rows = scoring_leaderboard(session, challenge.slug, request.board, **paging)  # type: ignore[arg-type]
    return board_frame(rows, challenge, display_digits(viewer, score_digits), shifts)


def fetch_board(
    session: Session, viewer: Viewer, challenge: ChallengeInfo, board: str, score_digits: int
) -> pd.DataFrame:
    """The whole ``board`` of ``challenge`` as ``viewer`` may see it (the scoring room's ranking).

    For judges, organisers and admins it also carries each team's mean rubric score per criterion
    (``review_<criterion>``) once judges have reviewed submissions.

    Args:
        session: A (read-only) session on the platform database.
        viewer: Who is looking.
        challenge: The challenge.
        board: ``"public"`` or ``"private"``.
        score_digits: ``settings.score_display_digits`` (applied to competitors).

    Raises:
        BoardNotAllowed: the viewer may not see this board; nothing was queried.
    """
    ensure_board_allowed(viewer, challenge, board)
    rows = scoring_leaderboard(session, challenge.slug, board=board)
    frame = board_frame(rows, challenge, display_digits(viewer, score_digits))
    if not viewer.privileged:
        return frame
    criteria = [criterion.name for criterion in challenge.rubric]
    return with_review_means(frame, [row.team_id for row in rows], team_review_means(session, challenge.slug), criteria)
