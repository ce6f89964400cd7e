"""A worker process SIGKILLed mid-score: another worker re-queues and scores the submission exactly once.

Real processes (``arena worker``), a real plugin metric registered through the
``data_arena.metrics`` entry point (a ``.dist-info`` on the workers' PYTHONPATH) that sleeps
in the first worker so it can be killed while scoring, and ``arena queue-status`` read
through the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arena.db import Database
from arena.models import Score, Submission, SubmissionState
from arena.settings import Settings
from scoring import accept_submission

ARENA = str(Path(sys.executable).with_name("arena"))
PLUGIN = """
import os, time
from pathlib import Path
from sklearn.metrics import accuracy_score
from scoring import Metric

def _slow_accuracy(y_true, y_pred):
    marker = os.environ.get("SLOW_METRIC_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(120)
    return accuracy_score(y_true, y_pred)

METRIC = Metric("slow_accuracy", _slow_accuracy, True, False, ("classification",))
"""


@pytest.fixture
def worker_env(tmp_path: Path, db_settings: Settings, db_url: str) -> dict[str, str]:
    """Environment of the worker processes: the test database, fast timings, the plugin on the path."""
    plugins = tmp_path / "plugins"
    info = plugins / "slow_metric-0.dist-info"
    info.mkdir(parents=True)
    (plugins / "slow_metric.py").write_text(PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: slow-metric\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[data_arena.metrics]\nslow_accuracy = slow_metric:METRIC\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    return env | {
        "PYTHONPATH": str(plugins),
        "ARENA_DATABASE_URL": db_url,
        "ARENA_DATA_DIR": str(db_settings.data_dir),
        "ARENA_WORKER_POLL_SECONDS": "0.1",
        "ARENA_WORKER_HEARTBEAT_SECONDS": "0.2",
        "ARENA_WATCHDOG_STALE_SECONDS": "1",
    }


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start ``arena`` subprocesses (cwd: an empty folder, so no .env applies); all killed at the end."""
    started: list[subprocess.Popen] = []

    def _spawn(env: dict[str, str], *args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [ARENA, *args], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        started.append(process)
        return process

    yield _spawn
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds}s waiting for {what}"
        time.sleep(0.1)


def _queue_status(spawn: Callable[..., subprocess.Popen], env: dict[str, str]) -> dict:
    output, _ = spawn(env, "queue-status", "--json").communicate(timeout=60)
    return json.loads(output.decode().strip().splitlines()[-1])


def test_killed_worker_submission_is_scored_exactly_once(
    db: Database, db_settings: Settings, publish, users, predictions, worker_env, spawn, tmp_path: Path
) -> None:
    answers = publish(primary="slow_accuracy", secondary=())["answers"]
    ids = []
    for path in (predictions(answers), predictions(answers.iloc[:-2])):  # a good file, then a bad one
        with path.open("rb") as stream:
            ids.append(accept_submission(db, db_settings, "churn", "alice", stream, path.name).id)
    marker = tmp_path / "scoring-started"

    first = spawn(worker_env | {"SLOW_METRIC_MARKER": str(marker)}, "worker", "--name", "doomed")
    _wait_for(marker.exists, 90, "the first worker to start scoring")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    mid = _queue_status(spawn, worker_env)
    spawn(worker_env, "worker", "--name", "rescuer")

    def all_done() -> bool:
        with db.session() as session:
            states = session.scalars(select(Submission.state).where(Submission.id.in_(ids))).all()
        return all(state in (SubmissionState.scored, SubmissionState.failed) for state in states)

    _wait_for(all_done, 90, "the second worker to finish both submissions")
    after = _queue_status(spawn, worker_env)
    with db.session() as session:
        good, bad = (session.get(Submission, i) for i in ids)
        scores = session.execute(
            select(Score.split, Score.metric, func.count())
            .where(Score.submission_id == good.id)
            .group_by(Score.split, Score.metric)
        ).all()
    assert mid["scoring"] == 1 and mid["queued"] == 1 and mid["oldest_queued_age_seconds"] >= 0
    assert (good.state, good.attempts, good.worker) == (SubmissionState.scored, 2, "rescuer")
    assert sorted(scores) == [("private", "slow_accuracy", 1), ("public", "slow_accuracy", 1)]
    assert bad.state == SubmissionState.failed and bad.error.startswith("2 of 40 ids are missing")
    assert after == {"queued": 0, "scoring": 0, "scored": 1, "failed": 1, "oldest_queued_age_seconds": None}


def test_two_worker_processes_share_one_queue_without_double_scoring(
    db: Database, db_settings: Settings, publish, users, predictions, worker_env, spawn
) -> None:
    answers = publish()["answers"]
    ids = []
    for _ in range(12):
        with predictions(answers).open("rb") as stream:
            ids.append(accept_submission(db, db_settings, "churn", "alice", stream, "p.csv").id)

    for name in ("host-a", "host-b"):
        spawn(worker_env, "worker", "--name", name)

    def all_scored() -> bool:
        with db.session() as session:
            states = session.scalars(select(Submission.state).where(Submission.id.in_(ids))).all()
        return all(state == SubmissionState.scored for state in states)

    _wait_for(all_scored, 120, "two workers to score every submission")
    with db.session() as session:
        rows = session.scalars(select(Submission).where(Submission.id.in_(ids))).all()
        per_submission = dict(
            session.execute(
                select(Score.submission_id, func.count())
                .where(Score.submission_id.in_(ids))
                .group_by(Score.submission_id)
            ).all()
        )
    assert {row.attempts for row in rows} == {1}, "a submission was claimed twice"
    assert {row.worker for row in rows} <= {"host-a", "host-b"}
    assert len(per_submission) == len(ids) and len(set(per_submission.values())) == 1  # one score set each
    assert per_submission[ids[0]] >= 2  # public and private

