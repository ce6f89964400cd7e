"""Judges' reviews: one rubric score and comment per judge, rubric criterion and submission.

The criteria come from the challenge's spec (``rubric``; :data:`challenges.spec.DEFAULT_RUBRIC`
when it names none). Judges, organisers and admins may review; a judge saving a criterion again
replaces their earlier score (one row per submission, judge and criterion). Every save is audited.
The scoring service is the only writer: the leaderboard app calls its API for its viewers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from arena.db import audit
from arena.models import Challenge, ReviewScore, Role, Submission, Team, User, utcnow
from challenges import RubricCriterion, rubric_of
from scoring.errors import ReviewError, ReviewNotAllowedError

__all__ = ["REVIEWER_ROLES", "Review", "ensure_reviewer", "find_criterion", "list_reviews", "record_review"]

REVIEWER_ROLES = frozenset({Role.judge, Role.organiser, Role.admin})
"""Roles that may read and write reviews."""


@dataclass(frozen=True)
class Review:
    """One judge's score on one criterion of one submission."""

    submission_id: int
    team_id: int
    team: str
    judge: str
    rubric: str
    score: float
    comment: str
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The review as JSON-ready data (times in ISO 8601)."""
        return {
            "submission_id": self.submission_id,
            "team": self.team,
            "judge": self.judge,
            "rubric": self.rubric,
            "score": self.score,
            "comment": self.comment,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def ensure_reviewer(user: User) -> None:
    """Check ``user`` may read and write reviews.

    Raises:
        ReviewNotAllowedError: the user's role is not judge, organiser or admin.
    """
    if Role(user.role) not in REVIEWER_ROLES:
        allowed = ", ".join(sorted(role.value for role in REVIEWER_ROLES))
        raise ReviewNotAllowedError(f"reviews are for {allowed} only; {user.name!r} has role {Role(user.role).value!r}")


def find_criterion(challenge: Challenge, name: str) -> RubricCriterion:
    """The rubric criterion ``name`` of ``challenge``.

    Raises:
        ReviewError: the challenge's rubric has no such criterion (the message lists those it has).
    """
    criteria = rubric_of(challenge.spec or {})
    for criterion in criteria:
        if criterion.name == name:
            return criterion
    known = ", ".join(criterion.name for criterion in criteria)
    raise ReviewError(f"rubric criterion {name!r} is not in the rubric of {challenge.slug!r} (it has: {known})")


def _check_score(criterion: RubricCriterion, score: float) -> float:
    if not math.isfinite(score) or not criterion.min <= score <= criterion.max:
        raise ReviewError(
            f"score {score} for {criterion.name!r} is outside its range {criterion.min:g}..{criterion.max:g}"
        )
    return float(score)


def _check_comment(comment: str, max_chars: int) -> str:
    if len(comment) > max_chars:
        raise ReviewError(
            f"comment has {len(comment)} characters; the limit is {max_chars} (review_comment_max_chars)"
        )
    if "\x00" in comment:
        raise ReviewError("comment contains a NUL character (\\x00); remove it")
    return comment


def _upsert(session: Session, values: dict[str, Any]) -> None:
    """Insert the review or, when the judge already scored this criterion, replace score and comment."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ReviewScore).values(**values)
    changed = {key: values[key] for key in ("score", "comment", "updated_at")}
    session.execute(
        statement.on_conflict_do_update(index_elements=["submission_id", "judge_id", "rubric"], set_=changed)
    )


def record_review(
    session: Session,
    submission: Submission,
    judge: User,
    rubric: str,
    score: float,
    comment: str,
    *,
    max_comment_chars: int,
) -> Review:
    """Store ``judge``'s score and comment on criterion ``rubric`` of ``submission`` (audited).

    Args:
        session: A writable session (the caller commits).
        submission: The submission reviewed.
        judge: The reviewer (role judge, organiser or admin).
        rubric: A criterion name of the challenge's rubric.
        score: The score, within the criterion's ``min``..``max``.
        comment: Free text (may be empty), at most ``max_comment_chars`` characters.
        max_comment_chars: ``settings.review_comment_max_chars``.

    Returns:
        The review as stored; saving the same criterion again replaces the judge's earlier one.

    Raises:
        ReviewNotAllowedError: the judge's role may not review.
        ReviewError: unknown criterion, score out of range or not finite, comment too long or with NUL.
    """
    ensure_reviewer(judge)
    challenge = session.get_one(Challenge, submission.challenge_id)
    criterion = find_criterion(challenge, rubric)
    value = _check_score(criterion, score)
    text = _check_comment(comment, max_comment_chars)
    key = {"submission_id": submission.id, "judge_id": judge.id, "rubric": criterion.name}
    previous = session.scalar(select(ReviewScore.score).where(*(getattr(ReviewScore, k) == v for k, v in key.items())))
    now = utcnow()
    _upsert(session, {**key, "score": value, "comment": text, "created_at": now, "updated_at": now})
    audit(
        session, judge.name, "review.score", f"submission:{submission.id}",
        challenge=challenge.slug, rubric=criterion.name, score=value, previous=previous, comment_chars=len(text),
    )  # fmt: skip
    [review] = list_reviews(session, challenge.slug, submission.id, judge_id=judge.id, rubric=criterion.name)
    return review


def list_reviews(
    session: Session,
    slug: str,
    submission_id: int | None = None,
    *,
    judge_id: int | None = None,
    rubric: str | None = None,
) -> list[Review]:
    """The reviews of challenge ``slug`` (one submission's when ``submission_id`` is given), one SQL query.

    Args:
        session: A session (read-only is enough).
        slug: The challenge.
        submission_id: Only this submission's reviews.
        judge_id: Only this judge's reviews.
        rubric: Only this criterion's reviews.

    Returns:
        Reviews ordered by submission, judge name and criterion.
    """
    judge = User.__table__.alias("judge")
    query = (
        select(
            ReviewScore.submission_id, Submission.team_id, Team.name.label("team"), judge.c.name.label("judge"),
            ReviewScore.rubric, ReviewScore.score, ReviewScore.comment, ReviewScore.created_at, ReviewScore.updated_at,
        )  # fmt: skip
        .join(Submission, Submission.id == ReviewScore.submission_id)
        .join(Team, Team.id == Submission.team_id)
        .join(judge, judge.c.id == ReviewScore.judge_id)
        .join(Challenge, Challenge.id == Submission.challenge_id)
        .where(Challenge.slug == slug)
        .order_by(ReviewScore.submission_id, judge.c.name, ReviewScore.rubric)
    )
    filters = {ReviewScore.submission_id: submission_id, ReviewScore.judge_id: judge_id, ReviewScore.rubric: rubric}
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    return [Review(**row._mapping) for row in session.execute(query)]
