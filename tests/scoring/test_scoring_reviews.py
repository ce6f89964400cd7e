"""Judges' reviews as a library: the rubric from the spec, score bounds, roles, one row per (submission, judge,
criterion), the audit."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from arena.db import Database
from arena.models import AuditEvent, Challenge, ReviewScore, Submission, User
from scoring import ReviewError, ReviewNotAllowedError, list_reviews, record_review

LIMIT = 50
RUBRIC = [
    {"name": "insight", "description": "Useful findings", "min": 1, "max": 5},
    {"name": "code-quality", "description": "Readable notebook", "min": 0, "max": 3},
]


@pytest.fixture
def reviewed(db: Database, publish, users, add_submission) -> tuple[int, int]:
    """Challenge churn (default rubric) with one submission of team Owls and one of team Kites; their ids."""
    publish()
    return add_submission("Owls", 0, (0.5, 0.5)), add_submission("Kites", 1, (0.6, 0.6))


def _save(db: Database, submission_id: int, judge: str, rubric: str, score: float, comment: str = "") -> None:
    with db.session() as session:
        submission = session.get_one(Submission, submission_id)
        user = session.scalars(select(User).where(User.name == judge)).one()
        record_review(session, submission, user, rubric, score, comment, max_comment_chars=LIMIT)


def test_saving_again_replaces_the_judges_score_and_is_audited(db: Database, reviewed: tuple[int, int]) -> None:
    owls, _ = reviewed

    _save(db, owls, "judy", "overall", 4.0, "weak features")
    _save(db, owls, "judy", "overall", 7.5, "better after a second look")

    with db.session() as session:
        rows = session.scalars(select(ReviewScore)).all()
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "review.score").order_by(AuditEvent.id))
        details = [(event.actor, event.object, event.detail) for event in events]
        [review] = list_reviews(session, "churn", owls)
    assert [(row.score, row.comment) for row in rows] == [(7.5, "better after a second look")]
    assert rows[0].updated_at >= rows[0].created_at
    assert [(actor, obj) for actor, obj, _ in details] == [("judy", f"submission:{owls}")] * 2
    assert [(detail["previous"], detail["score"], detail["rubric"]) for _, _, detail in details] == [
        (None, 4.0, "overall"),
        (4.0, 7.5, "overall"),
    ]
    assert (review.team, review.judge, review.rubric, review.score) == ("Owls", "judy", "overall", 7.5)


def test_each_judge_and_criterion_has_its_own_row(db: Database, reviewed: tuple[int, int]) -> None:
    owls, kites = reviewed
    with db.session() as session:
        session.scalars(select(User).where(User.name == "alice")).one().role = "organiser"
        challenge = session.scalars(select(Challenge)).one()
        challenge.spec = {**challenge.spec, "rubric": RUBRIC}

    _save(db, owls, "judy", "insight", 4)
    _save(db, owls, "judy", "code-quality", 2)
    _save(db, owls, "alice", "insight", 5)
    _save(db, kites, "judy", "insight", 1)

    with db.session() as session:
        everything = list_reviews(session, "churn")
        owls_only = list_reviews(session, "churn", owls)
        count = session.scalar(select(func.count(ReviewScore.id)))
    assert count == 4
    assert [(r.submission_id, r.judge, r.rubric, r.score) for r in owls_only] == [
        (owls, "alice", "insight", 5),
        (owls, "judy", "code-quality", 2),
        (owls, "judy", "insight", 4),
    ]
    assert [(r.team, r.score) for r in everything if r.submission_id == kites] == [("Kites", 1)]


@pytest.mark.parametrize("score", [-0.5, 10.5, math.nan, math.inf])
def test_a_score_outside_the_criterions_range_is_refused(db: Database, reviewed: tuple[int, int], score: float) -> None:
    owls, _ = reviewed

    with pytest.raises(ReviewError, match=rf"score {score} for 'overall' is outside its range 0\.\.10"):
        _save(db, owls, "judy", "overall", score)

    with db.session() as session:
        assert session.scalar(select(func.count(ReviewScore.id))) == 0


def test_an_unknown_criterion_is_refused_naming_the_rubric(db: Database, reviewed: tuple[int, int]) -> None:
    owls, _ = reviewed

    with pytest.raises(ReviewError, match=r"criterion 'style' is not in the rubric of 'churn' \(it has: overall\)"):
        _save(db, owls, "judy", "style", 5)


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_a_competitor_may_not_review(db: Database, reviewed: tuple[int, int], who: str) -> None:
    owls, _ = reviewed

    with pytest.raises(ReviewNotAllowedError, match=rf"reviews are for admin, judge, organiser only; '{who}' has role"):
        _save(db, owls, who, "overall", 5)

    with db.session() as session:
        assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "review.score")) == 0


@pytest.mark.parametrize(
    ("comment", "message"),
    [("x" * (LIMIT + 1), rf"comment has {LIMIT + 1} characters; the limit is {LIMIT}"), ("a\x00b", "NUL")],
)
def test_a_bad_comment_is_refused(db: Database, reviewed: tuple[int, int], comment: str, message: str) -> None:
    owls, _ = reviewed

    with pytest.raises(ReviewError, match=message):
        _save(db, owls, "judy", "overall", 5, comment)
    _save(db, owls, "judy", "overall", 5, "x" * LIMIT)  # at the limit: accepted
