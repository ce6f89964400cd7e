"""The plot queries: best-so-far lines, submissions per day, score values; and the plot data shaping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leaderboard.catalog import find_challenge
from leaderboard.queries.activity import best_so_far, score_values, submissions_per_day
from leaderboard.charts import best_so_far_chart, score_domain, score_histogram, submissions_per_day_chart
from leaderboard.views.plots import best_so_far_lines


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


def test_best_so_far_is_rounded_like_the_board() -> None:
    rows = pd.DataFrame({"team": ["A", "A"], "created_at": [1, 2], "best": [0.51234, 0.7]})

    assert list(best_so_far_lines(rows, 2)["best"]) == [0.51, 0.7]
    assert best_so_far_lines(rows, None) is rows


@pytest.mark.parametrize("entries", [1, 2, 500])
def test_charts_hold_their_data_from_the_first_entry(entries: int) -> None:
    rng = np.random.default_rng(entries)
    start = pd.Timestamp("2026-01-05 09:30", tz="UTC")
    scores = pd.Series(np.round(rng.uniform(0.3, 0.9, entries), 4) if entries > 1 else [0.547])
    lines = pd.DataFrame(
        {"team": [f"T{n % 7}" for n in range(entries)], "created_at": [start + pd.Timedelta(hours=n) for n in range(entries)]}
    )
    lines["best"] = lines.assign(score=scores).groupby("team")["score"].cummax()
    days = lines.assign(day=lines["created_at"].dt.strftime("%Y-%m-%d")).groupby("day", as_index=False).size()
    days = days.rename(columns={"size": "submissions"})

    best = best_so_far_chart(lines, "accuracy").to_dict()
    per_day = submissions_per_day_chart(days).to_dict()
    bins = score_histogram(scores)

    low, high = best["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert low < lines["best"].min() <= lines["best"].max() < high  # the axis holds every score
    assert best["layer"][0]["mark"]["interpolate"] == "step-after"
    assert best["layer"][0]["encoding"]["y"]["title"] == "best accuracy so far (score)"
    assert best["layer"][0]["encoding"]["x"]["title"] == "submitted at (UTC)"
    assert per_day["encoding"]["y"]["title"] == "submissions (count)" and per_day["encoding"]["x"]["title"] == "day (UTC)"
    assert per_day["encoding"]["y"]["scale"]["domain"][1] > days["submissions"].max()
    assert bins["submissions"].sum() == entries and len(bins) <= 20
    assert bins["start"].iloc[0] <= scores.min() and scores.max() < bins["end"].iloc[-1]
    assert all(len(label.split("–")[0]) <= 5 for label in bins["bin"])  # 0.55, 0.525: never 0.0470000


def test_histogram_bins_are_round_and_readable() -> None:
    bins = score_histogram(pd.Series([0.047, 0.1, 0.55, 0.97]))

    assert bins["bin"].iloc[0] == "0.00–0.05" and bins["bin"].iloc[-1] == "0.95–1.00"
    assert score_histogram(pd.Series([0.547]))["bin"].tolist() == ["0.54–0.55"]
    assert score_histogram(pd.Series(dtype=float)).empty


def test_equal_scores_still_get_an_axis_around_them() -> None:
    low, high = score_domain(pd.Series([0.547, 0.547]))

    assert low < 0.547 < high and high - low >= 0.02
