"""The "My team" page: own submissions, failures explained, private scores hidden before close."""

from __future__ import annotations


def test_competitor_sees_own_submissions_without_private_scores(open_app, seeded, rendered) -> None:
    app = open_app("alice", page="my-team")

    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["File"]) == ["broken.csv", "predictions.csv"]
    assert seeded.failure in table["What happened"].iloc[0]
    assert table["public accuracy"].iloc[1] == round(dict(seeded.public)["accuracy"], 4)
    assert "private accuracy" not in table.columns
    text = rendered(app)
    assert all(str(round(value, 4)) not in text for _metric, value in seeded.private)


def test_private_scores_appear_after_close(open_app, seeded) -> None:
    seeded.close_challenge()

    app = open_app("alice", page="my-team")

    assert app.dataframe[0].value["private accuracy"].iloc[1] == round(dict(seeded.private)["accuracy"], 4)


def test_viewer_without_team_is_told_so(open_app) -> None:
    app = open_app("bob", page="my-team")

    assert not app.exception and not app.dataframe
    assert "bob is in no team" in app.info[0].value
