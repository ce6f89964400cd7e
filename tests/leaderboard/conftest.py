"""Fixtures of the leaderboard tests: a seeded platform database and the app under AppTest."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from streamlit.testing.v1 import AppTest

from arena.db import Database
from arena.models import (
    Challenge,
    ChallengeState,
    Dataset,
    Phase,
    Role,
    Score,
    Submission,
    SubmissionState,
    Team,
    TeamMember,
    User,
)
from arena.settings import Settings
from leaderboard.database import close_databases
from scoring import create_app, record_review
from scoring.auth import LEADERBOARD_SERVICE, HubCaller

SLUG = "churn"
TITLE = "Churn prediction"
DESCRIPTION = "Predict which **customers** leave within a year."
PUBLIC = {"accuracy": 0.812345678, "f1_macro": 0.701111111}
PRIVATE = {"accuracy": 0.765432109, "f1_macro": 0.654321987}
SUBMITTED_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
FAILURE = "column 'churned' is missing; the file has columns: person_id, churn"
SPEC = {
    "slug": SLUG,
    "title": TITLE,
    "task": "classification",
    "id_column": "person_id",
    "target_column": "churned",
    "metric": {"primary": "accuracy", "secondary": ["f1_macro"]},
    "datasets": ["people@1"],
    "phases": [{"name": "development", "start": "2026-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}],
    "limits": {"per_day": 5, "total": 100, "final_selection": 2, "team_size": 3},
}


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Streamlit's script runner installs the app as ``sys.modules["__main__"]`` and leaves it
    there; put the real one back so later tests that spawn processes (Dask) still can."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


CARD = {
    "gates": {
        "quality": {"value": 0.91, "threshold": 0.8, "op": ">=", "passed": True},
        "pii_overlap": {"value": 2, "threshold": 0, "op": "<=", "passed": False},
    },
    "tables": {
        "people": {
            "synthetic_rows": 500, "diagnostic": 1.0, "quality": 0.91, "new_row_synthesis": 0.99,
            "column_quality": {"age": 0.95, "province": 0.87},
        }
    },
}  # fmt: skip
QUEUED_AT = datetime(2026, 1, 6, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    """What the seeded database holds."""

    database: Database
    settings: Settings
    slug: str = SLUG
    title: str = TITLE
    description: str = DESCRIPTION
    public: tuple[tuple[str, float], ...] = tuple(PUBLIC.items())
    private: tuple[tuple[str, float], ...] = tuple(PRIVATE.items())
    failure: str = FAILURE
    card: dict = field(default_factory=lambda: CARD)
    queued_at: datetime = QUEUED_AT

    def publish_dataset(self) -> None:
        """Publish ``people@1`` with :data:`CARD` (one failing gate, overridden) and its card.md."""
        with self.database.session() as session:
            session.add(
                Dataset(
                    name="people", version=1, checksum="c" * 64, rows=500, card=CARD, gates=CARD["gates"],
                    override_reason="PII columns regenerated; overlap is chance",
                )
            )  # fmt: skip
        folder = self.settings.datasets_dir / "people" / "1"
        folder.mkdir(parents=True)
        (folder / "card.md").write_text("# Dataset people@1\n\nGates: FAILED\n", encoding="utf-8")

    def queue_submission(self) -> None:
        """Add a queued submission of team Owls, received at :data:`QUEUED_AT`."""
        with self.database.session() as session:
            template = session.query(Submission).filter_by(state=SubmissionState.scored, filename="predictions.csv")
            first = template.order_by(Submission.id).first()
            session.add(
                _submission(
                    first.challenge_id, first.team_id, first.user_id, QUEUED_AT,
                    filename="late.csv", state=SubmissionState.queued, scored_at=None,
                )
            )  # fmt: skip

    def add_teams(self, count: int) -> None:
        """Add ``count`` teams ``T000``… with one scored submission each; the private order is the reverse.

        Team ``Tnnn`` scores ``0.5 + n/1000`` (public) and ``0.9 - n/1000`` (private) accuracy.
        """
        with self.database.session() as session:
            challenge = session.query(Challenge).filter_by(slug=SLUG).one()
            owner = session.query(User).filter_by(name="alice").one()
            teams = [Team(challenge_id=challenge.id, name=f"T{n:03d}") for n in range(count)]
            session.add_all(teams)
            session.flush()
            for n, team in enumerate(teams):
                submission = _submission(challenge.id, team.id, owner.id, datetime(2026, 1, 2 + n % 20, tzinfo=UTC))
                submission.scores = _scores(
                    {"accuracy": 0.5 + n / 1000, "f1_macro": 0.4}, {"accuracy": 0.9 - n / 1000, "f1_macro": 0.3}
                )
                session.add(submission)

    def add_owls_submission(self, public_accuracy: float, private_accuracy: float, hours: int) -> int:
        """Add a scored submission of team Owls, ``hours`` after :data:`SUBMITTED_AT`; returns its id."""
        with self.database.session() as session:
            owls = session.query(Team).filter_by(name="Owls").one()
            alice = session.query(User).filter_by(name="alice").one()
            submission = _submission(owls.challenge_id, owls.id, alice.id, SUBMITTED_AT + timedelta(hours=hours))
            submission.scores = _scores(
                {"accuracy": public_accuracy, "f1_macro": 0.5}, {"accuracy": private_accuracy, "f1_macro": 0.5}
            )
            session.add(submission)
            session.flush()
            return submission.id

    def add_review(self, judge: str, submission_id: int, score: float, comment: str = "") -> None:
        """Store ``judge``'s score on criterion ``overall`` of a submission, as the scoring service does."""
        with self.database.session() as session:
            user = session.query(User).filter_by(name=judge).one()
            submission = session.get(Submission, submission_id)
            record_review(session, submission, user, "overall", score, comment, max_comment_chars=1000)

    def scored_submission(self) -> int:
        """The id of team Owls' scored ``predictions.csv``."""
        with self.database.session() as session:
            found = session.query(Submission).filter_by(filename="predictions.csv", state=SubmissionState.scored)
            return found.order_by(Submission.id).first().id

    def close_challenge(self) -> None:
        """Close the seeded challenge (private board opens to everyone)."""
        with self.database.session() as session:
            challenge = session.query(Challenge).filter_by(slug=SLUG).one()
            challenge.state = ChallengeState.closed
            challenge.closed_at = datetime.now(UTC)


def _submission(challenge_id: int, team_id: int, user_id: int, created_at: datetime, **fields) -> Submission:
    values = {
        "filename": "predictions.csv",
        "file_digest": "f" * 64,
        "size_bytes": 1234,
        "state": SubmissionState.scored,
        "scored_at": created_at + timedelta(minutes=1),
        **fields,
    }
    return Submission(challenge_id=challenge_id, team_id=team_id, user_id=user_id, created_at=created_at, **values)


def _scores(public: dict[str, float], private: dict[str, float]) -> list[Score]:
    return [
        Score(split=split, metric=metric, value=value)
        for split, values in (("public", public), ("private", private))
        for metric, value in values.items()
    ]


def _seed(session, settings: Settings) -> None:
    people = [("alice", Role.competitor), ("judy", Role.judge), ("olga", Role.organiser), ("bob", Role.competitor)]
    users = {name: User(name=name, role=role) for name, role in people}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    challenge = Challenge(slug=SLUG, title=TITLE, spec=SPEC, answers_digest="0" * 64)
    challenge.phases = [Phase(name="development", starts_at=start, ends_at=start + timedelta(days=59))]
    session.add_all([*users.values(), challenge])
    session.flush()
    team = Team(challenge_id=challenge.id, name="Owls")
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, user_id=users["alice"].id, challenge_id=challenge.id))
    submission = _submission(challenge.id, team.id, users["alice"].id, SUBMITTED_AT)
    submission.scores = _scores(PUBLIC, PRIVATE)
    failed = _submission(
        challenge.id, team.id, users["alice"].id, SUBMITTED_AT + timedelta(hours=1),
        filename="broken.csv", state=SubmissionState.failed, scored_at=None, error=FAILURE,
    )  # fmt: skip
    session.add_all([submission, failed])
    description = settings.challenges_dir / SLUG / "description.md"
    description.parent.mkdir(parents=True, exist_ok=True)
    description.write_text(DESCRIPTION, encoding="utf-8")


@pytest.fixture
def seeded(db: Database, db_settings: Settings) -> Iterator[Seeded]:
    """A migrated database: competitor alice (team Owls: one scored, one failed submission), competitor bob
    (no team), judge judy and organiser olga."""
    with db.session() as session:
        _seed(session, db_settings)
    yield Seeded(database=db, settings=db_settings)
    close_databases()


LEADERBOARD_TOKEN = "leaderboard-service-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def scoring_service(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The real scoring app served over HTTP on the seeded database (uvicorn in a thread), and the
    leaderboard's service token in ``JUPYTERHUB_API_TOKEN``, as the hub gives it; yields the settings
    that point the leaderboard app at this scoring service."""
    quiet = seeded.settings.model_copy(update={"embedded_worker": False})
    tokens = {LEADERBOARD_TOKEN: HubCaller(LEADERBOARD_SERVICE, "service")}
    app = create_app(quiet, authenticate=tokens.get, db=seeded.database, prefix="/services/scoring")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    deadline = time.monotonic() + 30
    while not server.started and serving.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, f"the scoring app did not start on port {port}"
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", LEADERBOARD_TOKEN)
    yield quiet.model_copy(update={"leaderboard_scoring_url": f"http://127.0.0.1:{port}/services/scoring"})
    server.should_exit = True
    serving.join(timeout=10)


def _app_script(settings: "Settings", user: "str | None") -> None:  # noqa: UP037 (runs as a script: no imports in scope)
    from leaderboard.main import run

    run(settings, identify=lambda: user)


@pytest.fixture
def open_app(seeded: Seeded) -> Callable[..., AppTest]:
    """Run the app for ``user`` with query parameters (and ``settings``, default the seeded ones); returns the
    finished AppTest."""

    def _open(user: str | None, settings: Settings | None = None, **query: str) -> AppTest:
        kwargs = {"settings": settings or seeded.settings, "user": user}
        app = AppTest.from_function(_app_script, kwargs=kwargs, default_timeout=60)
        app.query_params.update(query)
        return app.run()

    return _open


def _rendered_text(app: AppTest) -> str:
    parts = [frame.value.to_csv() for frame in app.dataframe]
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "text", "code"):
        parts += [str(element.value) for element in getattr(app, kind)]
    for widget in [*app.radio, *app.selectbox]:
        parts += [str(option) for option in widget.options]
    return "\n".join(parts)


@pytest.fixture
def rendered() -> Callable[[AppTest], str]:
    """Every value an app rendered (text elements, tables, widget options), as one string."""
    return _rendered_text
