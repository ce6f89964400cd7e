"""Boards as tables: the guarded query and the table a viewer is shown.

The access check runs before the scoring room's query, so a board the viewer may
not see is never computed, let alone sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import pandas as pd
from sqlalchemy.orm import Session

from leaderboard.access import Viewer, display_digits, ensure_board_allowed
from leaderboard.catalog import ChallengeInfo
from scoring import leaderboard as scoring_leaderboard

__all__ = ["BoardRow", "board_frame", "fetch_board", "format_time"]


class BoardRow(Protocol):
    """One team's line of a board, as ``scoring.leaderboard`` returns it."""

    rank: int
    team: str
    score: float
    secondary: dict[str, float | None]
    entries: int
    last_submission_at: datetime | None


def format_time(moment: datetime | None) -> str:
    """``moment`` as ``YYYY-MM-DD HH:MM UTC`` (empty for None)."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _shown(value: float | None, digits: int | None) -> float | None:
    if value is None or digits is None:
        return value
    return round(float(value), digits)


def board_frame(rows: Sequence[BoardRow], challenge: ChallengeInfo, digits: int | None) -> pd.DataFrame:
    """The table of a board: rank, team, primary metric, secondary metrics, entries, last submission.

    Args:
        rows: Board rows, best first.
        challenge: The challenge (names the metric columns).
        digits: Digits to round every score to, or None to show full precision.

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
    return pd.DataFrame(records, columns=["Rank", "Team", *metric_columns, "Entries", "Last submission"])


def fetch_board(
    session: Session, viewer: Viewer, challenge: ChallengeInfo, board: str, score_digits: int
) -> pd.DataFrame:
    """The ``board`` of ``challenge`` as ``viewer`` may see it.

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
    return board_frame(rows, challenge, display_digits(viewer, score_digits))
