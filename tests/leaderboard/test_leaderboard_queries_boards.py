"""The paged board query on a real database: same ranking as the scoring room, one page at a time."""

from __future__ import annotations

from leaderboard.catalog import find_challenge
from leaderboard.queries.boards import board_page, board_size
from scoring import leaderboard as scoring_leaderboard


def test_whole_paged_board_agrees_with_the_scoring_room(seeded) -> None:
    seeded.add_teams(30)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        for split in ("public", "private"):
            ours = board_page(session, challenge, split, page_size=None)
            theirs = scoring_leaderboard(session, seeded.slug, board=split)

            assert [(r.rank, r.team, r.score, r.secondary, r.entries) for r in ours] == [
                (r.rank, r.team, r.score, r.secondary, r.entries) for r in theirs
            ]


def test_a_page_holds_page_size_teams_with_global_ranks(seeded) -> None:
    seeded.add_teams(120)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        total = board_size(session, challenge, "public")
        third = board_page(session, challenge, "public", page=3, page_size=50)

    assert total == 121
    assert [row.rank for row in third] == list(range(101, 122))
    assert third[-1].team == "T000"  # lowest public accuracy


def test_team_filter_keeps_ranks_and_is_case_insensitive(seeded) -> None:
    seeded.add_teams(120)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        rows = board_page(session, challenge, "public", team_filter="t11")
        size = board_size(session, challenge, "public", team_filter="t11")
        none = board_page(session, challenge, "public", team_filter="%")

    assert [(row.team, row.rank) for row in rows] == [(f"T11{n}", 11 - n) for n in range(9, -1, -1)]
    assert size == 10
    assert none == []  # a LIKE wildcard is matched literally


def test_private_page_gives_each_teams_public_rank(seeded) -> None:
    seeded.add_teams(3)
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        rows = board_page(session, challenge, "private", compare_public=True)

    assert [(row.team, row.rank, row.public_rank) for row in rows] == [
        ("T000", 1, 4), ("T001", 2, 3), ("T002", 3, 2), ("Owls", 4, 1),
    ]  # fmt: skip
