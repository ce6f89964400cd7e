"""The leaderboard's client of the scoring API, against the real scoring app served over HTTP."""

from __future__ import annotations

import pytest

from leaderboard.errors import ScoringRefused, ScoringUnavailable
from leaderboard.scoring_api import ScoringApi


def test_a_review_is_saved_for_the_viewer_and_refusals_carry_the_reason(seeded, scoring_service) -> None:
    api = ScoringApi.from_settings(scoring_service)
    owls = seeded.scored_submission()

    saved = api.save_review("judy", seeded.slug, owls, "overall", 8.0, "good")

    assert (saved["judge"], saved["rubric"], saved["score"], saved["comment"]) == ("judy", "overall", 8.0, "good")
    with pytest.raises(ScoringRefused, match="reviews are for admin, judge, organiser only; 'alice' has role"):
        api.save_review("alice", seeded.slug, owls, "overall", 8.0, "")
    with pytest.raises(ScoringRefused, match=r"score 12.0 for 'overall' is outside its range 0\.\.10"):
        api.save_review("judy", seeded.slug, owls, "overall", 12.0, "")
    with pytest.raises(ScoringRefused, match="hidden until the challenge closes"):
        api.record_board_view("alice", seeded.slug)


def test_without_a_token_or_a_scoring_service_nothing_is_sent(seeded, scoring_service) -> None:
    no_token = ScoringApi(scoring_service.scoring_api_url, None)
    nobody_there = ScoringApi("http://127.0.0.1:9/services/scoring", "some-token", timeout=2)

    with pytest.raises(ScoringUnavailable, match="no hub API token \\(JUPYTERHUB_API_TOKEN\\)"):
        no_token.record_board_view("judy", seeded.slug)
    with pytest.raises(ScoringUnavailable, match="at http://127.0.0.1:9/services/scoring does not answer"):
        nobody_there.record_board_view("judy", seeded.slug)
