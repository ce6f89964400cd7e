"""Final selection: the cap, ownership and state rules, and how the private board uses the choice."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from arena.db import Database
from arena.models import Challenge, ChallengeState, Submission, SubmissionState
from arena.settings import Settings
from scoring import SelectionError, choose_final_submissions, create_app, create_team, leaderboard


@pytest.fixture
def teams(db: Database, publish, users, add_submission) -> dict[str, int]:
    """ants (alice): three scored + one queued; bees (bob): one scored. rmse: lower is better; cap 2."""
    publish(task="regression", primary="rmse", secondary=("mae",))
    create_team(db, "churn", "alice", "ants")
    create_team(db, "churn", "bob", "bees")
    return {
        "a_public_best": add_submission("ants", 0, (1.0, 1.0), private=(5.0, 1.0)),
        "a_public_second": add_submission("ants", 1, (2.0, 1.0), private=(4.0, 1.0)),
        "a_private_best": add_submission("ants", 2, (3.0, 1.0), private=(0.5, 1.0)),
        "a_queued": add_submission("ants", 3, None, state=SubmissionState.queued),
        "b": add_submission("bees", 4, (1.5, 1.0), private=(3.0, 1.0)),
    }


def _private(db: Database) -> list[tuple[str, int, float]]:
    with db.session() as session:
        return [(r.team, r.submission_id, r.score) for r in leaderboard(session, "churn", "private")]


def test_without_a_choice_the_best_public_ones_count(db: Database, teams: dict[str, int]) -> None:
    # ants' best private score (0.5) is its third-best public submission: outside the cap of 2
    assert _private(db) == [("bees", teams["b"], 3.0), ("ants", teams["a_public_second"], 4.0)]


def test_chosen_submissions_rank_the_private_board(db: Database, teams: dict[str, int]) -> None:
    chosen = choose_final_submissions(db, "churn", "alice", [teams["a_private_best"], teams["a_public_best"]])
    assert chosen == sorted([teams["a_private_best"], teams["a_public_best"]])
    assert _private(db) == [("ants", teams["a_private_best"], 0.5), ("bees", teams["b"], 3.0)]
    choose_final_submissions(db, "churn", "alice", [teams["a_public_best"]])  # a new choice replaces the old
    assert _private(db)[1] == ("ants", teams["a_public_best"], 5.0)
    choose_final_submissions(db, "churn", "alice", [])  # clearing falls back to the best public ones
    assert _private(db)[1] == ("ants", teams["a_public_second"], 4.0)


def test_private_ties_break_on_secondary_then_earliest(db: Database, publish, users, add_submission) -> None:
    publish(task="regression", primary="rmse", secondary=("mae",))
    late = add_submission("late", 5, (1.0, 1.0), private=(2.0, 1.0))
    early = add_submission("early", 1, (1.0, 1.0), private=(2.0, 1.0))
    sharp = add_submission("sharp", 9, (1.0, 1.0), private=(2.0, 0.5))
    assert [row[1] for row in _private(db)] == [sharp, early, late]


@pytest.mark.parametrize(
    ("pick", "message"),
    [
        (lambda t: [t["a_public_best"], t["a_public_second"], t["a_private_best"]], "limits.final_selection is 2"),
        (lambda t: [t["b"]], "is not one of your team's submissions"),
        (lambda t: [t["a_queued"]], "is queued; only scored submissions can be chosen"),
    ],
)
def test_invalid_choices_are_refused_and_change_nothing(db: Database, teams: dict[str, int], pick, message) -> None:
    with pytest.raises(SelectionError, match=message):
        choose_final_submissions(db, "churn", "alice", pick(teams))
    with db.session() as session:
        assert session.scalars(select(Submission.id).where(Submission.selected)).all() == []


def test_closed_challenge_refuses_changes(db: Database, teams: dict[str, int]) -> None:
    with db.session() as session:
        session.execute(update(Challenge).values(state=ChallengeState.closed))
    with pytest.raises(SelectionError, match="'churn' is closed"):
        choose_final_submissions(db, "churn", "alice", [teams["a_public_best"]])


def test_final_selection_endpoint(db: Database, db_settings: Settings, teams: dict[str, int]) -> None:
    quiet = db_settings.model_copy(update={"embedded_worker": False})
    url = "/services/scoring/api/challenges/churn/final-selection"
    tokens = {"tok-alice": "alice", "tok-bob": "bob"}
    with TestClient(create_app(quiet, authenticate=tokens.get, db=db)) as client:
        over = client.post(url, json={"ids": list(teams.values())[:3]}, headers={"Authorization": "token tok-alice"})
        ok = client.post(url, json={"ids": [teams["a_private_best"]]}, headers={"Authorization": "token tok-alice"})
        foreign = client.post(url, json={"ids": [teams["a_private_best"]]}, headers={"Authorization": "token tok-bob"})
    assert over.status_code == 400 and "limits.final_selection is 2" in over.json()["detail"]
    assert ok.status_code == 200 and ok.json() == {"selected": [teams["a_private_best"]]}
    assert foreign.status_code == 400 and "not one of your team's submissions" in foreign.json()["detail"]
