"""Code submissions through the worker: real enclave runs on the real test features, then strict scoring.

Each outcome of the fixed list from a real run; a validation failure of the predictions recorded as
``invalid_output`` with the fixed text only; platform errors refunded from the quota; one code run
per team at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from code_challenges import SENTINEL, archive_of, code_settings, publish_code_challenge
from enclave_runs import enclave_missing
from sqlalchemy import select, update

from arena.db import Database
from arena.models import Score, Submission, SubmissionKind, SubmissionState
from arena.settings import Settings
from sandboxes import ensure_sandbox_env
from scoring import QuotaExceededError, Worker, accept_submission
from scoring.code_runs import OUTCOME_TEXT
from scoring.enclave import RunOutcome
from scoring.errors import SubmissionError

pytestmark = pytest.mark.skipif(enclave_missing() is not None, reason=f"no enclave here: {enclave_missing()}")

GOOD = """
    import pandas as pd

    def predict(features):
        return pd.DataFrame({"person_id": features["person_id"], "label": features["age"] / 2})
"""
RAISES = f"""
    def predict(features):
        print(features.to_string())
        raise ValueError(str(features["nickname"].iloc[0]))
"""
NONE = """
    def predict(features):
        return None
"""
ROW_MISSING = """
    import pandas as pd

    def predict(features):
        return pd.DataFrame({"person_id": features["person_id"], "label": features["age"] / 2}).iloc[1:]
"""
VALUES_ECHOED = """
    import pandas as pd

    def predict(features):
        return pd.DataFrame({"person_id": features["person_id"], "label": features["nickname"]})
"""
SLEEPS = """
    import time

    def predict(features):
        time.sleep(60)
"""


@pytest.fixture
def settings(db_settings: Settings) -> Settings:
    """The test database's settings with these tests' enclave uids and a built sandbox environment."""
    ensure_sandbox_env(db_settings)
    return code_settings(db_settings)


@pytest.fixture
def submit_code(db: Database, settings: Settings, users, tmp_path: Path) -> Callable[..., Submission]:
    counter = iter(range(1000))

    def _submit(main_py: str, who: str = "alice", slug: str = "people-code") -> Submission:
        archive = archive_of(tmp_path / f"code-{next(counter)}", main_py)
        with archive.open("rb") as stream:
            return accept_submission(db, settings, slug, who, stream, archive.name)

    return _submit


def _scores(db: Database, submission_id: int) -> dict[tuple[str, str], float]:
    with db.session() as session:
        rows = session.scalars(select(Score).where(Score.submission_id == submission_id)).all()
        return {(row.split, row.metric): row.value for row in rows}


def test_a_good_run_is_scored_on_the_real_features(db: Database, settings: Settings, submit_code) -> None:
    publish_code_challenge(db, settings)
    submission = submit_code(GOOD)

    done = Worker(db, settings, "w").run_once()

    assert submission.kind == SubmissionKind.code
    assert (done.state, done.outcome, done.error, done.run_bucket) == (SubmissionState.scored, "ok", None, "<10 s")
    assert _scores(db, done.id) == {
        ("public", "rmse"): 0.0, ("public", "mae"): 0.0, ("private", "rmse"): 0.0, ("private", "mae"): 0.0
    }  # fmt: skip
    log = Path(done.log_path)
    assert log.is_file() and log.stat().st_mode & 0o077 == 0 and log.is_relative_to(settings.resolved_data_dir)


@pytest.mark.parametrize(
    ("main_py", "outcome", "in_log"),
    [
        (RAISES, RunOutcome.error, SENTINEL),
        (NONE, RunOutcome.no_output, "no_output"),
        (ROW_MISSING, RunOutcome.invalid_output, "invalid_output"),
        (VALUES_ECHOED, RunOutcome.invalid_output, SENTINEL),  # refused by the scoring side's validation
    ],
    ids=["error", "no-output", "invalid-output-harness", "invalid-output-validation"],
)
def test_a_failed_run_records_only_the_fixed_outcome(
    db: Database, settings: Settings, submit_code, main_py: str, outcome: RunOutcome, in_log: str
) -> None:
    publish_code_challenge(db, settings)
    submit_code(main_py)

    done = Worker(db, settings, "w").run_once()

    assert (done.state, done.outcome, done.error) == (SubmissionState.failed, outcome.value, OUTCOME_TEXT[outcome])
    assert SENTINEL not in done.error and done.run_bucket == "<10 s"
    assert in_log in Path(done.log_path).read_text()  # the organisers' log keeps the details
    assert _scores(db, done.id) == {}


def test_a_run_over_its_time_limit_is_a_timeout(db: Database, settings: Settings, submit_code) -> None:
    publish_code_challenge(db, settings, wall_seconds=3)
    submit_code(SLEEPS)

    done = Worker(db, settings, "w").run_once()

    assert (done.state, done.outcome, done.error) == (SubmissionState.failed, "timeout", OUTCOME_TEXT[RunOutcome.timeout])
    assert done.run_bucket == "<10 s"


def test_platform_errors_are_refunded_and_code_failures_count(db: Database, settings: Settings, submit_code) -> None:
    challenge = publish_code_challenge(db, settings, limits={"per_day": 2, "total": 2, "final_selection": 1, "team_size": 3})
    features = settings.answers_dir / challenge.spec["slug"] / "test_features.parquet"
    worker = Worker(db, settings, "w")
    features.rename(features.with_suffix(".away"))
    submit_code(GOOD)
    lost = worker.run_once()  # the real features are missing: the platform's fault
    features.with_suffix(".away").rename(features)

    submit_code(RAISES)
    failed = worker.run_once()
    submit_code(GOOD)
    scored = worker.run_once()

    assert (lost.state, lost.outcome) == (SubmissionState.failed, "platform_error")
    assert lost.error == OUTCOME_TEXT[RunOutcome.platform_error]
    assert (failed.outcome, scored.outcome) == ("error", "ok")
    with pytest.raises(QuotaExceededError, match="limits.total reached: 2"):
        submit_code(GOOD)


def test_one_code_run_per_team_at_a_time(db: Database, settings: Settings, submit_code) -> None:
    publish_code_challenge(db, settings)
    running, waiting = submit_code(GOOD), submit_code(GOOD)
    other_team = submit_code(GOOD, who="bob")
    with db.session() as session:
        session.execute(
            update(Submission).where(Submission.id == running.id).values(state=SubmissionState.scoring, worker="else")
        )
    worker = Worker(db, settings, "w")

    first = worker.claim()
    blocked = worker.claim()
    with db.session() as session:
        session.execute(update(Submission).where(Submission.id == running.id).values(state=SubmissionState.failed))
    after = worker.claim()

    assert first.id == other_team.id and blocked is None and after.id == waiting.id


def test_uploads_must_suit_the_challenge_mode(
    db: Database, settings: Settings, submit_code, publish, predictions, tmp_path: Path
) -> None:
    publish_code_challenge(db, settings)
    answers = publish()["answers"]  # a predictions challenge "churn"
    csv = predictions(answers)

    with csv.open("rb") as stream, pytest.raises(SubmissionError, match="'people-code' is a code challenge: upload a"):
        accept_submission(db, settings, "people-code", "alice", stream, csv.name)
    with pytest.raises(SubmissionError, match="'churn' takes a predictions file"):
        submit_code(GOOD, slug="churn")
    with pytest.raises(SubmissionError, match="no main.py"):
        archive = archive_of(tmp_path / "empty", "x = 1\n").with_name("bad.tar.gz")
        import tarfile

        with tarfile.open(archive, "w:gz") as packed:
            packed.add(tmp_path / "empty" / "main.py", arcname="other.py")
        with archive.open("rb") as stream:
            accept_submission(db, settings, "people-code", "alice", stream, archive.name)
    with db.session() as session:
        assert session.scalars(select(Submission)).all() == []


def test_organisers_read_a_run_log_with_the_cli_audited(
    db: Database, settings: Settings, submit_code, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from arena.accounts import create_user
    from arena.models import AuditEvent, Role
    from cli.challenge import app

    publish_code_challenge(db, settings)
    submit_code(RAISES)
    done = Worker(db, settings, "w").run_once()
    with db.session() as session:
        create_user(session, "olga", Role.organiser, None)
    monkeypatch.setenv("ARENA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ARENA_DATABASE_URL", settings.db_url)

    refused = CliRunner().invoke(app, ["run-log", str(done.id), "--actor", "alice"])
    shown = CliRunner().invoke(app, ["run-log", str(done.id), "--actor", "olga"])

    assert refused.exit_code != 0 and "organiser" in str(refused.exception)
    assert shown.exit_code == 0 and SENTINEL in shown.output and "ValueError" in shown.output
    with db.session() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "code.log.read")).all()
    assert [(event.actor, event.object) for event in reads] == [("olga", f"submission:{done.id}")]


SLOW = """
    import time
    import pandas as pd

    def predict(features):
        time.sleep(4)
        return pd.DataFrame({"person_id": features["person_id"], "label": features["age"] / 2})
"""


@pytest.mark.parametrize("slots", [1, 2])
def test_a_worker_runs_as_many_code_runs_at_once_as_the_enclave_has_slots(
    db: Database, settings: Settings, submit_code, slots: int
) -> None:
    import threading
    import time

    from sqlalchemy import func

    publish_code_challenge(db, settings)
    ids = [submit_code(SLOW, who=who).id for who in ("alice", "bob")]  # two teams: no one-per-team wait
    worker = Worker(db, settings.model_copy(update={"enclave_slots": slots, "worker_poll_seconds": 0.1}), "w")
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    most = 0
    thread.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with db.session() as session:
                running = session.scalar(select(func.count()).where(Submission.state == SubmissionState.scoring))
                done = session.scalar(select(func.count()).where(Submission.state == SubmissionState.scored))
            most = max(most, running)
            if done == len(ids):
                break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert done == len(ids) and most == slots
