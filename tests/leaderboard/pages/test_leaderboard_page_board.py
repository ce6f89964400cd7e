"""The Leaderboard page under AppTest: pages, team search, rank shifts and the judges' CSV."""

from __future__ import annotations

import logging

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from arena.models import AuditEvent


def _board(app: AppTest):
    return app.dataframe[0].value


def test_a_crowded_board_is_shown_fifty_teams_a_page(open_app, seeded) -> None:
    seeded.add_teams(120)

    app = open_app("alice", challenge=seeded.slug)
    first = _board(app)
    app = app.pagination[0].set_value(3).run()

    assert not app.exception
    assert len(first) == 50 and list(first["Rank"])[:2] == [1, 2]
    assert app.pagination[0].num_pages == 3
    assert list(_board(app)["Rank"]) == list(range(101, 122))
    assert any("121 team(s)" in caption.value for caption in app.main.caption)


def test_searching_a_team_keeps_its_rank(open_app, seeded) -> None:
    seeded.add_teams(120)
    app = open_app("alice", challenge=seeded.slug)

    app = app.text_input[0].input("t005").run()

    assert not app.exception
    assert list(_board(app)["Team"]) == ["T005"]
    assert list(_board(app)["Rank"]) == [121 - 5]
    assert not app.pagination


def test_judge_sees_rank_shifts_on_the_private_board(open_app, seeded) -> None:
    seeded.add_teams(2)
    app = open_app("judy", challenge=seeded.slug, board="private")

    app = app.toggle[0].set_value(True).run()

    assert not app.exception
    board = _board(app)
    assert list(board["Team"]) == ["T000", "T001", "Owls"]
    assert list(board["Public rank"]) == [3, 2, 1]
    assert list(board["Shift"]) == ["▲ 2", "=", "▼ 2"]


def test_competitor_has_no_shift_toggle_before_close_and_gets_it_after(open_app, seeded) -> None:
    before = open_app("alice", challenge=seeded.slug)
    seeded.close_challenge()
    after = open_app("alice", challenge=seeded.slug, board="private")

    assert not before.toggle
    assert [toggle.label for toggle in after.toggle] == ["Show rank shifts from the public board"]


def test_only_judges_get_the_csv_download(open_app, seeded) -> None:
    judge = open_app("judy", challenge=seeded.slug, board="private")
    organiser = open_app("olga", challenge=seeded.slug)
    competitor = open_app("alice", challenge=seeded.slug)

    assert [button.label for button in judge.get("download_button")] == ["Download the whole board (CSV)"]
    assert len(organiser.get("download_button")) == 1
    assert not competitor.get("download_button")


def test_search_without_match_says_so(open_app, seeded) -> None:
    app = open_app("alice", challenge=seeded.slug)

    app = app.text_input[0].input("nobody").run()

    assert not app.dataframe
    assert "No team matches the search." in [info.value for info in app.info]


def _private_views(seeded) -> list[tuple[str, str, dict]]:
    with seeded.database.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "leaderboard.private.view"))
        return [(event.actor, event.object, event.detail) for event in events]


def test_a_private_board_shown_is_audited_once_per_session(open_app, seeded, scoring_service) -> None:
    app = open_app("judy", scoring_service, challenge=seeded.slug, board="private")
    app = app.text_input[0].input("owl").run()  # reruns of the same session
    app = app.toggle[0].set_value(True).run()
    public = open_app("judy", scoring_service, challenge=seeded.slug)

    assert not app.exception and not public.exception
    assert list(_board(app)["Team"]) == ["Owls"]
    assert _private_views(seeded) == [("judy", f"challenge:{seeded.slug}", {"via": "leaderboard"})]


def test_the_private_board_still_shows_when_the_audit_cannot_be_recorded(open_app, seeded, caplog, monkeypatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with caplog.at_level(logging.WARNING, logger="leaderboard.views.board"):
        app = open_app("judy", challenge=seeded.slug, board="private")  # no service token, no scoring service

    assert list(_board(app)["Team"]) == ["Owls"]
    assert _private_views(seeded) == []
    assert any(
        "private board of 'churn' shown to 'judy' without an audit record" in record.getMessage()
        for record in caplog.records
    )
