"""The "Plots" page: best-so-far score of the leading teams, submissions per day, score distribution.

Scores come from a board the viewer may see (public only for a competitor before
close) and are rounded like the board for competitors.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaderboard.access import Viewer, display_digits, ensure_board_allowed, visible_boards
from leaderboard.catalog import ChallengeInfo
from leaderboard.charts import best_so_far_chart, score_histogram_chart, submissions_per_day_chart
from leaderboard.queries.activity import best_so_far, score_values, submissions_per_day
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["TOP_TEAMS", "best_so_far_lines", "render", "render_plots"]

TOP_TEAMS = 10


def best_so_far_lines(frame: pd.DataFrame, digits: int | None) -> pd.DataFrame:
    """Best-so-far rows (team, created_at, best), the best rounded like the board for competitors."""
    return frame if digits is None else frame.assign(best=frame["best"].round(digits))


def _choose_split(viewer: Viewer, challenge: ChallengeInfo) -> str:
    boards = visible_boards(viewer, challenge)
    if len(boards) == 1:
        st.caption("Public scores. Private scores are shown when the challenge closes.")
        return boards[0]
    return str(st.radio("Scores of the board", boards, horizontal=True, key="plot-board"))


def render_plots(context: PageContext, challenge: ChallengeInfo) -> None:
    """The three plots of ``challenge`` (a board the viewer may see; rounded like the board for competitors)."""
    split = _choose_split(context.viewer, challenge)
    ensure_board_allowed(context.viewer, challenge, split)
    with context.database.session() as session:
        lines = best_so_far(session, challenge, split, TOP_TEAMS)
        days = submissions_per_day(session, challenge)
        values = score_values(session, challenge, split)
    digits = display_digits(context.viewer, context.settings.score_display_digits)
    metric = challenge.primary_metric
    st.subheader(f"Best {metric} so far, top {TOP_TEAMS} teams")
    if lines.empty:
        st.info("No scored submission yet: each team's best score appears here from its first one.")
    else:
        st.altair_chart(best_so_far_chart(best_so_far_lines(lines, digits), metric), width="stretch")
    st.subheader("Submissions per day")
    if days.empty:
        st.info("No submission yet.")
    else:
        st.altair_chart(submissions_per_day_chart(days), width="stretch")
    st.subheader(f"Distribution of {split} {metric}")
    if values.empty:
        st.info("No scored submission yet.")
    else:
        shown = values if digits is None else values.round(digits)
        st.altair_chart(score_histogram_chart(shown, f"{split} {metric}"), width="stretch")


def render(context: PageContext) -> None:
    """Render the plots of the chosen challenge.

    Raises:
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
    """
    challenge = challenge_page(context, "Plots")
    if challenge is not None:
        render_plots(context, challenge)
