"""The judges' console page: detail of a submission, blinded review, and no entry for competitors."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _field(app: AppTest, name: str) -> str:
    detail = app.dataframe[1].value
    return detail.loc[detail["Field"] == name, "Value"].item()


def test_judge_sees_a_submission_in_full_detail(open_app, seeded) -> None:
    app = open_app("judy", page="judges")
    oldest = int(app.selectbox[1].options[-1])  # the scored one; the failed one is newer

    app = app.selectbox[1].set_value(oldest).run()

    assert not app.exception
    assert list(app.dataframe[0].value["Team"]) == ["Owls", "Owls"]
    assert _field(app, "File name") == "predictions.csv"
    assert _field(app, "Size (bytes)") == "1234"
    assert _field(app, "SHA-256") == "f" * 64
    assert _field(app, "Submitted") == "2026-01-05 09:30 UTC"
    assert _field(app, "Scored") == "2026-01-05 09:31 UTC"
    scores = app.dataframe[2].value
    assert scores.loc["accuracy", "private"] == dict(seeded.private)["accuracy"]
    assert scores.loc["f1_macro", "public"] == dict(seeded.public)["f1_macro"]


def test_failed_submission_detail_shows_its_error(open_app, seeded) -> None:
    app = open_app("olga", page="judges")  # the newest (failed) submission is chosen first

    assert _field(app, "State") == "failed"
    assert _field(app, "Error") == seeded.failure


def test_blinded_review_hides_team_user_and_file(open_app, seeded, rendered) -> None:
    app = open_app("judy", page="judges")

    app = app.toggle[0].set_value(True).run()

    assert not app.exception
    teams = set(app.dataframe[0].value["Team"])
    assert len(teams) == 1 and next(iter(teams)).startswith("Team ")
    text = rendered(app)
    assert "Owls" not in text and "alice" not in text.replace("Signed in as", "") and "broken.csv" not in text
    assert _field(app, "Team") in teams


def test_competitor_is_not_allowed_in_the_console(open_app, seeded) -> None:
    app = open_app("alice", page="judges")

    assert [title.value for title in app.title] == ["Not allowed"]
    assert "judge" in app.error[0].value and "'competitor'" in app.error[0].value
    assert not app.dataframe
    assert "Judges' console" not in open_app("alice").sidebar.radio[0].options
