"""Accepting submissions: streamed size cap, solo teams, opening rules and race-free quotas."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select, update

from arena.db import Database
from arena.models import Challenge, ChallengeState, Submission, SubmissionState, Team, TeamMember
from arena.settings import Settings
from scoring import QuotaExceededError, ScoringError, SubmissionTooLargeError, accept_submission


class EndlessStream:
    """A client that keeps sending bytes; records how much the server read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = b"x" * (size if size > 0 else 1024)
        self.read_bytes += len(chunk)
        return chunk


def _files(settings: Settings) -> list[Path]:
    return [p for p in settings.submissions_dir.rglob("*") if p.is_file()]


def test_submission_is_stored_by_digest_in_a_solo_team(db: Database, db_settings: Settings, publish, users) -> None:
    publish()
    content = b"person_id,label\np0,1\n"
    submission = accept_submission(db, db_settings, "churn", "alice", io.BytesIO(content), "/tmp/x/preds.csv", "first")
    with db.session() as session:
        team = session.scalar(select(Team).join(TeamMember, TeamMember.team_id == Team.id))
    stored = _files(db_settings)
    assert submission.state == SubmissionState.queued and submission.phase == "development"
    assert submission.filename == "preds.csv" and submission.size_bytes == len(content)
    assert [p.name for p in stored] == [submission.file_digest] and stored[0].read_bytes() == content
    assert stored[0].parent.name == submission.file_digest[:2]
    assert team.name == "alice" and submission.team_id == team.id


def test_oversized_upload_stops_while_streaming_and_leaves_no_file(
    db: Database, db_settings: Settings, publish, users
) -> None:
    publish()
    limited = db_settings.model_copy(update={"submission_max_bytes": 3 * 1024 * 1024})
    stream = EndlessStream()
    with pytest.raises(SubmissionTooLargeError, match="larger than the limit of 3145728 bytes"):
        accept_submission(db, limited, "churn", "alice", stream, "big.csv")
    assert stream.read_bytes <= 4 * 1024 * 1024
    assert _files(limited) == []
    with db.session() as session:
        assert session.scalar(select(Submission)) is None


@pytest.mark.parametrize(
    ("phase_open", "state", "message"),
    [
        (False, ChallengeState.published, "has no phase open now"),
        (True, ChallengeState.closed, "is closed; it no longer accepts submissions"),
    ],
)
def test_closed_or_out_of_phase_challenge_refuses(
    db: Database, db_settings: Settings, publish, users, phase_open: bool, state: ChallengeState, message: str
) -> None:
    publish(phase_open=phase_open)
    with db.session() as session:
        session.execute(update(Challenge).values(state=state))
    with pytest.raises(ScoringError, match=message):
        accept_submission(db, db_settings, "churn", "alice", io.BytesIO(b"a,b\n"), "s.csv")
    assert _files(db_settings) == []


def test_challenge_without_phases_accepts_until_closed(db: Database, db_settings: Settings, publish, users) -> None:
    publish(phase_open=None)
    submission = accept_submission(db, db_settings, "churn", "bob", io.BytesIO(b"a,b\n"), "s.csv")
    assert submission.phase is None and submission.state == SubmissionState.queued


def test_concurrent_submits_never_exceed_the_cap(db: Database, db_settings: Settings, publish, users) -> None:
    publish(limits={"per_day": 5, "total": 10, "final_selection": 1, "team_size": 1})

    def submit(i: int) -> str:
        try:
            accept_submission(db, db_settings, "churn", "alice", io.BytesIO(f"id\n{i}\n".encode()), f"{i}.csv")
            return "accepted"
        except QuotaExceededError as error:
            assert "limits.per_day reached: 5" in str(error)
            return "refused"

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(submit, range(50)))
    with db.session() as session:
        rows = session.scalars(select(Submission)).all()
        teams = session.scalars(select(Team)).all()
    assert outcomes.count("accepted") == 5 and outcomes.count("refused") == 45
    assert len(rows) == 5 and len(teams) == 1
    assert len(_files(db_settings)) == 5  # refused uploads are not kept


def test_failed_submissions_do_not_count_and_total_is_named(
    db: Database, db_settings: Settings, publish, users
) -> None:
    publish(limits={"per_day": 2, "total": 2, "final_selection": 1, "team_size": 1})
    first = accept_submission(db, db_settings, "churn", "bob", io.BytesIO(b"1"), "1.csv")
    with db.session() as session:
        session.execute(update(Submission).where(Submission.id == first.id).values(state=SubmissionState.failed))
    accept_submission(db, db_settings, "churn", "bob", io.BytesIO(b"2"), "2.csv")
    accept_submission(db, db_settings, "churn", "bob", io.BytesIO(b"3"), "3.csv")
    with pytest.raises(QuotaExceededError, match="limits.total reached: 2 submissions per team"):
        accept_submission(db, db_settings, "churn", "bob", io.BytesIO(b"4"), "4.csv")
