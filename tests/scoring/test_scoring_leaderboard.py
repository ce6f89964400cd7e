"""Leaderboards: best submission per team, direction-aware ranking, tie-breaks, entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arena.db import Database
from arena.models import Challenge, Score, Submission, SubmissionState, Team, User
from scoring import LeaderboardRow, ScoringError, leaderboard

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _add(
    db: Database,
    team: str,
    minute: int,
    public: tuple[float, float] | None,
    state=SubmissionState.scored,
    private: tuple[float, float] | None = None,
    metrics: tuple[str, str] = ("rmse", "mae"),
) -> int:
    with db.session() as session:
        challenge = session.query(Challenge).one()
        team_row = session.query(Team).filter_by(name=team).one_or_none()
        if team_row is None:
            team_row = Team(challenge_id=challenge.id, name=team)
            session.add(team_row)
            session.flush()
        user = session.query(User).first()
        submission = Submission(
            challenge_id=challenge.id,
            team_id=team_row.id,
            user_id=user.id,
            filename="s.csv",
            file_digest="0" * 64,
            size_bytes=1,
            state=state,
            created_at=T0 + timedelta(minutes=minute),
        )
        session.add(submission)
        session.flush()
        for split, values in (("public", public), ("private", private or public)):
            if values is not None and state == SubmissionState.scored:
                session.add_all(
                    [
                        Score(submission_id=submission.id, split=split, metric=m, value=v)
                        for m, v in zip(metrics, values, strict=True)
                    ]
                )
        return submission.id


@pytest.fixture
def board(db: Database, publish, users) -> dict[str, int]:
    publish(task="regression", primary="rmse", secondary=("mae",))
    ids = {
        "a_old": _add(db, "ants", 0, (2.0, 1.0), private=(0.9, 1.0)),
        "a_best": _add(db, "ants", 1, (1.5, 1.2), private=(3.0, 1.0)),
        "a_failed": _add(db, "ants", 9, None, state=SubmissionState.failed),
        "b": _add(db, "bees", 2, (1.5, 1.0)),
        "c": _add(db, "cats", 3, (1.5, 1.0)),
        "c_queued": _add(db, "cats", 7, None, state=SubmissionState.queued),
        "d_failed": _add(db, "dogs", 4, None, state=SubmissionState.failed),
    }
    return ids


def test_public_board_ranks_best_per_team_with_tie_breaks(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        rows = leaderboard(session, "churn", "public")
    assert [(r.rank, r.team, r.submission_id) for r in rows] == [
        (1, "bees", board["b"]),  # ties ants on rmse, wins on mae
        (2, "cats", board["c"]),  # ties bees on both, submitted later
        (3, "ants", board["a_best"]),
    ]
    ants = rows[2]
    assert isinstance(ants, LeaderboardRow) and ants.metric == "rmse" and ants.score == 1.5
    assert ants.secondary == {"mae": 1.2} and ants.entries == 2  # failed entry not counted
    assert ants.last_submission_at == T0 + timedelta(minutes=1)
    assert rows[1].entries == 2 and rows[1].last_submission_at == T0 + timedelta(minutes=7)


def test_private_board_uses_private_scores(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        rows = leaderboard(session, "churn", "private")
    assert [(r.rank, r.team, r.submission_id, r.score) for r in rows][0] == (1, "ants", board["a_old"], 0.9)


def test_higher_is_better_metric_sorts_descending(db: Database, publish, users) -> None:
    publish(task="regression", primary="r2", secondary=("rmse",))
    _add(db, "low", 0, (0.2, 1.0), metrics=("r2", "rmse"))
    _add(db, "high", 1, (0.9, 5.0), metrics=("r2", "rmse"))
    with db.session() as session:
        rows = leaderboard(session, "churn")
    assert [(r.team, r.score, r.secondary) for r in rows] == [("high", 0.9, {"rmse": 5.0}), ("low", 0.2, {"rmse": 1.0})]


def test_unknown_board_is_named(db: Database, publish) -> None:
    publish()
    with db.session() as session, pytest.raises(ScoringError, match="board 'final' is unknown"):
        leaderboard(session, "churn", "final")  # type: ignore[arg-type]
