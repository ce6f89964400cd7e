"""Publish a validated bundle: hidden answers with a fixed split, public files, database rows."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from arena.db import Database, audit
from arena.errors import NotFoundError
from arena.models import Challenge, ChallengeState, Phase, Score, Submission, SubmissionState, utcnow
from arena.settings import Settings
from challenges.bundle import Bundle, validate_against_store
from challenges.errors import BundleError, ChallengeError
from challenges.held_out import held_out_features_path, publish_test_replica, write_scoring_side
from challenges.spec import ChallengeSpec
from challenges.starter import write_generated_starter

__all__ = [
    "PUBLIC_SPEC_FILE",
    "SPLIT_COLUMN",
    "answers_path",
    "assign_split",
    "close_challenge",
    "list_challenges",
    "public_dir",
    "publish_challenge",
]

SPLIT_COLUMN = "split"
PUBLIC_SPEC_FILE = "challenge.json"
_PUBLIC_DESCRIPTION = "description.md"
_PUBLIC_NOTEBOOK = "starter.ipynb"


def answers_path(settings: Settings, slug: str) -> Path:
    """Where the published hidden answers of ``slug`` live (scoring side only)."""
    return settings.answers_dir / slug / "answers.parquet"


def public_dir(settings: Settings, slug: str) -> Path:
    """Folder of the public files of ``slug`` (challenge.json, description.md, starter.ipynb)."""
    return settings.challenges_dir / slug


def assign_split(ids: pd.Series, public_fraction: float, seed: int) -> pd.Series:
    """Label each id ``public`` or ``private``, deterministically from the seed.

    Rule (the same one ``scoring`` applies offline): sort the ids as strings, permute the sorted
    positions with ``numpy.random.default_rng(seed)``, and make the first
    ``floor(n * public_fraction + 0.5)`` permuted ids public. Same ids, fraction and seed always
    give the same split, whatever the row order of the answers file.

    Args:
        ids: Unique ids.
        public_fraction: Share of rows on the public board, in (0, 1).
        seed: The split seed.

    Returns:
        A Series aligned with ``ids`` holding ``"public"`` or ``"private"``.

    Raises:
        BundleError: the split would leave the public or the private board empty.
    """
    count = len(ids)
    public_count = int(np.floor(count * public_fraction + 0.5))
    if not 0 < public_count < count:
        raise BundleError(
            f"split: {count} answer rows with public_fraction {public_fraction} give {public_count} public "
            f"and {count - public_count} private rows; both boards need at least one"
        )
    canonical = np.argsort(ids.astype(str).to_numpy(), kind="stable")
    public_positions = canonical[np.random.default_rng(seed).permutation(count)[:public_count]]
    labels = np.full(count, "private", dtype=object)
    labels[public_positions] = "public"
    return pd.Series(labels, index=ids.index, name=SPLIT_COLUMN)


def _write_public(bundle: Bundle, folder: Path) -> None:
    for directory in (folder.parent, folder):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
    spec_json = json.dumps(bundle.spec.public_dict(), indent=2, ensure_ascii=False) + "\n"
    (folder / PUBLIC_SPEC_FILE).write_text(spec_json, encoding="utf-8")
    shutil.copyfile(bundle.file(bundle.spec.description), folder / _PUBLIC_DESCRIPTION)
    if bundle.spec.starter_notebook is None:
        write_generated_starter(bundle.spec, folder / _PUBLIC_NOTEBOOK)
    else:
        shutil.copyfile(bundle.file(bundle.spec.starter_notebook), folder / _PUBLIC_NOTEBOOK)
    for name in (PUBLIC_SPEC_FILE, _PUBLIC_DESCRIPTION, _PUBLIC_NOTEBOOK):
        (folder / name).chmod(0o644)


def _phases(spec: ChallengeSpec) -> list[Phase]:
    return [Phase(name=phase.name, starts_at=phase.starts_at, ends_at=phase.ends_at) for phase in spec.phases]


def _unchanged(db: Database, spec: ChallengeSpec, digest: str) -> bool:
    """Whether the very same bundle is already published under this slug (publishing it again is a no-op)."""
    with db.session() as session:
        row = session.scalar(select(Challenge).where(Challenge.slug == spec.slug))
    return row is not None and row.spec == spec.model_dump(mode="json") and row.answers_digest == digest


def _bundle_digest(bundle: Bundle) -> str:
    """The answers' digest; for a code bundle, over the answers and the real test features."""
    digest = bundle.answers_digest()
    if not bundle.spec.is_code:
        return digest
    features = hashlib.sha256(bundle.file(bundle.spec.test_features).read_bytes()).hexdigest()
    return hashlib.sha256(f"{digest}:{features}".encode()).hexdigest()


def _upsert_row(session: Session, spec: ChallengeSpec, digest: str, *, republish: bool) -> Challenge | None:
    """Insert or update the Challenge row; None when the very same bundle is already published."""
    spec_json = spec.model_dump(mode="json")
    row = session.scalar(select(Challenge).where(Challenge.slug == spec.slug).with_for_update())
    if row is None:
        row = Challenge(slug=spec.slug, title=spec.title, spec=spec_json, answers_digest=digest, version=1)
        row.phases = _phases(spec)
        session.add(row)
        return row
    if row.state == ChallengeState.closed:
        raise ChallengeError(f"challenge {spec.slug!r} is closed; it cannot be published again")
    if not republish:
        if row.spec == spec_json and row.answers_digest == digest:
            return None
        raise ChallengeError(
            f"slug {spec.slug!r} is already published (version {row.version}) with a different bundle; "
            "republish explicitly (--republish) to replace it"
        )
    row.phases.clear()
    session.flush()
    row.title, row.spec, row.answers_digest = spec.title, spec_json, digest
    row.version += 1
    row.published_at = utcnow()
    row.phases = _phases(spec)
    return row


def _requeue_scored(session: Session, challenge: Challenge, actor: str) -> int:
    """Put the challenge's scored (and in-flight) submissions back in the queue, their scores deleted.

    A worker still scoring one of them finds the row re-queued and drops its result.
    """
    rescored = Submission.state.in_([SubmissionState.scored, SubmissionState.scoring])
    ids = list(session.scalars(select(Submission.id).where(Submission.challenge_id == challenge.id, rescored)))
    if ids:
        session.execute(delete(Score).where(Score.submission_id.in_(ids)))
        session.execute(
            update(Submission)
            .where(Submission.id.in_(ids))
            .values(state=SubmissionState.queued, error=None, worker=None, heartbeat_at=None, scored_at=None)
            .execution_options(synchronize_session=False)
        )
    audit(session, actor, "challenge.rescore", challenge.slug, version=challenge.version, submissions=ids)
    return len(ids)


def publish_challenge(
    db: Database,
    settings: Settings,
    bundle: Bundle,
    actor: str = "cli",
    *,
    republish: bool = False,
    rescore: bool = False,
) -> str:
    """Publish a bundle: hidden answers, public files, Challenge and Phase rows, an audit event.

    A code bundle (``submission: code``) also puts its real test features on the scoring side
    (next to the answers, 0600) and publishes a gated synthetic replica of them as
    ``test_replica`` (next version), which is what sandboxes see.

    Publishing the very same bundle again is a no-op; publishing a different bundle under an
    existing slug needs ``republish=True`` and bumps the challenge's version. Scores already
    recorded stay as they are unless ``rescore=True``: then, in the same transaction, every
    scored submission goes back to ``queued`` with its scores deleted, for the workers to score
    against the new answers.

    Args:
        db: The platform database.
        settings: Where the answers and public challenge folders live.
        bundle: A bundle from :func:`challenges.load_bundle`.
        actor: Who publishes (audit log).
        republish: Allow replacing an already published challenge of the same slug.
        rescore: Re-queue the challenge's scored submissions (needs ``republish``).

    Returns:
        The challenge slug.

    Raises:
        BundleError: a referenced dataset is not published, or is not a synthetic replica nor declared public.
        GateFailedError: the synthetic replica of a code bundle's test features fails a gate.
        ChallengeError: the slug is taken by a different bundle (without ``republish``) or closed,
            or ``rescore`` without ``republish``.
    """
    spec = bundle.spec
    if rescore and not republish:
        raise ChallengeError(f"challenge {spec.slug!r}: rescoring (--rescore) needs an explicit --republish")
    datasets = validate_against_store(bundle, db)
    answers = bundle.read_answers()
    answers[SPLIT_COLUMN] = assign_split(answers[spec.id_column], spec.split.public_fraction, spec.split.seed)
    digest = _bundle_digest(bundle)
    if _unchanged(db, spec, digest):
        return spec.slug
    features = bundle.read_test_features(answers) if spec.is_code else None
    replica = None
    if features is not None:  # its own transaction, before the challenge row's (SQLite takes one writer)
        replica = publish_test_replica(
            db, settings, spec.test_replica, features, slug=spec.slug, seed=spec.split.seed, actor=actor,
            override_reason=spec.test_replica_override_reason,
        )  # fmt: skip
    with db.session() as session:
        row = _upsert_row(session, spec, digest, republish=republish)
        if row is None:
            return spec.slug
        session.flush()
        write_scoring_side(answers, answers_path(settings, spec.slug))
        if features is not None:
            write_scoring_side(features, held_out_features_path(settings, spec.slug))
        _write_public(bundle, public_dir(settings, spec.slug))
        audit(
            session,
            actor,
            "challenge.republish" if row.version > 1 else "challenge.publish",
            spec.slug,
            version=row.version,
            answers_digest=digest,
            datasets=datasets,
            rows=len(answers),
            public_rows=int((answers[SPLIT_COLUMN] == "public").sum()),
            submission=spec.submission,
            test_replica=replica,
        )
        if rescore:
            _requeue_scored(session, row, actor)
    return spec.slug


def list_challenges(db: Database) -> list[Challenge]:
    """Every challenge with its phases, newest first (detached rows, safe to read after return)."""
    with db.session() as session:
        query = select(Challenge).options(selectinload(Challenge.phases))
        return list(session.scalars(query.order_by(Challenge.published_at.desc(), Challenge.slug)))


def close_challenge(db: Database, slug: str, actor: str = "cli") -> Challenge:
    """Close a challenge: no more submissions, private board may be revealed.

    Raises:
        NotFoundError: no challenge has this slug.
        ChallengeError: the challenge is already closed.
    """
    with db.session() as session:
        row = session.scalar(select(Challenge).where(Challenge.slug == slug).options(selectinload(Challenge.phases)))
        if row is None:
            raise NotFoundError(f"challenge {slug!r} does not exist")
        if row.state == ChallengeState.closed:
            raise ChallengeError(f"challenge {slug!r} is already closed (at {row.closed_at:%Y-%m-%d %H:%M} UTC)")
        row.state, row.closed_at = ChallengeState.closed, utcnow()
        audit(session, actor, "challenge.close", slug, version=row.version)
    return row
