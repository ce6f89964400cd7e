"""Republishing answers re-queues scored submissions only when asked (``--republish --rescore``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from arena.db import Database
from arena.models import AuditEvent, Score, Submission, SubmissionState
from arena.settings import Settings
from challenges import ChallengeError, load_bundle, publish_challenge
from scoring import Worker

BundleMaker = Callable[..., Path]
Scorer = Callable[[str, str, pd.DataFrame], Submission]


@pytest.fixture
def scored_once(
    published_open: str,
    make_bundle: BundleMaker,
    open_spec: dict,
    submit_scored: Scorer,
    answers_frame: Callable[..., pd.DataFrame],
) -> tuple[Submission, Path]:
    """lan's perfect submission, scored; and a corrected bundle whose answers differ (every band shifted)."""
    scored = submit_scored(published_open, "lan", answers_frame())
    corrected = answers_frame().assign(income_band=lambda frame: (frame["income_band"] + 1) % 4)
    return scored, make_bundle(open_spec, answers=corrected, name="corrected")


def _accuracy(db: Database, submission_id: int) -> float | None:
    with db.session() as session:
        return session.scalar(
            select(Score.value).where(
                Score.submission_id == submission_id, Score.split == "private", Score.metric == "accuracy"
            )
        )


def test_rescore_requeues_and_scores_against_new_answers(
    scored_once: tuple[Submission, Path], users: Database, db_settings: Settings
) -> None:
    submission, corrected = scored_once
    before = _accuracy(users, submission.id)

    publish_challenge(users, db_settings, load_bundle(corrected), actor="minh", republish=True, rescore=True)
    with users.session() as session:
        requeued = session.get(Submission, submission.id)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.rescore")).one()
    rescored = Worker(users, db_settings, "rescorer").run_once()

    assert before == 1.0
    assert (requeued.state, requeued.scored_at, requeued.error) == (SubmissionState.queued, None, None)
    assert (event.actor, event.detail["version"], event.detail["submissions"]) == ("minh", 2, [submission.id])
    assert rescored is not None and rescored.id == submission.id and rescored.state == SubmissionState.scored
    assert _accuracy(users, submission.id) == 0.0


def test_republish_without_rescore_keeps_scores(
    scored_once: tuple[Submission, Path], users: Database, db_settings: Settings
) -> None:
    submission, corrected = scored_once

    publish_challenge(users, db_settings, load_bundle(corrected), actor="minh", republish=True)

    with users.session() as session:
        assert session.get(Submission, submission.id).state == SubmissionState.scored
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "challenge.rescore")) is None
    assert _accuracy(users, submission.id) == 1.0


def test_rescore_needs_republish(scored_once: tuple[Submission, Path], users: Database, db_settings: Settings) -> None:
    _, corrected = scored_once

    with pytest.raises(ChallengeError, match=r"rescoring \(--rescore\) needs an explicit --republish"):
        publish_challenge(users, db_settings, load_bundle(corrected), actor="minh", rescore=True)
