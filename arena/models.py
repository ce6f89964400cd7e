"""The platform's data model: typed SQLAlchemy 2.0 classes, migrated by Alembic.

The same schema runs on SQLite (embedded default) and PostgreSQL (production).
Timestamps are stored as UTC and always come back timezone-aware.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AuditEvent",
    "Base",
    "Challenge",
    "ChallengeState",
    "Dataset",
    "Phase",
    "ReviewScore",
    "Role",
    "Score",
    "Submission",
    "SubmissionKind",
    "SubmissionState",
    "Team",
    "TeamMember",
    "User",
    "utcnow",
]


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime stored in UTC that comes back timezone-aware on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the data model stores UTC-aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Role(enum.StrEnum):
    """What a hub user may do on the platform (mirrors a JupyterHub group)."""

    competitor = "competitor"
    organiser = "organiser"
    judge = "judge"
    admin = "admin"


class ChallengeState(enum.StrEnum):
    """Life of a challenge."""

    published = "published"
    closed = "closed"


class SubmissionState(enum.StrEnum):
    """Life of a submission: queued → scoring → scored | failed."""

    queued = "queued"
    scoring = "scoring"
    scored = "scored"
    failed = "failed"


class SubmissionKind(enum.StrEnum):
    """What a competitor uploaded: a predictions file, or code the enclave runs on the real test features."""

    predictions = "predictions"
    code = "code"


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, validate_strings=True)


class User(Base):
    """A hub user, with the role mirrored as a JupyterHub group."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.competitor)
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    """When an organiser disabled the account (None: enabled); a disabled user cannot sign in,
    spawn or submit, and keeps every row (submissions, scores) for the record."""
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)


class Dataset(Base):
    """A published synthetic replica, ``name@version``; versions are never overwritten."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)
    gates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class Challenge(Base):
    """A published challenge bundle; republishing bumps ``version``."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[ChallengeState] = mapped_column(_enum(ChallengeState), default=ChallengeState.published)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answers_digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)

    phases: Mapped[list[Phase]] = relationship(
        back_populates="challenge", cascade="all, delete-orphan", order_by="Phase.starts_at"
    )


class Phase(Base):
    """A dated phase of a challenge (e.g. development, final)."""

    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    challenge: Mapped[Challenge] = relationship(back_populates="phases")


class Team(Base):
    """A team in one challenge; a solo competitor is a team of one."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamMember(Base):
    """Membership of a user in a team; one team per user per challenge."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("user_id", "challenge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))


class Submission(Base):
    """An uploaded prediction file; this row is the queue's source of truth."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_queue", "state", "created_at"),
        Index("ix_submissions_team_day", "challenge_id", "team_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    phase: Mapped[str | None] = mapped_column(String(64), default=None)
    filename: Mapped[str] = mapped_column(String(255))
    file_digest: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    state: Mapped[SubmissionState] = mapped_column(_enum(SubmissionState), default=SubmissionState.queued)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scored_at: Mapped[datetime | None] = mapped_column(default=None)
    kind: Mapped[SubmissionKind] = mapped_column(
        _enum(SubmissionKind), default=SubmissionKind.predictions, server_default="predictions"
    )
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    """A code run's outcome, from the fixed list of ``scoring.enclave.RunOutcome``."""
    run_bucket: Mapped[str | None] = mapped_column(String(16), default=None)
    """A code run's wall time, coarsely (``<10 s``, ``<1 min``, ``<10 min``, ``longer``)."""
    log_path: Mapped[str | None] = mapped_column(Text, default=None)
    """A code run's log on the scoring side (organisers only, read audited)."""

    scores: Mapped[list[Score]] = relationship(back_populates="submission", cascade="all, delete-orphan")


class Score(Base):
    """One metric value of one submission on one split (public | private)."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("submission_id", "split", "metric"),
        Index("ix_scores_split_metric", "split", "metric"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    split: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)

    submission: Mapped[Submission] = relationship(back_populates="scores")


class AuditEvent(Base):
    """Append-only record of who did what (answers read, private board viewed, overrides…)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReviewScore(Base):
    """A judge's score (and comment) on one rubric criterion of one submission; one row per
    (submission, judge, criterion), updated in place when the judge changes it."""

    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("submission_id", "judge_id", "rubric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rubric: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
