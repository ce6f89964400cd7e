"""What the judges' console reads: recent submissions, one submission in detail, blinded pseudonyms."""

from __future__ import annotations

from leaderboard.blinding import blind, pseudonym, review_salt
from leaderboard.catalog import find_challenge
from leaderboard.queries.submissions import recent_submissions, submission_detail


def test_recent_submissions_and_detail_with_both_splits(seeded) -> None:
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        recent = recent_submissions(session, challenge)
        scored_id = int(recent["id"].iloc[-1])
        detail = submission_detail(session, challenge, scored_id, ["public", "private"])
        missing = submission_detail(session, challenge, 10_000, ["public"])
        salt = review_salt(session, challenge)

    assert list(recent["filename"]) == ["broken.csv", "predictions.csv"]
    assert list(recent["user"]) == ["alice", "alice"]
    assert detail["file_digest"] == "f" * 64 and detail["size_bytes"] == 1234
    assert detail["private accuracy"] == dict(seeded.private)["accuracy"]
    assert missing is None
    assert salt == "0" * 64


def test_blinding_replaces_teams_and_drops_identifying_columns(seeded) -> None:
    with seeded.database.session() as session:
        recent = recent_submissions(session, find_challenge(session, seeded.slug))

    blinded = blind(recent, "salt")

    assert set(blinded["team"]) == {pseudonym("salt", int(recent["team_id"].iloc[0]))}
    assert not {"user", "filename", "description"} & set(blinded.columns)


def test_pseudonyms_are_stable_and_differ_by_team_and_salt() -> None:
    assert pseudonym("salt", 1) == pseudonym("salt", 1)
    assert len({pseudonym("salt", 1), pseudonym("salt", 2), pseudonym("other", 1)}) == 3
