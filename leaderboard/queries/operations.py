"""What organisers watch: the scoring queue, recent failures and the challenges' publish state."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.models import Challenge, Submission, SubmissionState, Team
from leaderboard.queries.common import frame_of
from scoring import oldest_queued_at, queue_depth

__all__ = ["challenge_states", "oldest_queued_at", "queue_depth", "recent_failures"]


def recent_failures(session: Session, limit: int = 20) -> pd.DataFrame:
    """The ``limit`` newest failed submissions: id, challenge, team, created_at, attempts, error."""
    query = (
        select(
            Submission.id,
            Challenge.slug.label("challenge"),
            Team.name.label("team"),
            Submission.created_at,
            Submission.attempts,
            Submission.error,
        )
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .join(Team, Team.id == Submission.team_id)
        .where(Submission.state == SubmissionState.failed)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit)
    )
    return frame_of(session, query)


def challenge_states(session: Session) -> pd.DataFrame:
    """Every challenge: slug, title, state, version, published_at, closed_at and its submission count."""
    counts = (
        select(Submission.challenge_id, func.count(Submission.id).label("submissions"))
        .group_by(Submission.challenge_id)
        .subquery("counts")
    )
    query = (
        select(
            Challenge.slug,
            Challenge.title,
            Challenge.state,
            Challenge.version,
            Challenge.published_at,
            Challenge.closed_at,
            func.coalesce(counts.c.submissions, 0).label("submissions"),
        )
        .outerjoin(counts, counts.c.challenge_id == Challenge.id)
        .order_by(Challenge.published_at.desc())
    )
    return frame_of(session, query)
