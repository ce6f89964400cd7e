"""End to end in a real browser: the leaderboard behind the hub, as a competitor and as a judge.

The hub runs with its managed services; the database holds a published challenge with one
scored submission of team Owls. Chromium logs in through the hub's login form, follows the
OAuth dance of the leaderboard service and reads what Streamlit draws. The judge also scores
the submission in the judges' console: the app saves it through the real scoring service (its
own hub token, acting for the judge), and the row is read back from the database. Screenshots
are kept under ``test-artifacts/``.
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
from arena.models import (
    AuditEvent,
    Challenge,
    Phase,
    ReviewScore,
    Score,
    Submission,
    SubmissionState,
    Team,
    TeamMember,
    User,
)

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
    # the app had the scoring service audit the view, with the leaderboard's own hub token acting for judy
    database = Database(platform.settings.db_url)
    try:
        with database.session() as session:
            views = session.execute(
                select(AuditEvent.actor, AuditEvent.object).where(AuditEvent.action == "leaderboard.private.view")
            ).all()
    finally:
        database.dispose()
    assert [tuple(view) for view in views] == [("judy", f"challenge:{SLUG}")]


def test_judge_saves_a_rubric_score_in_the_console(platform: harness.HubProcess) -> None:
    screenshot = ARTIFACTS / "judges-console-review-saved.png"
    comment = "Clean features; validation could be stricter."
    with browser.logged_in_page(platform.url, "judy", PASSWORD, timeout=90) as page:
        url = f"{platform.url}/services/leaderboard/?page=judges&challenge={SLUG}"
        browser.open_page(page, url, wait_for_text="Your review", screenshot=screenshot, timeout=90)
        page.get_by_label("overall (0–10)", exact=True).fill("8.5")
        page.get_by_label("Comment on overall").fill(comment)
        page.get_by_role("button", name="Save review").click()
        page.get_by_text("Saved your review of submission").wait_for(timeout=60_000)
        page.get_by_text(comment).last.wait_for(timeout=30_000)
        page.screenshot(path=str(screenshot), full_page=True)
        text = browser.visible_text(page)
    print(f"\nscreenshot: {screenshot}")

    database = Database(platform.settings.db_url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(User.name, ReviewScore.rubric, ReviewScore.score, ReviewScore.comment).join(
                    User, User.id == ReviewScore.judge_id
                )
            ).all()
            actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "review.score")).all()
    finally:
        database.dispose()
    assert [tuple(row) for row in rows] == [("judy", "overall", 8.5, comment)]
    assert actors == ["judy"]
    assert "Saved your review of submission" in text and "judy" in text
