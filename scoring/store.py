"""Accept a submission: stream the file to content-addressed storage, check quotas, queue it.

Opening rule (kept simple on purpose): a submission is accepted while the challenge is
``published`` and, when it has phases, ``now`` falls inside one of them (the phase name is
recorded on the row). A challenge without phases accepts submissions until it is closed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from datetime import datetime, time
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arena.db import Database, audit
from arena.errors import NotFoundError
from arena.models import (
    Challenge,
    ChallengeState,
    Submission,
    SubmissionKind,
    SubmissionState,
    Team,
    TeamMember,
    User,
    utcnow,
)
from arena.settings import Settings
from scoring.code_upload import check_upload_kind
from scoring.errors import QuotaExceededError, ScoringError, SubmissionTooLargeError
from scoring.locking import begin_write

__all__ = [
    "StoredFile",
    "accept_submission",
    "check_can_submit",
    "find_challenge",
    "find_user",
    "queue_submission",
    "staging_dir",
    "staging_prefix",
    "submission_path",
]

_CHUNK = 1024 * 1024


def submission_path(settings: Settings, digest: str) -> Path:
    """Where the file with SHA-256 ``digest`` is stored."""
    return settings.submissions_dir / digest[:2] / digest


def staging_dir(settings: Settings) -> Path:
    """Where uploads are written while they arrive (``<submissions_dir>/tmp``)."""
    return settings.submissions_dir / "tmp"


def staging_prefix() -> str:
    """Name prefix of this process's staging files: ``upload-<host>-<pid>-``.

    The host and pid say whose upload a staging file is, so that a restarted service can
    remove what a killed one left without touching uploads in progress elsewhere.
    """
    return f"upload-{socket.gethostname()}-{os.getpid()}-"


def _named(session: Session, model: type, column: Any, value: str, missing: str) -> Any:
    row = session.scalar(select(model).where(column == value))
    if row is None:
        raise NotFoundError(missing)
    return row


def find_challenge(session: Session, slug: str) -> Challenge:
    """The challenge called ``slug``.

    Raises:
        NotFoundError: no such challenge.
    """
    return _named(session, Challenge, Challenge.slug, slug, f"challenge {slug!r} does not exist")


def find_user(session: Session, user_name: str) -> User:
    """The platform user called ``user_name``.

    Raises:
        NotFoundError: no such user.
    """
    return _named(session, User, User.name, user_name, f"user {user_name!r} is not registered on the platform")


class StoredFile:
    """A file being written to the store while hashed, refused as soon as it passes the size limit.

    Call :meth:`write` with each chunk, then :meth:`commit` (moves it to its content address) or
    :meth:`discard`; a refused or discarded upload leaves no file behind.
    """

    def __init__(self, settings: Settings, limit: tuple[int, str] | None = None) -> None:
        """Open a staging file under ``<submissions_dir>/tmp``.

        Args:
            settings: Platform settings (the store).
            limit: Largest size in bytes and the name of the rule setting it (default:
                ``settings.submission_max_bytes``).
        """
        self.limit, self.limit_name = limit or (settings.submission_max_bytes, "submission_max_bytes")
        self.settings, self.size = settings, 0
        staging = staging_dir(settings)
        staging.mkdir(parents=True, exist_ok=True)
        handle, self._temporary = tempfile.mkstemp(dir=staging, prefix=staging_prefix())
        self._out = os.fdopen(handle, "wb")
        self._hasher = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        """Append a chunk (discarding the file and raising past the limit).

        Raises:
            SubmissionTooLargeError: the file is now larger than ``settings.submission_max_bytes``.
        """
        self.size += len(chunk)
        if self.size > self.limit:
            self.discard()
            raise SubmissionTooLargeError(f"submission is larger than the limit of {self.limit} bytes ({self.limit_name})")
        self._hasher.update(chunk)
        self._out.write(chunk)

    def commit(self) -> str:
        """Move the file to its content address; returns its SHA-256."""
        self._out.close()
        digest = self._hasher.hexdigest()
        final = submission_path(self.settings, digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._temporary, final)
        return digest

    def discard(self) -> None:
        """Close and delete the staging file (idempotent)."""
        self._out.close()
        Path(self._temporary).unlink(missing_ok=True)


def _stream_to_store(settings: Settings, stream: BinaryIO) -> tuple[str, int]:
    """Copy ``stream`` into the store while hashing; never keeps a partial file."""
    stored = StoredFile(settings)
    try:
        while chunk := stream.read(_CHUNK):
            stored.write(chunk)
        return stored.commit(), stored.size
    except BaseException:
        stored.discard()
        raise


def _open_phase(challenge: Challenge, now: datetime) -> str | None:
    if challenge.state != ChallengeState.published:
        raise ScoringError(f"challenge {challenge.slug!r} is closed; it no longer accepts submissions")
    if not challenge.phases:
        return None
    for phase in challenge.phases:
        if phase.starts_at <= now < phase.ends_at:
            return phase.name
    windows = "; ".join(f"{p.name} {p.starts_at:%Y-%m-%d} to {p.ends_at:%Y-%m-%d}" for p in challenge.phases)
    raise ScoringError(f"challenge {challenge.slug!r} has no phase open now ({now:%Y-%m-%d %H:%M} UTC): {windows}")


def _ensure_team(db: Database, challenge_id: int, user: User) -> int:
    """The id of the user's team in the challenge, creating a solo team when there is none."""
    for _ in range(3):
        with db.session() as session:
            team_id = session.scalar(
                select(TeamMember.team_id).where(TeamMember.user_id == user.id, TeamMember.challenge_id == challenge_id)
            )
            if team_id is not None:
                return team_id
        try:
            with db.session() as session:
                taken = session.scalar(select(Team.id).where(Team.challenge_id == challenge_id, Team.name == user.name))
                team = Team(challenge_id=challenge_id, name=user.name if taken is None else f"{user.name}-{user.id}")
                session.add(team)
                session.flush()
                session.add(TeamMember(team_id=team.id, user_id=user.id, challenge_id=challenge_id))
                audit(session, user.name, "team.create", f"team:{team.id}", challenge_id=challenge_id, solo=True)
                return team.id
        except IntegrityError:
            continue  # a concurrent request created it; read it back
    raise ScoringError(f"could not create a team for {user.name!r} in challenge {challenge_id}")


def _lock_team(db: Database, session: Session, team_id: int) -> None:
    """Serialise submissions of one team: a write lock on SQLite, a row lock on PostgreSQL."""
    if not begin_write(db, session):
        session.execute(select(Team.id).where(Team.id == team_id).with_for_update())


def _check_quota(session: Session, challenge: Challenge, team_id: int, now: datetime) -> None:
    """Refuse a submission once ``limits.total`` or ``limits.per_day`` is used up.

    Counted (one SQL count per limit, run in the caller's transaction holding the team's lock):
    the challenge's submissions that did not fail, and the code submissions whose run failed for a
    reason of the code's (a ``platform_error`` is refunded), made either by the team or by any of
    its current members, whichever team they were in then. So leaving a team and creating or
    joining another does not reset a competitor's quota, and a team that takes in a member also
    takes in what that member already used.
    """
    limits = challenge.spec.get("limits") or {}
    members = select(TeamMember.user_id).where(TeamMember.team_id == team_id)
    code_run_failed = and_(
        Submission.kind == SubmissionKind.code,
        Submission.outcome.is_not(None),
        Submission.outcome != "platform_error",
    )
    counted = select(func.count(Submission.id)).where(
        Submission.challenge_id == challenge.id,
        or_(Submission.team_id == team_id, Submission.user_id.in_(members)),
        or_(Submission.state != SubmissionState.failed, code_run_failed),
    )
    total = limits.get("total")
    if total is not None and session.scalar(counted) >= total:
        raise QuotaExceededError(f"limits.total reached: {total} submissions per team in {challenge.slug!r}")
    per_day = limits.get("per_day")
    day_start = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    if per_day is not None and session.scalar(counted.where(Submission.created_at >= day_start)) >= per_day:
        raise QuotaExceededError(
            f"limits.per_day reached: {per_day} submissions per team per UTC day in {challenge.slug!r}; "
            "try again after 00:00 UTC"
        )


def _forget_unreferenced(db: Database, settings: Settings, digest: str) -> None:
    with db.session() as session:
        if session.scalar(select(Submission.id).where(Submission.file_digest == digest).limit(1)) is None:
            submission_path(settings, digest).unlink(missing_ok=True)


def check_can_submit(db: Database, slug: str, user_name: str) -> int:
    """Check that ``user_name`` may submit to ``slug`` now; returns the user's team id (a solo team if needed).

    Raises:
        NotFoundError: unknown challenge or user.
        ScoringError: the challenge is closed or no phase is open.
    """
    with db.session() as session:
        challenge = find_challenge(session, slug)
        _open_phase(challenge, utcnow())
        user = find_user(session, user_name)
    return _ensure_team(db, challenge.id, user)


def queue_submission(
    db: Database,
    settings: Settings,
    slug: str,
    user_name: str,
    stored: tuple[str, int],
    filename: str,
    description: str | None = None,
) -> Submission:
    """Queue a file already in the store, within the team's quotas (the file is forgotten on refusal).

    Arguments and errors are those of :func:`accept_submission`, except ``stored``: the
    ``(sha256, size)`` of a file already written by :class:`StoredFile`. The file must suit the
    challenge's mode (:func:`scoring.code_upload.check_upload_kind`): a predictions file, or for
    a code challenge an archive that unpacks to a folder holding ``main.py``.

    Returns:
        The new submission row (state ``queued``).
    """
    digest, size = stored
    try:
        team_id = check_can_submit(db, slug, user_name)
        with db.session() as session:
            spec = dict(find_challenge(session, slug).spec)
        is_code = check_upload_kind(spec, submission_path(settings, digest), size)
        with db.session() as session:
            _lock_team(db, session, team_id)
            challenge = find_challenge(session, slug)
            now = utcnow()
            phase = _open_phase(challenge, now)
            _check_quota(session, challenge, team_id, now)
            submission = Submission(
                challenge_id=challenge.id,
                team_id=team_id,
                user_id=session.scalar(select(User.id).where(User.name == user_name)),
                phase=phase,
                filename=Path(filename or "submission").name[:255],
                file_digest=digest,
                size_bytes=size,
                description=description,
                state=SubmissionState.queued,
                created_at=now,
                kind=SubmissionKind.code if is_code else SubmissionKind.predictions,
            )
            session.add(submission)
            session.flush()
            audit(session, user_name, "submission.create", f"submission:{submission.id}", challenge=slug, size=size)
            return submission
    except BaseException:
        _forget_unreferenced(db, settings, digest)
        raise


def accept_submission(
    db: Database,
    settings: Settings,
    slug: str,
    user_name: str,
    stream: BinaryIO,
    filename: str,
    description: str | None = None,
) -> Submission:
    """Store an uploaded file and queue it for scoring, within the team's quotas.

    The file is streamed to ``<submissions_dir>/<sha256[:2]>/<sha256>`` while hashing and
    rejected as soon as it passes ``settings.submission_max_bytes``. The quota check and the
    insert of the ``queued`` row run in one transaction holding the team's lock, so concurrent
    submissions never exceed a cap. Failed prediction files and code runs failed by the platform
    do not count (a code run failed by the code does); the submissions of the
    team's current members made in other teams of the challenge do (no quota reset by changing team).

    Args:
        db: The platform database.
        settings: Platform settings (storage paths, size limit).
        slug: Challenge slug.
        user_name: Hub user name of the submitter (must have a User row).
        stream: Binary file object to read the upload from.
        filename: Original file name (kept for display).
        description: Optional free-text note.

    Returns:
        The new submission row (state ``queued``).

    Raises:
        NotFoundError: unknown challenge or user.
        ScoringError: the challenge is closed or no phase is open.
        SubmissionTooLargeError: the file exceeds the size limit.
        QuotaExceededError: ``limits.per_day`` or ``limits.total`` is used up.
    """
    check_can_submit(db, slug, user_name)
    stored = _stream_to_store(settings, stream)
    return queue_submission(db, settings, slug, user_name, stored, filename, description)
