"""The leaderboard app under Streamlit's AppTest, on a real seeded database."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from arena.models import Challenge
from leaderboard import app_path


def _score_column(app: AppTest, metric: str) -> list[float]:
    return list(app.dataframe[0].value[metric])


def test_challenges_page_lists_the_published_challenge(open_app, seeded) -> None:
    app = open_app("alice")

    assert not app.exception
    assert [title.value for title in app.title] == ["Challenges"]
    assert seeded.title in [header.value for header in app.subheader]
    text = "\n".join(element.value for element in app.markdown)
    assert "people@1" in text
    assert "2026-01-01 00:00 UTC" in text
    assert seeded.description in text
    assert f"?challenge={seeded.slug}" in text


def test_competitor_sees_own_team_on_the_public_board_rounded(open_app, seeded) -> None:
    app = open_app("alice", challenge=seeded.slug)

    assert not app.exception
    board = app.dataframe[0].value
    assert list(board["Team"]) == ["Owls"]
    public = dict(seeded.public)
    assert _score_column(app, "accuracy") == [round(public["accuracy"], seeded.settings.score_display_digits)]
    assert _score_column(app, "f1_macro") == [round(public["f1_macro"], seeded.settings.score_display_digits)]
    assert list(board["Entries"]) == [1]


def test_competitor_gets_nothing_of_the_private_board_before_close(open_app, seeded, rendered) -> None:
    public_app = open_app("alice", challenge=seeded.slug)
    private_app = open_app("alice", challenge=seeded.slug, board="private")

    for app in (public_app, private_app):
        text = rendered(app)
        for _metric, value in seeded.private:
            assert str(value) not in text and str(round(value, 4)) not in text
    assert [widget for widget in public_app.radio if widget.label == "Board"] == []
    assert "private board opens" in rendered(public_app)
    assert [title.value for title in private_app.title] == ["Not allowed"]
    assert not private_app.dataframe


def test_judge_sees_the_private_board_in_full_precision(open_app, seeded) -> None:
    app = open_app("judy", challenge=seeded.slug)
    board_choice = next(widget for widget in app.radio if widget.label == "Board")
    assert board_choice.options == ["public", "private"]

    app = board_choice.set_value("private").run()

    assert not app.exception
    assert _score_column(app, "accuracy") == [dict(seeded.private)["accuracy"]]


def test_private_board_opens_to_competitors_when_the_challenge_closes(open_app, seeded) -> None:
    seeded.close_challenge()

    app = open_app("alice", challenge=seeded.slug, board="private")

    assert not app.exception
    assert _score_column(app, "accuracy") == [round(dict(seeded.private)["accuracy"], 4)]


def test_unknown_challenge_shows_not_found(open_app) -> None:
    app = open_app("alice", challenge="unknown")

    assert [title.value for title in app.title] == ["Challenge not found"]
    assert "'unknown'" in app.error[0].value
    assert not app.dataframe


def test_no_user_shows_not_signed_in(open_app) -> None:
    app = open_app(None, challenge="churn")

    assert [title.value for title in app.title] == ["Not signed in"]
    assert not app.dataframe


def test_entry_point_without_forwarded_header_shows_not_signed_in(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_DATA_DIR", str(seeded.settings.data_dir))
    monkeypatch.setenv("ARENA_DATABASE_URL", seeded.settings.db_url)
    app = AppTest.from_file(str(app_path()), default_timeout=60)
    app.query_params["challenge"] = seeded.slug

    app.run()

    assert not app.exception
    assert [title.value for title in app.title] == ["Not signed in"]
    assert not app.dataframe


def test_a_board_the_scoring_room_cannot_rank_is_explained_not_crashed(open_app, seeded) -> None:
    with seeded.database.session() as session:
        challenge = session.query(Challenge).filter_by(slug=seeded.slug).one()
        challenge.spec = {**challenge.spec, "metric": {"primary": "sparkle", "secondary": []}}

    app = open_app("judy", challenge=seeded.slug)

    assert not app.exception
    assert "Leaderboard unavailable" in [title.value for title in app.title]
    assert "'sparkle'" in app.error[0].value


def test_sidebar_offers_each_role_its_pages_and_the_address_follows(open_app) -> None:
    competitor = open_app("alice")
    judge = open_app("judy")
    organiser = open_app("olga")

    assert competitor.sidebar.radio[0].options == [
        "Challenges", "Overview", "Data", "Leaderboard", "Plots", "My submissions", "Team"
    ]  # fmt: skip
    assert judge.sidebar.radio[0].options[-1] == "Judges' console"
    assert not {"My submissions", "Team"} & set(judge.sidebar.radio[0].options)  # judges have no team
    assert organiser.sidebar.radio[0].options[-2:] == ["Judges' console", "Organiser"]
    app = competitor.sidebar.radio[0].set_value("Plots").run()
    assert [title.value for title in app.title] == ["Plots"]
    assert app.query_params["page"] == "plots"
    assert [title.value for title in app.run().title] == ["Plots"]


def test_challenge_pages_name_an_unknown_challenge(open_app) -> None:
    for user, page in (("judy", "plots"), ("alice", "my-submissions"), ("alice", "overview"), ("judy", "judges")):
        app = open_app(user, page=page, challenge="unknown")

        assert [title.value for title in app.title] == ["Challenge not found"]
        assert not app.dataframe
