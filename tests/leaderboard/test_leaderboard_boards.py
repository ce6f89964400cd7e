"""The app's boards on a real database: pages, team search, rank shifts and final selection, all from the
scoring room's one ranking."""

from __future__ import annotations

import pandas as pd

from arena.models import Role
from leaderboard.access import Viewer
from leaderboard.catalog import find_challenge
from leaderboard.tables import PageRequest, count_teams, fetch_board, fetch_page
from scoring import choose_final_submissions
from scoring import leaderboard as scoring_leaderboard

JUDGE = Viewer("judy", Role.judge)


def test_a_page_holds_page_size_teams_with_global_ranks(seeded) -> None:
    seeded.add_teams(120)
    request = PageRequest(board="public", page=3, page_size=50)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        total = count_teams(session, JUDGE, challenge, request)
        third = fetch_page(session, JUDGE, challenge, request, 4)

    assert total == 121
    assert list(third["Rank"]) == list(range(101, 122))
    assert third["Team"].iloc[-1] == "T000"  # lowest public accuracy


def test_team_filter_keeps_ranks_and_is_case_insensitive(seeded) -> None:
    seeded.add_teams(120)
    request = PageRequest(board="public", team_filter="t11")
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        rows = fetch_page(session, JUDGE, challenge, request, 4)
        size = count_teams(session, JUDGE, challenge, request)
        none = fetch_page(session, JUDGE, challenge, PageRequest(board="public", team_filter="%"), 4)

    assert list(zip(rows["Team"], rows["Rank"], strict=True)) == [(f"T11{n}", 11 - n) for n in range(9, -1, -1)]
    assert size == 10
    assert none.empty  # a LIKE wildcard is matched literally


def test_private_page_gives_each_teams_public_rank(seeded) -> None:
    seeded.add_teams(3)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        frame = fetch_page(session, JUDGE, challenge, PageRequest(board="private", shifts=True), 4)

    assert list(zip(frame["Team"], frame["Rank"], frame["Public rank"], frame["Shift"], strict=True)) == [
        ("T000", 1, 4, "▲ 3"), ("T001", 2, 3, "▲ 1"), ("T002", 3, 2, "▼ 1"), ("Owls", 4, 1, "▼ 3"),
    ]  # fmt: skip


def _private_board(seeded) -> list[tuple[str, float]]:
    """The app's private board (page, whole board and rank-shift page must agree) as (team, accuracy)."""
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        page = fetch_page(session, JUDGE, challenge, PageRequest(board="private"), 4)
        whole = fetch_board(session, JUDGE, challenge, "private", 4)
        shifts = fetch_page(session, JUDGE, challenge, PageRequest(board="private", shifts=True), 4)
        scoring = [(row.team, row.score) for row in scoring_leaderboard(session, seeded.slug, "private")]
    shown = list(zip(page["Team"], page["accuracy"], strict=True))
    assert shown == list(zip(whole["Team"], whole["accuracy"], strict=True)) == scoring
    assert shown == list(zip(shifts["Team"], shifts["accuracy"], strict=True))
    return shown


def test_the_apps_private_board_honours_final_selection(seeded) -> None:
    seeded.add_teams(2)  # private accuracy: T000 0.9, T001 0.899
    seeded.add_owls_submission(0.95, 0.10, hours=1)
    best_public_second = seeded.add_owls_submission(0.90, 0.20, hours=2)
    hidden_gem = seeded.add_owls_submission(0.30, 0.99, hours=3)

    # No choice: Owls count its best 2 (limits.final_selection) by public score, not its best private score.
    assert _private_board(seeded) == [("T000", 0.9), ("T001", 0.899), ("Owls", 0.20)]
    choose_final_submissions(seeded.database, seeded.slug, "alice", [hidden_gem])
    assert _private_board(seeded) == [("Owls", 0.99), ("T000", 0.9), ("T001", 0.899)]
    choose_final_submissions(seeded.database, seeded.slug, "alice", [best_public_second])
    assert _private_board(seeded)[2] == ("Owls", 0.20)


def test_the_judges_whole_board_carries_each_teams_mean_review_score(seeded) -> None:
    seeded.add_teams(1)
    owls = seeded.scored_submission()
    seeded.add_review("judy", owls, 6.0)
    seeded.add_review("olga", owls, 8.0)
    seeded.close_challenge()
    competitor = Viewer("alice", Role.competitor)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        judged = fetch_board(session, JUDGE, challenge, "private", 4)
        public = fetch_board(session, competitor, challenge, "private", 4)

    means = dict(zip(judged["Team"], judged["review_overall"], strict=True))
    assert means["Owls"] == 7.0 and pd.isna(means["T000"])  # T000 was not reviewed
    assert "review_overall" not in public.columns  # reviews are for judges, organisers and admins
