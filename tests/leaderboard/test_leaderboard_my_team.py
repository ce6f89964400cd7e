"""The "My team" query: own submissions with scores on the given splits only; failures explained."""

from __future__ import annotations

from leaderboard.catalog import find_challenge
from leaderboard.queries.submissions import find_team, team_submissions
from leaderboard.views.my_submissions import explain


def test_team_query_reads_only_the_splits_it_is_given(seeded) -> None:
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        team_id, name = find_team(session, challenge, "alice")
        nobody = find_team(session, challenge, "bob")
        public = team_submissions(session, challenge, team_id, ["public"])
        both = team_submissions(session, challenge, team_id, ["public", "private"])

    assert name == "Owls" and nobody is None
    assert list(public["state"]) == ["failed", "scored"]  # newest first
    assert [c for c in public.columns if " " in c] == ["public accuracy", "public f1_macro"]
    assert both["private accuracy"].iloc[1] == dict(seeded.private)["accuracy"]


def test_failure_is_explained_with_its_reason() -> None:
    assert explain("failed", "column 'x' is missing").endswith("submit again. Reason: column 'x' is missing")
    assert explain("queued", None).startswith("Waiting for a scoring worker")
