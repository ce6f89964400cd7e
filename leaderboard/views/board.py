"""The "Leaderboard" page: one challenge's board, a page at a time, refreshed live.

The challenge comes from the ``challenge`` query parameter (or a selector), the
board from ``board`` (or a selector offering only the boards the viewer may see).
Viewers search teams and page through the board; on the private board a toggle
shows how ranks moved from the public board; judges and organisers download it as CSV.

Showing a private board is audited like in the scoring API (``leaderboard.private.view``), once
per viewer, challenge and browser session: the app asks the scoring service to record it. That is
best effort: when the scoring service cannot record it, the board is still shown and the app logs
a warning (and tries again on the next full rerun), so an outage of scoring never hides a board.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.orm import Session

from arena.db import Database
from leaderboard.access import Viewer, ensure_board_allowed, visible_boards
from leaderboard.catalog import ChallengeInfo
from leaderboard.errors import LeaderboardError
from leaderboard.scoring_api import ScoringApi
from leaderboard.tables import PageRequest, count_teams, fetch_board, fetch_page, format_time, page_count
from leaderboard.views import notices
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["PAGE_SIZE", "REFRESH_SECONDS", "audit_private_view", "render"]

log = logging.getLogger(__name__)

REFRESH_SECONDS = 15
PAGE_SIZE = 50


def _choose_board(viewer: Viewer, challenge: ChallengeInfo) -> str:
    boards = visible_boards(viewer, challenge)
    if len(boards) == 1:
        st.caption("Public board. The private board opens to competitors when the challenge closes.")
        return boards[0]
    requested = st.query_params.get("board", "public")
    board = st.radio("Board", boards, index=boards.index(requested), horizontal=True)
    st.query_params["board"] = board
    return board


def _page_request(challenge: ChallengeInfo, board: str) -> PageRequest:
    """The search box and, on the private board, the rank-shift toggle (the page comes later)."""
    team_filter = st.text_input("Search team", key=f"team-filter-{challenge.slug}", placeholder="part of a team name")
    shifts = board == "private" and st.toggle("Show rank shifts from the public board", key="rank-shifts")
    return PageRequest(board=board, page_size=PAGE_SIZE, team_filter=team_filter, shifts=shifts)


def _csv_download(session: Session, viewer: Viewer, challenge: ChallengeInfo, board: str, score_digits: int) -> None:
    if not viewer.privileged:
        return
    frame = fetch_board(session, viewer, challenge, board, score_digits)
    st.download_button(
        "Download the whole board (CSV)",
        frame.to_csv(index=False).encode("utf-8"),
        file_name=f"{challenge.slug}-{board}-board.csv",
        mime="text/csv",
        on_click="ignore",
    )


def audit_private_view(context: PageContext, challenge: ChallengeInfo) -> bool:
    """Have the scoring service audit that the viewer is shown ``challenge``'s private board (once per session).

    Returns:
        Whether the view is recorded (now or earlier in this session); False (and a logged warning)
        when the scoring service could not record it.
    """
    done = f"private-view-audited-{challenge.slug}"
    if st.session_state.get(done):
        return True
    try:
        ScoringApi.from_settings(context.settings).record_board_view(context.viewer.name, challenge.slug)
    except LeaderboardError as error:
        viewer = context.viewer.name
        log.warning("private board of %r shown to %r without an audit record: %s", challenge.slug, viewer, error)
        return False
    st.session_state[done] = True
    return True


@st.fragment(run_every=REFRESH_SECONDS)
def _live_board(database: Database, viewer: Viewer, challenge: ChallengeInfo, board: str, score_digits: int) -> None:
    # Errors raised in a fragment do not reach the app's handler: explain them here.
    with notices.explained_errors(), database.session() as session:
        request = _page_request(challenge, board)
        total = count_teams(session, viewer, challenge, request)
        pages = page_count(total, PAGE_SIZE)
        if pages > 1:
            page = st.pagination(pages, key=f"page-{challenge.slug}-{board}-{request.team_filter}")
            request = replace(request, page=page)
        frame = fetch_page(session, viewer, challenge, request, score_digits)
        if frame.empty:
            st.info("No team matches the search." if request.team_filter else "No scored submission yet.")
        else:
            st.dataframe(frame, hide_index=True, width="stretch")
        _csv_download(session, viewer, challenge, board, score_digits)
        st.caption(
            f"{board.capitalize()} board · {total} team(s) · page size {PAGE_SIZE} · "
            f"updated {format_time(datetime.now(UTC))} · refreshes itself"
        )


def render(context: PageContext) -> None:
    """Render the board of the chosen challenge for the viewer.

    Raises:
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
        BoardNotAllowed: the ``board`` query parameter asks for a board the viewer may not see.
    """
    requested_board = st.query_params.get("board", "public")
    challenge = challenge_page(
        context, "Leaderboard", lambda current: ensure_board_allowed(context.viewer, current, requested_board)
    )
    if challenge is None:
        return
    st.subheader(challenge.title)
    board = _choose_board(context.viewer, challenge)
    if board == "private":
        audit_private_view(context, challenge)
    _live_board(context.database, context.viewer, challenge, board, context.settings.score_display_digits)
