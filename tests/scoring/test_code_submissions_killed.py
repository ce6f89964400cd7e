"""A worker process SIGKILLed while its enclave runs a code submission: the run is redone and scored exactly once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from code_challenges import UID_BASE, archive_of, code_settings, publish_code_challenge
from enclave_runs import enclave_missing
from sqlalchemy import func, select
from test_scoring_worker_killed import _wait_for, spawn, worker_env  # noqa: F401 - fixtures

from arena.db import Database
from arena.models import Score, Submission, SubmissionState
from arena.settings import Settings
from sandboxes import ensure_sandbox_env
from scoring import accept_submission
from scoring.code_runs import runs_dir
from scoring.enclave.launcher import enclave_processes

pytestmark = pytest.mark.skipif(enclave_missing() is not None, reason=f"no enclave here: {enclave_missing()}")

SLOW = """
    import time
    import pandas as pd

    def predict(features):
        time.sleep(6)
        return pd.DataFrame({"person_id": features["person_id"], "label": features["age"] / 2})
"""


def test_killed_worker_code_run_is_redone_and_scored_once(
    db: Database, db_settings: Settings, users, worker_env, spawn, tmp_path: Path  # noqa: F811
) -> None:
    ensure_sandbox_env(db_settings)
    settings = code_settings(db_settings)
    publish_code_challenge(db, settings)
    archive = archive_of(tmp_path / "code", SLOW)
    with archive.open("rb") as stream:
        submission_id = accept_submission(db, settings, "people-code", "alice", stream, archive.name).id
    env = worker_env | {
        "ARENA_ENCLAVE_UID_BASE": str(UID_BASE),
        "ARENA_SANDBOX_ENV_DIR": str(settings.sandbox_env_dir),
    }

    first = spawn(env, "worker", "--name", "doomed")
    _wait_for(lambda: enclave_processes(UID_BASE) != [], 90, "the first worker's enclave run to start")
    time.sleep(1)
    first.kill()
    first.wait(timeout=10)
    spawn(env, "worker", "--name", "rescuer")

    def done() -> bool:
        with db.session() as session:
            return session.get(Submission, submission_id).state in (SubmissionState.scored, SubmissionState.failed)

    _wait_for(done, 120, "the second worker to redo the run")
    with db.session() as session:
        row = session.get(Submission, submission_id)
        scores = session.execute(
            select(Score.split, Score.metric, func.count()).where(Score.submission_id == submission_id)
            .group_by(Score.split, Score.metric)
        ).all()  # fmt: skip
    assert (row.state, row.outcome, row.attempts, row.worker) == (SubmissionState.scored, "ok", 2, "rescuer")
    assert sorted(scores) == [("private", "mae", 1), ("private", "rmse", 1), ("public", "mae", 1), ("public", "rmse", 1)]
    assert row.log_path == str(runs_dir(settings) / f"{submission_id}-2" / "run" / "run.log")
    _wait_for(lambda: enclave_processes(UID_BASE) == [], 30, "the killed worker's enclave processes to be gone")
