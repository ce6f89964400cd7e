"""Who may see which board, and the guarded board query, on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import SQLAlchemyError

from arena.models import ChallengeState, Role, User
from leaderboard import BoardNotAllowed, ChallengeNotFound
from leaderboard.access import Viewer, load_viewer, visible_boards
from leaderboard.catalog import find_challenge, list_challenges
from leaderboard.database import read_only_database
from leaderboard.tables import fetch_board


@pytest.mark.parametrize(
    ("role", "state", "boards"),
    [
        (Role.competitor, ChallengeState.published, ["public"]),
        (Role.competitor, ChallengeState.closed, ["public", "private"]),
        (Role.judge, ChallengeState.published, ["public", "private"]),
        (Role.organiser, ChallengeState.published, ["public", "private"]),
        (Role.admin, ChallengeState.published, ["public", "private"]),
    ],
)
def test_visible_boards_follow_role_and_state(seeded, role: Role, state: ChallengeState, boards: list[str]) -> None:
    if state == ChallengeState.closed:
        seeded.close_challenge()
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)

    assert visible_boards(Viewer(name="someone", role=role), challenge) == boards


def test_unregistered_hub_user_gets_the_competitor_view(seeded) -> None:
    with seeded.database.session() as session:
        viewer = load_viewer(session, "stranger")
        judge = load_viewer(session, "judy")

    assert viewer == Viewer(name="stranger", role=Role.competitor, registered=False)
    assert judge.role == Role.judge and judge.privileged


def test_private_board_is_refused_to_a_competitor_before_any_query(seeded) -> None:
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        with pytest.raises(BoardNotAllowed, match="private board of challenge 'churn'.*'competitor'"):
            fetch_board(session, Viewer("alice", Role.competitor), challenge, "private", 4)
        with pytest.raises(BoardNotAllowed, match="board 'secret' does not exist"):
            fetch_board(session, Viewer("judy", Role.judge), challenge, "secret", 4)


def test_judge_board_keeps_full_precision_and_competitor_board_is_rounded(seeded) -> None:
    with seeded.database.session() as session:
        challenge = find_challenge(session, seeded.slug)
        judge = fetch_board(session, Viewer("judy", Role.judge), challenge, "public", 3)
        competitor = fetch_board(session, Viewer("alice", Role.competitor), challenge, "public", 3)

    public = dict(seeded.public)
    assert list(judge.columns) == ["Rank", "Team", "accuracy", "f1_macro", "Entries", "Last submission"]
    assert judge.loc[0, "accuracy"] == public["accuracy"]
    assert competitor.loc[0, "accuracy"] == round(public["accuracy"], 3)
    assert competitor.loc[0, "Rank"] == 1 and competitor.loc[0, "Team"] == "Owls"


def test_unknown_challenge_is_a_typed_not_found(seeded) -> None:
    with seeded.database.session() as session:
        assert [challenge.slug for challenge in list_challenges(session)] == [seeded.slug]
        with pytest.raises(ChallengeNotFound, match="'nope'"):
            find_challenge(session, "nope")


def test_the_app_database_refuses_writes(seeded) -> None:
    database = read_only_database(seeded.settings.db_url)

    with pytest.raises(SQLAlchemyError), database.session() as session:
        session.add(User(name="mallory", role=Role.admin))
    with database.session() as session:
        assert [viewer.name for viewer in [load_viewer(session, "mallory")] if viewer.registered] == []
