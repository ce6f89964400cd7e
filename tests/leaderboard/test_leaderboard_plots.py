"""The plot queries: best-so-far lines, submissions per day, score values; and the plot data shaping."""

from __future__ import annotations

import pandas as pd

from leaderboard.catalog import find_challenge
from leaderboard.queries.activity import best_so_far, score_values, submissions_per_day
from leaderboard.views.plots import best_so_far_lines, histogram


def test_queries_give_running_best_daily_counts_and_values(seeded) -> None:
    seeded.add_teams(12)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        lines = best_so_far(session, challenge, "public", top=3)
        days = submissions_per_day(session, challenge)
        private = score_values(session, challenge, "private")

    assert sorted(set(lines["team"])) == ["Owls", "T010", "T011"]
    assert days.loc[days["day"] == "2026-01-05", "submissions"].item() == 3  # Owls' scored and failed, T003
    assert days["submissions"].sum() == 14
    assert max(private) == 0.9


def test_running_best_never_gets_worse() -> None:
    rows = pd.DataFrame({"team": ["A", "A", "A"], "created_at": [1, 2, 3], "best": [0.5, 0.7, 0.7]})

    assert list(best_so_far_lines(rows, 1)["A"]) == [0.5, 0.7, 0.7]
    assert histogram(pd.Series([0.1, 0.2, 0.9]), bins=2)["submissions"].tolist() == [2, 1]
