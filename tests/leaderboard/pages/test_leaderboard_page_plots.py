"""The "Plots" page: three charts; public scores only for competitors, private for judges."""

from __future__ import annotations

import json

import pytest

from arena.models import Score, Submission, SubmissionState


def test_competitor_plots_carry_public_scores_only(open_app, seeded, chart_values) -> None:
    app = open_app("alice", page="plots")

    assert not app.exception
    assert len(app.get("vega_lite_chart")) == 3
    values = chart_values(app)
    assert round(dict(seeded.public)["accuracy"], 4) in values
    assert all(abs(value - dict(seeded.private)["accuracy"]) > 1e-3 for value in values)
    assert not [radio for radio in app.radio if radio.label == "Scores of the board"]


def test_judge_can_plot_the_private_board(open_app, seeded, chart_values) -> None:
    app = open_app("judy", page="plots")

    app = next(radio for radio in app.radio if radio.label == "Scores of the board").set_value("private").run()

    assert not app.exception
    assert dict(seeded.private)["accuracy"] in chart_values(app)


@pytest.mark.parametrize("entries", [0, 1, 2, 500])
def test_plots_read_right_with_0_1_2_and_500_entries(open_app, seeded, chart_values, entries: int) -> None:
    with seeded.database.session() as session:
        if entries == 0:
            session.query(Score).delete()
            session.query(Submission).delete()
        else:
            session.query(Submission).filter_by(state=SubmissionState.failed).delete()
    if entries == 2:
        seeded.add_owls_submission(0.9, 0.8, hours=3)
    if entries == 500:
        seeded.add_teams(499)

    app = open_app("judy", page="plots")

    assert not app.exception
    charts = app.get("vega_lite_chart")
    if entries == 0:
        assert charts == [] and len(app.info) == 3
        return
    assert len(charts) == 3
    best_score = {1: dict(seeded.public)["accuracy"], 2: 0.9, 500: 0.5 + 498 / 1000}[entries]
    assert best_score in chart_values(app)
    best = json.loads(charts[0].proto.spec)
    low, high = best["layer"][0]["encoding"]["y"]["scale"]["domain"]
    lowest = 0.5 + 489 / 1000 if entries == 500 else dict(seeded.public)["accuracy"]  # 10th team / Owls' first
    assert low < lowest <= best_score < high
    histogram = json.loads(charts[2].proto.spec)
    assert histogram["encoding"]["x"]["title"] == "public accuracy (score range)"
