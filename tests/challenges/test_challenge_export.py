"""Final ranking export: publish → list → close → export, on submissions scored by a real worker."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from arena.db import Database
from arena.errors import NotFoundError
from arena.models import AuditEvent, Submission, User
from challenges import (
    ChallengeError,
    assign_split,
    close_challenge,
    export_ranking,
    list_challenges,
    ranking_csv,
    ranking_table,
)
from scoring import leaderboard, record_review

BundleMaker = Callable[..., Path]
Scorer = Callable[[str, str, pd.DataFrame], Submission]
COLUMNS = ["rank", "team", "members", "f1_macro", "accuracy", "entries", "last_submission"]


def spoiled(answers: pd.DataFrame, wrong: int) -> pd.DataFrame:
    """The answers with the income band of the first ``wrong`` rows shifted to the next band."""
    predictions = answers.copy()
    predictions.loc[: wrong - 1, "income_band"] = (predictions.loc[: wrong - 1, "income_band"] + 1) % 4
    return predictions


def private_accuracy(answers: pd.DataFrame, predictions: pd.DataFrame) -> float:
    private = assign_split(answers["person_id"], 0.3, seed=7) == "private"
    return float((answers["income_band"] == predictions["income_band"])[private].mean())


@pytest.fixture
def competed(
    published_open: str, submit_scored: Scorer, answers_frame: Callable[..., pd.DataFrame]
) -> tuple[str, pd.DataFrame, Submission]:
    """A published challenge where lan submitted perfect answers once and tuan twice (best: 10 wrong)."""
    slug = published_open
    answers = answers_frame()
    submit_scored(slug, "lan", answers)
    submit_scored(slug, "tuan", spoiled(answers, 20))
    last = submit_scored(slug, "tuan", spoiled(answers, 10))
    return slug, answers, last


def test_round_trip_publish_list_close_export(competed: tuple, users: Database) -> None:
    slug, answers, tuan_last = competed

    [listed] = list_challenges(users)
    close_challenge(users, slug, actor="minh")
    text = ranking_csv(export_ranking(users, slug, "private", leaderboard, actor="minh"))

    exported = pd.read_csv(io.StringIO(text))
    assert listed.slug == slug
    assert list(exported.columns) == COLUMNS
    assert exported[["rank", "team", "members", "entries"]].values.tolist() == [
        [1, "lan", "lan", 1],
        [2, "tuan", "tuan", 2],
    ]
    assert exported.loc[0, "accuracy"] == 1.0 and exported.loc[0, "f1_macro"] == 1.0
    assert exported.loc[1, "accuracy"] == pytest.approx(private_accuracy(answers, spoiled(answers, 10)))
    assert pd.Timestamp(exported.loc[1, "last_submission"]) == pd.Timestamp(tuan_last.created_at)
    with users.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.export")).one()
    assert (event.actor, event.object, event.detail["board"], event.detail["teams"]) == ("minh", slug, "private", 2)


def test_export_carries_each_teams_mean_rubric_score_once_judges_reviewed(competed: tuple, users: Database) -> None:
    slug, _, tuan_last = competed
    with users.session() as session:
        judges = [session.scalars(select(User).where(User.name == name)).one() for name in ("hoa", "minh")]
        for judge, score in zip(judges, (6.0, 9.0), strict=True):
            last = session.get(Submission, tuan_last.id)
            record_review(session, last, judge, "overall", score, "", max_comment_chars=100)

    table = export_ranking(users, slug, "public", leaderboard, actor="minh")

    assert list(table.columns) == [*COLUMNS, "review_overall"]
    by_team = dict(zip(table["team"], table["review_overall"], strict=True))
    assert by_team["tuan"] == pytest.approx(7.5) and pd.isna(by_team["lan"])  # lan's submission was not reviewed


def test_private_export_refused_before_close(competed: tuple, users: Database) -> None:
    slug, _, _ = competed

    with pytest.raises(ChallengeError, match=r"'household-income-band' is published, not closed.*--board public"):
        export_ranking(users, slug, "private", leaderboard, actor="minh")
    public = export_ranking(users, slug, "public", leaderboard, actor="minh")

    assert public["team"].tolist() == ["lan", "tuan"]


def test_export_unknown_board_and_challenge(competed: tuple, users: Database) -> None:
    slug, _, _ = competed

    with pytest.raises(ChallengeError, match="board 'final' is unknown; use public or private"):
        export_ranking(users, slug, "final", leaderboard, actor="minh")
    with pytest.raises(NotFoundError, match="challenge 'nope' does not exist"):
        export_ranking(users, "nope", "public", leaderboard, actor="minh")


def test_empty_board_exports_the_header() -> None:
    table = ranking_table([], {}, ["rmse", "mae", "r2"])

    assert ranking_csv(table) == "rank,team,members,rmse,mae,r2,entries,last_submission\n"
