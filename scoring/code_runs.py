"""A code submission on the scoring side: check the upload, run it in the enclave, score its predictions.

What may come back to the competitor from a run on the real features is fixed here and nowhere
else: the outcome (one of :class:`scoring.enclave.RunOutcome`), a fixed text per outcome
(:data:`OUTCOME_TEXT`), the run time in a coarse bucket (:func:`run_bucket`) and, when the run is
ok and its predictions pass validation, the scores. A validation failure of a code run's
predictions is recorded as ``invalid_output`` with the fixed text, never the validation message
(it may echo values the code chose, i.e. real data). The run's log stays on the scoring side
(``log_path``), for organisers only.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.db import Database, audit
from arena.errors import NotFoundError
from arena.models import Submission, SubmissionKind
from arena.settings import Settings
from scoring.answers import published_features_path, read_published_answers
from scoring.code_upload import code_upload_limit
from scoring.compute import SPLITS, compute_scores, metric_names
from scoring.enclave import CodeLimits, RunOutcome, run_code, unpack_code
from scoring.errors import ScoringError, SubmissionError
from scoring.store import submission_path
from scoring.validation import align_submission, read_submission

__all__ = [
    "OUTCOME_TEXT",
    "CodeRun",
    "read_run_log",
    "run_bucket",
    "run_code_submission",
    "runs_dir",
]

log = logging.getLogger(__name__)


OUTCOME_TEXT: dict[RunOutcome, str] = {
    RunOutcome.ok: "the code ran and its predictions were scored",
    RunOutcome.timeout: "the run passed its time limit (code.wall_seconds)",
    RunOutcome.out_of_memory: "the run passed its memory limit (code.memory_mb)",
    RunOutcome.error: "the code raised an error (importing main.py or calling predict)",
    RunOutcome.no_output: "predict returned no DataFrame",
    RunOutcome.invalid_output: "the predictions broke a rule: the id and target columns, every id once, no missing "
    "or unusable target value",
    RunOutcome.platform_error: "the platform could not run the code (not your fault; it does not count against "
    "your quota)",
}
"""The one text a competitor sees per outcome: fixed by the platform, nothing of the run in it."""

_BUCKETS = ((10.0, "<10 s"), (60.0, "<1 min"), (600.0, "<10 min"))


def run_bucket(seconds: float) -> str:
    """The run time as competitors see it: ``<10 s``, ``<1 min``, ``<10 min`` or ``longer``."""
    return next((label for limit, label in _BUCKETS if seconds < limit), "longer")


def runs_dir(settings: Settings) -> Path:
    """Where code runs' folders (unpacked code, logs) live: scoring side only, 0700."""
    return settings.resolved_data_dir / "runs"


@dataclass(frozen=True)
class CodeRun:
    """What a code submission's run gave: outcome, scores (ok only), time bucket, scoring-side log."""

    outcome: RunOutcome
    scores: dict[str, dict[str, float]]
    bucket: str | None
    log_path: Path | None

    @property
    def error(self) -> str | None:
        """The fixed text shown for a failed run (None when scored)."""
        return None if self.outcome is RunOutcome.ok else OUTCOME_TEXT[self.outcome]


def _fresh_run_folder(settings: Settings, submission: Submission) -> Path:
    root = runs_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    folder = root / f"{submission.id}-{submission.attempts}"
    shutil.rmtree(folder, ignore_errors=True)  # a run of the same attempt that a killed worker left
    folder.mkdir(mode=0o700)
    return folder


def _score(settings: Settings, spec: dict[str, Any], predictions: Path) -> dict[str, dict[str, float]]:
    answers = read_published_answers(settings, spec)
    frame = read_submission(predictions, spec["id_column"], settings.submission_max_columns)
    return compute_scores(align_submission(frame, answers, spec), metric_names(spec), SPLITS)


def run_code_submission(settings: Settings, spec: dict[str, Any], submission: Submission) -> CodeRun:
    """Unpack a claimed code submission, run it in the enclave on the real test features, score it.

    Args:
        settings: Platform settings (stores, enclave).
        spec: The challenge's stored spec (code mode).
        submission: The claimed submission (its ``attempts`` names the run folder).

    Returns:
        The run. Never raises for what the competitor's code does (that is an outcome); a fault of
        the platform is the outcome ``platform_error``, logged here with its details.
    """
    folder = _fresh_run_folder(settings, submission)
    log_path = folder / "run" / "run.log"
    try:
        code_dir = unpack_code(
            submission_path(settings, submission.file_digest), folder / "code", code_upload_limit(spec)[0]
        )
        run = run_code(
            settings,
            code_dir=code_dir,
            features=published_features_path(settings, spec["slug"]),
            id_column=spec["id_column"],
            target_column=spec["target_column"],
            limits=CodeLimits.from_spec(spec),
            run_dir=folder / "run",
        )
    except (ScoringError, OSError):  # EnclaveError, an archive that passed at upload and fails now, a store fault
        log.exception("submission %s: the enclave could not run the code", submission.id)
        return CodeRun(RunOutcome.platform_error, {}, None, log_path if log_path.exists() else None)
    bucket = run_bucket(run.wall_seconds)
    if run.outcome is not RunOutcome.ok or run.predictions is None:
        outcome = RunOutcome.invalid_output if run.outcome is RunOutcome.ok else run.outcome
        return CodeRun(outcome, {}, bucket, run.log_path)
    try:
        scores = _score(settings, spec, run.predictions)
    except SubmissionError as problem:  # the message may quote predicted values: it goes to the log only
        _append_log(run.log_path, f"[scoring: predictions refused by validation: {problem}]")
        return CodeRun(RunOutcome.invalid_output, {}, bucket, run.log_path)
    except Exception:  # noqa: BLE001 - whatever it is, only the fixed platform_error text may show
        log.exception("submission %s: the predictions of an ok run could not be scored", submission.id)
        return CodeRun(RunOutcome.platform_error, {}, bucket, run.log_path)
    return CodeRun(RunOutcome.ok, scores, bucket, run.log_path)


def _append_log(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")



def read_run_log(db: Database, submission_id: int, actor: str) -> str:
    """The scoring-side log of a code submission's last run, for an organiser (the read is audited).

    The caller checks that ``actor`` is an organiser or admin (``challenges.require_organiser``).

    Raises:
        NotFoundError: no such submission.
        ScoringError: a predictions submission, or no run has finished yet.
    """
    with db.session() as session:
        row = session.get(Submission, submission_id)
        if row is None:
            raise NotFoundError(f"submission {submission_id} does not exist")
        if row.kind != SubmissionKind.code:
            raise ScoringError(f"submission {submission_id} is a predictions file: it has no run log")
        if not row.log_path or not Path(row.log_path).is_file():
            raise ScoringError(f"submission {submission_id} has no run log yet (state {row.state.value})")
        audit(session, actor, "code.log.read", f"submission:{submission_id}", outcome=row.outcome)
        return Path(row.log_path).read_text(encoding="utf-8", errors="replace")
