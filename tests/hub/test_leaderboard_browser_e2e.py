"""End to end in a real browser: the leaderboard behind the hub, as a competitor and as a judge.

The hub runs with its managed services; the database holds a published challenge with one
scored submission of team Owls. Chromium logs in through the hub's login form, follows the
OAuth dance of the leaderboard service and reads what Streamlit draws. Screenshots are kept
under ``test-artifacts/``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import browser
import harness
import pytest
from sqlalchemy import select

from arena.accounts import create_user
from arena.db import Database
from arena.models import Challenge, Phase, Score, Submission, SubmissionState, Team, TeamMember, User

_MISSING = harness.e2e_missing() or browser.browser_missing()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING))]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery"
SLUG = "churn-browser"
TEAM = "Owls"
# Four digits, so the competitor's rounded view and the judge's full view print them alike.
PUBLIC = {"accuracy": 0.8125, "f1_macro": 0.7031}
PRIVATE = {"accuracy": 0.7646, "f1_macro": 0.6519}
SPEC = {
    "slug": SLUG,
    "title": "Churn prediction (browser)",
    "task": "classification",
    "id_column": "person_id",
    "target_column": "churned",
    "metric": {"primary": "accuracy", "secondary": ["f1_macro"]},
    "datasets": ["people@1"],
    "split": {"public_fraction": 0.5, "seed": 7},
    "phases": [{"name": "development", "start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}],
    "limits": {"per_day": 5, "total": 100, "final_selection": 2, "team_size": 3},
}


def _seed_scored_challenge(database: Database, competitor: str, judge: str) -> None:
    """A published, open challenge; ``competitor``'s team with one scored submission; a ``judge``."""
    now = datetime.now(UTC)
    with database.session() as session:
        create_user(session, judge, "judge", PASSWORD)
        user = session.scalars(select(User).where(User.name == competitor)).one()
        challenge = Challenge(slug=SLUG, title=SPEC["title"], spec=SPEC, answers_digest="0" * 64)
        challenge.phases = [
            Phase(name="development", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
        ]
        session.add(challenge)
        session.flush()
        team = Team(challenge_id=challenge.id, name=TEAM)
        session.add(team)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id=user.id, challenge_id=challenge.id))
        submission = Submission(
            challenge_id=challenge.id,
            team_id=team.id,
            user_id=user.id,
            filename="predictions.csv",
            file_digest="f" * 64,
            size_bytes=1234,
            state=SubmissionState.scored,
            scored_at=now,
        )
        submission.scores = [
            Score(split=split, metric=metric, value=value)
            for split, values in (("public", PUBLIC), ("private", PRIVATE))
            for metric, value in values.items()
        ]
        session.add(submission)


@pytest.fixture(scope="module")
def platform(e2e_root: Path) -> Iterator[harness.HubProcess]:
    data_dir = e2e_root / f"arena-e2e-{uuid.uuid4().hex[:8]}"
    with harness.running_platform(data_dir, {"alice": PASSWORD}, managed_services=True) as hub:
        database = Database(hub.settings.db_url)
        _seed_scored_challenge(database, competitor="alice", judge="judy")
        database.dispose()
        yield hub


def _open_board(hub: harness.HubProcess, user: str, query: str, screenshot_name: str) -> tuple[str, str]:
    """Open the leaderboard as ``user`` in Chromium; return the page's text and the team's row."""
    screenshot = ARTIFACTS / screenshot_name
    text = browser.open_as(
        hub.url,
        user,
        PASSWORD,
        f"/services/leaderboard/?{query}",
        wait_for_text=TEAM,
        screenshot=screenshot,
        timeout=90,
    )
    print(f"\nscreenshot: {screenshot}")
    return text, next(line for line in text.splitlines() if TEAM in line)


def test_competitor_sees_the_public_board_only(platform: harness.HubProcess) -> None:
    text, team_row = _open_board(platform, "alice", f"challenge={SLUG}", "leaderboard-public-as-competitor.png")

    assert "Signed in as alice" in text
    assert SPEC["title"] in text
    assert str(PUBLIC["accuracy"]) in team_row and str(PUBLIC["f1_macro"]) in team_row
    for value in PRIVATE.values():
        assert str(value) not in text


def test_judge_sees_the_private_board(platform: harness.HubProcess) -> None:
    text, team_row = _open_board(
        platform, "judy", f"challenge={SLUG}&board=private", "leaderboard-private-as-judge.png"
    )

    assert "Signed in as judy" in text
    assert "Private board" in text
    assert str(PRIVATE["accuracy"]) in team_row and str(PRIVATE["f1_macro"]) in team_row
