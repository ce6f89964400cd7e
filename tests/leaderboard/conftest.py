"""Fixtures of the leaderboard tests: a seeded platform database and the app under AppTest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from arena.db import Database
from arena.models import (
    Challenge,
    ChallengeState,
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

SLUG = "churn"
TITLE = "Churn prediction"
DESCRIPTION = "Predict which **customers** leave within a year."
PUBLIC = {"accuracy": 0.812345678, "f1_macro": 0.701111111}
PRIVATE = {"accuracy": 0.765432109, "f1_macro": 0.654321987}
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

    def close_challenge(self) -> None:
        """Close the seeded challenge (private board opens to everyone)."""
        with self.database.session() as session:
            challenge = session.query(Challenge).filter_by(slug=SLUG).one()
            challenge.state = ChallengeState.closed
            challenge.closed_at = datetime.now(UTC)


def _seed(session, settings: Settings) -> None:
    users = {name: User(name=name, role=role) for name, role in [("alice", Role.competitor), ("judy", Role.judge)]}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    challenge = Challenge(slug=SLUG, title=TITLE, spec=SPEC, answers_digest="0" * 64)
    challenge.phases = [Phase(name="development", starts_at=start, ends_at=start + timedelta(days=59))]
    session.add_all([*users.values(), challenge])
    session.flush()
    team = Team(challenge_id=challenge.id, name="Owls")
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, user_id=users["alice"].id, challenge_id=challenge.id))
    submission = Submission(
        challenge_id=challenge.id,
        team_id=team.id,
        user_id=users["alice"].id,
        filename="predictions.csv",
        file_digest="f" * 64,
        size_bytes=1234,
        state=SubmissionState.scored,
        scored_at=datetime.now(UTC),
    )
    submission.scores = [
        Score(split=split, metric=metric, value=value)
        for split, values in (("public", PUBLIC), ("private", PRIVATE))
        for metric, value in values.items()
    ]
    session.add(submission)
    description = settings.challenges_dir / SLUG / "description.md"
    description.parent.mkdir(parents=True, exist_ok=True)
    description.write_text(DESCRIPTION, encoding="utf-8")


@pytest.fixture
def seeded(db: Database, db_settings: Settings) -> Iterator[Seeded]:
    """A migrated database with a competitor (alice, team Owls, one scored submission) and a judge (judy)."""
    with db.session() as session:
        _seed(session, db_settings)
    yield Seeded(database=db, settings=db_settings)
    close_databases()


def _app_script(settings: "Settings", user: "str | None") -> None:  # runs as a script: no imports in scope
    from leaderboard.main import run

    run(settings, identify=lambda: user)


@pytest.fixture
def open_app(seeded: Seeded) -> Callable[..., AppTest]:
    """Run the app for ``user`` with query parameters; returns the finished AppTest."""

    def _open(user: str | None, **query: str) -> AppTest:
        app = AppTest.from_function(_app_script, kwargs={"settings": seeded.settings, "user": user}, default_timeout=60)
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
