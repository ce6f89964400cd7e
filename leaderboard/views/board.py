"""The "Leaderboard" page: one challenge's board, refreshed live.

The challenge comes from the ``challenge`` query parameter (or a selector), the
board from ``board`` (or a selector offering only the boards the viewer may see).
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from arena.db import Database
from leaderboard.access import Viewer, ensure_board_allowed, visible_boards
from leaderboard.catalog import ChallengeInfo, find_challenge, list_challenges
from leaderboard.tables import fetch_board, format_time
from leaderboard.views import notices
from leaderboard.views.context import PageContext

__all__ = ["REFRESH_SECONDS", "render"]

REFRESH_SECONDS = 15


def _requested(context: PageContext) -> tuple[ChallengeInfo | None, list[ChallengeInfo]]:
    """The challenge and board the query asks for, checked before anything is drawn."""
    slug = st.query_params.get("challenge")
    with context.database.session() as session:
        challenges = list_challenges(session)
        current = find_challenge(session, slug) if slug else next(iter(challenges), None)
    if current is not None:
        ensure_board_allowed(context.viewer, current, st.query_params.get("board", "public"))
    return current, challenges


def _choose_challenge(current: ChallengeInfo, challenges: list[ChallengeInfo]) -> ChallengeInfo:
    by_slug = {challenge.slug: challenge for challenge in challenges}
    slugs = list(by_slug)
    chosen = st.selectbox(
        "Challenge", slugs, index=slugs.index(current.slug), format_func=lambda slug: by_slug[slug].title
    )
    if chosen != current.slug:
        st.query_params.pop("board", None)  # a board chosen for another challenge does not carry over
    st.query_params["challenge"] = chosen  # the address names what is shown
    return by_slug[chosen]


def _choose_board(viewer: Viewer, challenge: ChallengeInfo) -> str:
    boards = visible_boards(viewer, challenge)
    if len(boards) == 1:
        st.caption("Public board. The private board opens to competitors when the challenge closes.")
        return boards[0]
    requested = st.query_params.get("board", "public")
    board = st.radio("Board", boards, index=boards.index(requested), horizontal=True)
    st.query_params["board"] = board
    return board


@st.fragment(run_every=REFRESH_SECONDS)
def _live_board(
    database: Database, viewer: Viewer, challenge: ChallengeInfo, board: str, score_digits: int
) -> None:
    # Errors raised in a fragment do not reach the app's handler: explain them here.
    with notices.explained_errors(), database.session() as session:
        frame = fetch_board(session, viewer, challenge, board, score_digits)
        if frame.empty:
            st.info("No scored submission yet.")
        else:
            st.dataframe(frame, hide_index=True, width="stretch")
        st.caption(f"{board.capitalize()} board · updated {format_time(datetime.now(UTC))} · refreshes itself")


def render(context: PageContext) -> None:
    """Render the board of the chosen challenge for the viewer.

    Raises:
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
        BoardNotAllowed: the ``board`` query parameter asks for a board the viewer may not see.
    """
    current, challenges = _requested(context)
    st.title("Leaderboard")
    if current is None:
        st.info("No challenge is published yet.")
        return
    challenge = _choose_challenge(current, challenges)
    st.subheader(challenge.title)
    board = _choose_board(context.viewer, challenge)
    _live_board(context.database, context.viewer, challenge, board, context.settings.score_display_digits)
