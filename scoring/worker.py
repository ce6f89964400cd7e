"""The scoring queue's consumer: claim a queued submission, score it, record the result.

The ``submissions`` table is the queue. A claim is one atomic statement (PostgreSQL:
``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)``; SQLite: the same conditional
``UPDATE … WHERE state='queued'``, writes being serialised), so two workers never take the
same row. While scoring, a heartbeat thread refreshes ``heartbeat_at``; :func:`requeue_stale`
puts rows whose worker died back in the queue.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arena.db import Database, audit
from arena.models import Challenge, Score, Submission, SubmissionState, utcnow
from arena.settings import Settings
from scoring.answers import read_published_answers
from scoring.compute import SPLITS, compute_scores, metric_names
from scoring.errors import ScoringError
from scoring.locking import begin_write
from scoring.store import submission_path
from scoring.validation import align_submission, read_submission

__all__ = ["Worker", "requeue_stale"]

log = logging.getLogger(__name__)


def requeue_stale(db: Database, settings: Settings) -> int:
    """Put ``scoring`` rows whose heartbeat is older than ``settings.watchdog_stale_seconds`` back in the queue.

    Returns:
        How many submissions were re-queued.
    """
    cutoff = utcnow() - timedelta(seconds=settings.watchdog_stale_seconds)
    with db.session() as session:
        stale = session.scalars(
            update(Submission)
            .where(Submission.state == SubmissionState.scoring, Submission.heartbeat_at < cutoff)
            .values(state=SubmissionState.queued, worker=None, heartbeat_at=None)
            .returning(Submission.id)
        ).all()
        for submission_id in stale:
            audit(session, "watchdog", "submission.requeue", f"submission:{submission_id}")
    if stale:
        log.warning("re-queued stale submissions %s", stale)
    return len(stale)


class Worker:
    """One scoring worker (run several, in threads or processes, against the same database)."""

    def __init__(self, db: Database, settings: Settings, name: str) -> None:
        """Create a worker.

        Args:
            db: The platform database (the queue).
            settings: Platform settings (answers and submissions stores, timings).
            name: Worker name recorded on claimed rows (unique per worker).
        """
        self.db, self.settings, self.name = db, settings, name

    def claim(self) -> Submission | None:
        """Atomically take the oldest queued submission (state → ``scoring``), or None when the queue is empty."""
        oldest = (
            select(Submission.id)
            .where(Submission.state == SubmissionState.queued)
            .order_by(Submission.created_at, Submission.id)
            .limit(1)
        )
        if not self.db.is_sqlite:
            oldest = oldest.with_for_update(skip_locked=True)
        with self.db.session() as session:
            claimed = session.scalar(
                update(Submission)
                .where(Submission.id == oldest.scalar_subquery(), Submission.state == SubmissionState.queued)
                .values(
                    state=SubmissionState.scoring,
                    worker=self.name,
                    heartbeat_at=utcnow(),
                    attempts=Submission.attempts + 1,
                )
                .returning(Submission.id)
            )
            return None if claimed is None else session.get(Submission, claimed, populate_existing=True)

    def _heartbeat(self, submission_id: int, done: threading.Event) -> None:
        while not done.wait(self.settings.worker_heartbeat_seconds):
            with self.db.session() as session:
                session.execute(
                    update(Submission)
                    .where(Submission.id == submission_id, Submission.worker == self.name)
                    .values(heartbeat_at=utcnow())
                )

    def _evaluate(self, submission: Submission) -> dict[str, dict[str, float]]:
        with self.db.session() as session:
            spec = dict(session.get(Challenge, submission.challenge_id).spec)
            audit(session, f"worker:{self.name}", "answers.read", f"challenge:{spec['slug']}", submission=submission.id)
        answers = read_published_answers(self.settings, spec)
        stored = submission_path(self.settings, submission.file_digest)
        frame = read_submission(stored, spec["id_column"], self.settings.submission_max_columns)
        aligned = align_submission(frame, answers, spec)
        return compute_scores(aligned, metric_names(spec), SPLITS)

    def _finish(self, session: Session, submission_id: int) -> Submission | None:
        """The claimed row, if this worker still owns it (the watchdog may have re-queued it)."""
        row = session.get(Submission, submission_id, with_for_update=not self.db.is_sqlite, populate_existing=True)
        if row is None or row.state != SubmissionState.scoring or row.worker != self.name:
            log.warning("submission %s is no longer ours; result dropped", submission_id)
            return None
        return row

    def score(self, submission: Submission) -> Submission:
        """Score a claimed submission and record ``scored`` (with Score rows) or ``failed`` (with the reason).

        Returns:
            The submission row as recorded.
        """
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(submission.id, done), daemon=True)
        beat.start()
        error: str | None = None
        try:
            scores = self._evaluate(submission)
        except ScoringError as problem:
            error, scores = str(problem), {}
        except Exception as problem:
            log.exception("unexpected error scoring submission %s", submission.id)
            error, scores = f"internal error while scoring: {type(problem).__name__}: {problem}", {}
        finally:
            done.set()
            beat.join()
        with self.db.session() as session:
            begin_write(self.db, session)
            row = self._finish(session, submission.id)
            if row is None:
                return session.get(Submission, submission.id)
            row.state = SubmissionState.failed if error else SubmissionState.scored
            row.error = error
            row.scored_at = utcnow()
            row.heartbeat_at = None
            session.add_all(
                Score(submission_id=row.id, split=split, metric=metric, value=value)
                for split, values in scores.items()
                for metric, value in values.items()
            )
            session.flush()
            return row

    def run_once(self) -> Submission | None:
        """Claim and score one submission; None when the queue was empty."""
        submission = self.claim()
        return None if submission is None else self.score(submission)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Score submissions until ``stop_event`` is set, re-queueing stale ones while idle."""
        log.info("worker %s started", self.name)
        while not stop_event.is_set():
            try:
                if self.run_once() is None:
                    requeue_stale(self.db, self.settings)
                    stop_event.wait(self.settings.worker_poll_seconds)
            except Exception:
                log.exception("worker %s: error in the scoring loop", self.name)
                stop_event.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.name)
