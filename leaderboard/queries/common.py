"""Pieces every query shares: the challenge id by slug, a metric's direction and query results as frames."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.models import Challenge
from scoring import get_metric

__all__ = ["challenge_id", "frame_of", "higher_is_better"]


def challenge_id(slug: str) -> Any:
    """A scalar subquery: the id of the challenge called ``slug`` (keeps each answer one query)."""
    return select(Challenge.id).where(Challenge.slug == slug).scalar_subquery()


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of ``metric`` is better.

    Raises:
        ScoringError: the scoring room knows no metric called ``metric``.
    """
    return get_metric(metric).higher_is_better


def frame_of(session: Session, query: Any) -> pd.DataFrame:
    """The rows ``query`` answers, as a DataFrame named after its columns."""
    result = session.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))
