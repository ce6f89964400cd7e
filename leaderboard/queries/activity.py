"""What the plots show: best-so-far score per team over time, submissions per day, score distribution.

Scores come only from the split the caller passes, checked against the viewer beforehand.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from arena.models import Score, Submission, SubmissionState, Team
from leaderboard.catalog import ChallengeInfo
from leaderboard.queries.common import challenge_id, frame_of, higher_is_better
from scoring import ranked_teams

__all__ = ["best_so_far", "score_values", "submissions_per_day"]


def _scored_on(challenge: ChallengeInfo, split: str) -> Any:
    """Submission joined with its primary score on ``split``, scored submissions of ``challenge`` only."""
    return (
        select(Submission)
        .join(
            Score,
            and_(Score.submission_id == Submission.id, Score.split == split, Score.metric == challenge.primary_metric),
        )
        .where(Submission.challenge_id == challenge_id(challenge.slug), Submission.state == SubmissionState.scored)
    )


def best_so_far(session: Session, challenge: ChallengeInfo, split: str, top: int = 10) -> pd.DataFrame:
    """The running best primary score of the ``top`` teams of the ``split`` board, one row per submission.

    Returns:
        Columns ``team``, ``created_at``, ``best`` (best score so far), ordered by team and time.
    """
    board = ranked_teams(session, challenge.slug, split)  # type: ignore[arg-type]
    running = func.max if higher_is_better(challenge.primary_metric) else func.min
    best = running(Score.value).over(
        partition_by=Submission.team_id, order_by=[Submission.created_at, Submission.id], rows=(None, 0)
    )
    query = (
        _scored_on(challenge, split)
        .join(board, and_(board.c.team_id == Submission.team_id, board.c.rank <= top))
        .join(Team, Team.id == Submission.team_id)
        .with_only_columns(Team.name.label("team"), Submission.created_at, best.label("best"))
        .order_by(Team.name, Submission.created_at, Submission.id)
    )
    return frame_of(session, query)


def submissions_per_day(session: Session, challenge: ChallengeInfo) -> pd.DataFrame:
    """Submissions received per UTC day (every state), columns ``day`` (YYYY-MM-DD) and ``submissions``."""
    moment = Submission.created_at
    if session.get_bind().dialect.name == "postgresql":
        moment = func.timezone("UTC", moment)
    day = func.date(moment).label("day")
    query = (
        select(day, func.count(Submission.id).label("submissions"))
        .where(Submission.challenge_id == challenge_id(challenge.slug))
        .group_by(day)
        .order_by(day)
    )
    frame = frame_of(session, query)
    frame["day"] = frame["day"].astype(str)
    return frame


def score_values(session: Session, challenge: ChallengeInfo, split: str) -> pd.Series:
    """The primary score on ``split`` of every scored submission of ``challenge``."""
    frame = frame_of(session, _scored_on(challenge, split).with_only_columns(Score.value.label("score")))
    return frame["score"].astype(float)
