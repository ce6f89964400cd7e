"""Published challenges as the leaderboard shows them, read from the platform database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from arena.models import Challenge, ChallengeState, Submission, TeamMember, User
from arena.settings import Settings
from challenges import DEFAULT_RUBRIC, RubricCriterion, rubric_of
from leaderboard.errors import ChallengeNotFound, LeaderboardError

__all__ = ["ChallengeInfo", "PhaseInfo", "find_challenge", "last_challenge_of", "list_challenges", "read_description"]


@dataclass(frozen=True)
class PhaseInfo:
    """A dated phase of a challenge."""

    name: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ChallengeInfo:
    """What the leaderboard needs of a Challenge row, detached from the session."""

    slug: str
    title: str
    state: ChallengeState
    task: str
    primary_metric: str
    secondary_metrics: list[str]
    datasets: list[str]
    phases: list[PhaseInfo] = field(default_factory=list)
    rubric: tuple[RubricCriterion, ...] = DEFAULT_RUBRIC
    limits: dict[str, int] = field(default_factory=dict)
    """The spec's ``limits`` (per_day, total, final_selection, team_size)."""
    submission: str = "predictions"
    """What competitors submit: ``predictions`` (a file) or ``code`` (a folder run offline)."""

    @property
    def closed(self) -> bool:
        """Whether the challenge is closed (private board open to everyone)."""
        return self.state == ChallengeState.closed


def _info(challenge: Challenge) -> ChallengeInfo:
    spec: dict[str, Any] = challenge.spec or {}
    metric: dict[str, Any] = spec.get("metric") or {}
    try:
        rubric = rubric_of(spec)
    except ValueError as error:
        raise LeaderboardError(f"challenge {challenge.slug!r}: {error}") from None
    return ChallengeInfo(
        slug=challenge.slug,
        title=challenge.title,
        state=ChallengeState(challenge.state),
        task=str(spec.get("task", "")),
        primary_metric=str(metric.get("primary", "score")),
        secondary_metrics=[str(name) for name in metric.get("secondary") or []],
        datasets=[str(ref) for ref in spec.get("datasets") or []],
        phases=[PhaseInfo(p.name, p.starts_at, p.ends_at) for p in challenge.phases],
        rubric=rubric,
        limits={str(k): int(v) for k, v in (spec.get("limits") or {}).items() if isinstance(v, int)},
        submission=str(spec.get("submission") or "predictions"),
    )


def list_challenges(session: Session) -> list[ChallengeInfo]:
    """Every published challenge (open ones first, then closed), newest first within each."""
    rows = session.scalars(
        select(Challenge).options(selectinload(Challenge.phases)).order_by(Challenge.published_at.desc())
    ).all()
    infos = [_info(row) for row in rows]
    return sorted(infos, key=lambda info: info.closed)


def find_challenge(session: Session, slug: str) -> ChallengeInfo:
    """The published challenge called ``slug``.

    Raises:
        ChallengeNotFound: no challenge has that slug.
    """
    row = session.scalar(select(Challenge).options(selectinload(Challenge.phases)).where(Challenge.slug == slug))
    if row is None:
        raise ChallengeNotFound(f"challenge {slug!r} is not published on this platform")
    return _info(row)


def last_challenge_of(session: Session, user_name: str) -> str | None:
    """The slug of the challenge ``user_name`` last submitted to, else the one they last joined, else None."""
    user_id = select(User.id).where(User.name == user_name).scalar_subquery()
    submitted = session.scalar(
        select(Challenge.slug)
        .join(Submission, Submission.challenge_id == Challenge.id)
        .where(Submission.user_id == user_id)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(1)
    )
    if submitted is not None:
        return submitted
    return session.scalar(
        select(Challenge.slug)
        .join(TeamMember, TeamMember.challenge_id == Challenge.id)
        .where(TeamMember.user_id == user_id)
        .order_by(TeamMember.id.desc())
        .limit(1)
    )


def read_description(settings: Settings, slug: str) -> str | None:
    """The Markdown description published for ``slug``, or None when there is none.

    ``slug`` must come from a Challenge row (never straight from a request).
    """
    path: Path = settings.challenges_dir / slug / "description.md"
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
