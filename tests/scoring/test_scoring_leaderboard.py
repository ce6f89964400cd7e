"""Leaderboards: best submission per team, direction-aware ranking, tie-breaks, entries, pages, team
search, team counts and rank shifts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from arena.db import Database
from arena.models import SubmissionState
from scoring import LeaderboardRow, ScoringError, count_teams, leaderboard, rank_shifts, ranked_teams


@pytest.fixture
def board(db: Database, publish, users, add_submission) -> dict[str, int]:
    publish(task="regression", primary="rmse", secondary=("mae",))
    ids = {
        "a_old": add_submission("ants", 0, (2.0, 1.0), private=(0.9, 1.0)),
        "a_best": add_submission("ants", 1, (1.5, 1.2), private=(3.0, 1.0)),
        "a_failed": add_submission("ants", 9, None, state=SubmissionState.failed),
        "b": add_submission("bees", 2, (1.5, 1.0)),
        "c": add_submission("cats", 3, (1.5, 1.0)),
        "c_queued": add_submission("cats", 7, None, state=SubmissionState.queued),
        "d_failed": add_submission("dogs", 4, None, state=SubmissionState.failed),
    }
    return ids


def test_public_board_ranks_best_per_team_with_tie_breaks(db: Database, board: dict[str, int], add_submission) -> None:
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
    assert ants.last_submission_at == add_submission.t0 + timedelta(minutes=1)
    assert rows[1].entries == 2 and rows[1].last_submission_at == add_submission.t0 + timedelta(minutes=7)


def test_private_board_uses_private_scores(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        rows = leaderboard(session, "churn", "private")
    assert (rows[0].rank, rows[0].team, rows[0].submission_id, rows[0].score) == (1, "ants", board["a_old"], 0.9)


def test_higher_is_better_metric_sorts_descending(db: Database, publish, users, add_submission) -> None:
    publish(task="regression", primary="r2", secondary=("rmse",))
    add_submission("low", 0, (0.2, 1.0), metrics=("r2", "rmse"))
    add_submission("high", 1, (0.9, 5.0), metrics=("r2", "rmse"))
    with db.session() as session:
        rows = leaderboard(session, "churn")
    assert [(r.team, r.score, r.secondary) for r in rows] == [("high", 0.9, {"rmse": 5.0}), ("low", 0.2, {"rmse": 1.0})]


def test_unknown_board_is_named(db: Database, publish) -> None:
    publish()
    with db.session() as session, pytest.raises(ScoringError, match="board 'final' is unknown"):
        leaderboard(session, "churn", "final")  # type: ignore[arg-type]


def test_a_page_keeps_the_ranks_of_the_whole_board(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        first = leaderboard(session, "churn", "public", page=1, page_size=2)
        second = leaderboard(session, "churn", "public", page=2, page_size=2)
        beyond = leaderboard(session, "churn", "public", page=3, page_size=2)
    assert [(r.rank, r.team) for r in first] == [(1, "bees"), (2, "cats")]
    assert [(r.rank, r.team, r.submission_id) for r in second] == [(3, "ants", board["a_best"])]
    assert beyond == []


def test_team_filter_applies_after_ranking(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        cats = leaderboard(session, "churn", "public", team_filter=" AT ")
        private_ants = leaderboard(session, "churn", "private", team_filter="nt")
        wildcard = leaderboard(session, "churn", "public", team_filter="_")
        counts = [count_teams(session, "churn", "public"), count_teams(session, "churn", "private", "a")]
    assert [(r.rank, r.team) for r in cats] == [(2, "cats")]
    assert [(r.rank, r.team, r.submission_id) for r in private_ants] == [(1, "ants", board["a_old"])]
    assert wildcard == []  # LIKE wildcards are matched literally
    assert counts == [3, 2]  # ants and cats contain "a"


def test_rank_shifts_give_each_private_row_its_public_rank(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        shifts = rank_shifts(session, "churn")
        private = leaderboard(session, "churn", "private")
        page = rank_shifts(session, "churn", page=2, page_size=1)
    assert [(r.rank, r.team, r.public_rank) for r in shifts] == [(1, "ants", 3), (2, "bees", 1), (3, "cats", 2)]
    assert [(r.rank, r.team, r.submission_id, r.score) for r in shifts] == [
        (r.rank, r.team, r.submission_id, r.score) for r in private
    ]
    assert all(r.public_rank is None for r in private)
    assert [(r.team, r.public_rank) for r in page] == [("bees", 1)]


def test_ranked_teams_is_the_boards_ranking_as_a_subquery(db: Database, board: dict[str, int]) -> None:
    with db.session() as session:
        ranked = ranked_teams(session, "churn", "private")
        joined = session.execute(select(ranked.c.rank, ranked.c.submission_id).order_by(ranked.c.rank)).all()
        rows = leaderboard(session, "churn", "private")
    assert [tuple(row) for row in joined] == [(r.rank, r.submission_id) for r in rows]


@pytest.mark.parametrize(
    ("paging", "message"),
    [({"page": 0, "page_size": 10}, "page 0 of size 10 is invalid"), ({"page": 2}, "page 2 asked without a page_size")],
)
def test_invalid_paging_is_named(db: Database, board: dict[str, int], paging: dict, message: str) -> None:
    with db.session() as session, pytest.raises(ScoringError, match=message):
        leaderboard(session, "churn", "public", **paging)
