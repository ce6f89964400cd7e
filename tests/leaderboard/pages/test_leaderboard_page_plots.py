"""The "Plots" page: three charts; public scores only for competitors, private for judges."""

from __future__ import annotations


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
