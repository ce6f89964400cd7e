"""The queue worker: atomic claims, scoring into Score rows, clear failures, watchdog re-queue."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sqlalchemy import func, select, update

from arena.db import Database
from arena.models import AuditEvent, Score, Submission, SubmissionState, utcnow
from arena.settings import Settings
from scoring import Worker, accept_submission, requeue_stale


def _submit(db: Database, settings: Settings, path, user: str = "alice") -> Submission:
    with path.open("rb") as stream:
        return accept_submission(db, settings, "churn", user, stream, path.name)


def test_worker_scores_each_split_like_sklearn(
    db: Database, db_settings: Settings, publish, users, predictions
) -> None:
    answers = publish()["answers"]
    guess = np.where(np.arange(len(answers)) % 3 == 0, 1 - answers["label"], answers["label"])
    submission = _submit(db, db_settings, predictions(answers, guess, fmt="parquet"))
    scored = Worker(db, db_settings, "w1").run_once()
    with db.session() as session:
        values = {(s.split, s.metric): s.value for s in session.scalars(select(Score))}
        audits = session.scalars(select(AuditEvent.object).where(AuditEvent.action == "answers.read")).all()
    assert scored.id == submission.id and scored.state == SubmissionState.scored and scored.scored_at is not None
    for split in ("public", "private"):
        rows = (answers["split"] == split).to_numpy()
        assert values[(split, "accuracy")] == accuracy_score(answers["label"][rows], guess[rows])
        assert values[(split, "f1_macro")] == f1_score(answers["label"][rows], guess[rows], average="macro")
    assert audits == ["challenge:churn"]


def test_bad_file_fails_with_a_clear_error(db: Database, db_settings: Settings, publish, users, predictions) -> None:
    answers = publish()["answers"]
    _submit(db, db_settings, predictions(answers.iloc[:-3]))
    failed = Worker(db, db_settings, "w1").run_once()
    assert failed.state == SubmissionState.failed
    assert failed.error.startswith("3 of 40 ids are missing from column 'person_id'")
    assert Worker(db, db_settings, "w1").run_once() is None


def test_two_workers_never_score_the_same_submission(
    db: Database, db_settings: Settings, publish, users, predictions
) -> None:
    answers = publish()["answers"]
    for i in range(8):
        _submit(db, db_settings, predictions(answers, (answers["label"] + i) % 2), user=("alice", "bob")[i % 2])
    workers = [Worker(db, db_settings, f"w{i}") for i in range(2)]

    def drain(worker: Worker) -> None:
        while worker.run_once() is not None:
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with db.session() as session:
        rows = session.scalars(select(Submission)).all()
        per_submission = dict(
            session.execute(select(Score.submission_id, func.count()).group_by(Score.submission_id)).all()
        )
    assert all(r.state == SubmissionState.scored and r.attempts == 1 for r in rows)
    assert per_submission == {r.id: 4 for r in rows}


def test_watchdog_requeues_stale_claims_and_drops_late_results(
    db: Database, db_settings: Settings, publish, users, predictions
) -> None:
    answers = publish()["answers"]
    _submit(db, db_settings, predictions(answers))
    dead = Worker(db, db_settings, "dead")
    claimed = dead.claim()
    assert requeue_stale(db, db_settings) == 0  # fresh heartbeat
    with db.session() as session:
        session.execute(update(Submission).values(heartbeat_at=utcnow() - timedelta(seconds=3600)))
    assert requeue_stale(db, db_settings) == 1
    late = dead.score(claimed)  # the dead worker wakes up: its result must be dropped
    assert late.state == SubmissionState.queued
    rescored = Worker(db, db_settings, "alive").run_once()
    assert rescored.state == SubmissionState.scored and rescored.attempts == 2 and rescored.worker == "alive"


def test_run_forever_scores_and_stops_on_the_event(
    db: Database, db_settings: Settings, publish, users, predictions
) -> None:
    answers = publish()["answers"]
    fast = db_settings.model_copy(update={"worker_poll_seconds": 0.05})
    stop = threading.Event()
    thread = threading.Thread(target=Worker(db, fast, "loop").run_forever, args=(stop,), daemon=True)
    thread.start()
    submission = _submit(db, db_settings, predictions(answers))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with db.session() as session:
            if session.get(Submission, submission.id).state == SubmissionState.scored:
                break
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    with db.session() as session:
        assert session.get(Submission, submission.id).state == SubmissionState.scored
