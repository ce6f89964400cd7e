"""The scoring queue's consumer: claim a queued submission, score it, record the result.

The ``submissions`` table is the queue. A claim is one atomic statement (PostgreSQL:
``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)``; SQLite: the same conditional
``UPDATE … WHERE state='queued'``, writes being serialised), so two workers never take the
same row. While scoring, a heartbeat thread refreshes ``heartbeat_at``; :func:`requeue_stale`
puts rows whose worker died back in the queue.

A code submission is run in the enclave on the real test features (:mod:`scoring.code_runs`)
and its predictions scored like a file's; a claim skips the code submissions of a team that
already has one running, so each team has at most one code run at a time.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import and_, not_, select, update
from sqlalchemy.orm import Session, aliased

from arena.db import Database, audit
from arena.models import Challenge, Score, Submission, SubmissionKind, SubmissionState, utcnow
from arena.settings import Settings
from scoring.answers import read_published_answers
from scoring.code_runs import CodeRun, run_code_submission
from scoring.code_upload import is_code_challenge
from scoring.enclave import RunOutcome
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
        running = aliased(Submission)
        team_running_code = (
            select(running.id)
            .where(
                running.team_id == Submission.team_id,
                running.kind == SubmissionKind.code,
                running.state == SubmissionState.scoring,
            )
            .exists()
        )
        oldest = (
            select(Submission.id)
            .where(
                Submission.state == SubmissionState.queued,
                not_(and_(Submission.kind == SubmissionKind.code, team_running_code)),
            )
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

    def _spec(self, submission: Submission) -> dict:
        with self.db.session() as session:
            spec = dict(session.get(Challenge, submission.challenge_id).spec)
            audit(session, f"worker:{self.name}", "answers.read", f"challenge:{spec['slug']}", submission=submission.id)
        return spec

    def _evaluate(self, submission: Submission) -> dict[str, dict[str, float]]:
        spec = self._spec(submission)
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
        run: CodeRun | None = None
        try:
            if submission.kind == SubmissionKind.code:
                run = self._run_code(submission)
                error, scores = run.error, run.scores
            else:
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
            if run is not None:
                row.outcome, row.run_bucket = run.outcome.value, run.bucket
                row.log_path = None if run.log_path is None else str(run.log_path)
                audit(session, f"worker:{self.name}", "code.run", f"submission:{row.id}", outcome=run.outcome.value)
            row.scored_at = utcnow()
            row.heartbeat_at = None
            session.add_all(
                Score(submission_id=row.id, split=split, metric=metric, value=value)
                for split, values in scores.items()
                for metric, value in values.items()
            )
            session.flush()
            return row

    def _run_code(self, submission: Submission) -> CodeRun:
        """Run a code submission in the enclave; any fault on the way is the platform's (only the fixed text shows)."""
        try:
            spec = self._spec(submission)
            if not is_code_challenge(spec):
                raise ScoringError(f"challenge {spec['slug']!r} takes predictions, not code (republished since?)")
            return run_code_submission(self.settings, spec, submission)
        except Exception:
            log.exception("submission %s: platform error around the code run", submission.id)
            return CodeRun(RunOutcome.platform_error, {}, None, None)

    def run_once(self) -> Submission | None:
        """Claim and score one submission; None when the queue was empty."""
        submission = self.claim()
        return None if submission is None else self.score(submission)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Score submissions until ``stop_event`` is set, re-queueing stale ones while idle.

        Runs ``settings.enclave_slots`` claim loops at once (threads of this worker), so that as
        many code runs as the enclave has slots can run side by side; each loop takes one
        submission at a time.
        """
        log.info("worker %s started", self.name)
        helpers = [
            threading.Thread(target=self._loop, args=(stop_event,), name=f"{self.name}-slot-{slot}", daemon=True)
            for slot in range(1, max(1, self.settings.enclave_slots))
        ]
        for helper in helpers:
            helper.start()
        self._loop(stop_event)
        for helper in helpers:
            helper.join()
        log.info("worker %s stopped", self.name)

    def _loop(self, stop_event: threading.Event) -> None:
        while not stop_event.is_set():
            try:
                if self.run_once() is None:
                    requeue_stale(self.db, self.settings)
                    stop_event.wait(self.settings.worker_poll_seconds)
            except Exception:
                log.exception("worker %s: error in the scoring loop", self.name)
                stop_event.wait(self.settings.worker_poll_seconds)
