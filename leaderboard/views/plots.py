"""The "Plots" page: best-so-far score of the leading teams, submissions per day, score distribution.

Scores come from a board the viewer may see (public only for a competitor before
close) and are rounded like the board for competitors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from leaderboard.access import Viewer, display_digits, ensure_board_allowed, visible_boards
from leaderboard.catalog import ChallengeInfo
from leaderboard.queries.activity import best_so_far, score_values, submissions_per_day
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["BINS", "TOP_TEAMS", "best_so_far_lines", "histogram", "render"]

TOP_TEAMS = 10
BINS = 20


def best_so_far_lines(frame: pd.DataFrame, digits: int | None) -> pd.DataFrame:
    """Best-so-far rows (team, created_at, best) as one column per team indexed by time, carried forward."""
    wide = frame.pivot_table(index="created_at", columns="team", values="best", aggfunc="last").sort_index().ffill()
    return wide if digits is None else wide.round(digits)


def histogram(values: pd.Series, bins: int = BINS) -> pd.DataFrame:
    """Counts of ``values`` in ``bins`` equal bins, labelled by each bin's lower edge."""
    counts, edges = np.histogram(values.to_numpy(), bins=bins)
    return pd.DataFrame({"score from": [f"{edge:.3f}" for edge in edges[:-1]], "submissions": counts})


def _choose_split(viewer: Viewer, challenge: ChallengeInfo) -> str:
    boards = visible_boards(viewer, challenge)
    if len(boards) == 1:
        st.caption("Public scores. Private scores are shown when the challenge closes.")
        return boards[0]
    return str(st.radio("Scores of the board", boards, horizontal=True, key="plot-board"))


def render(context: PageContext) -> None:
    """Render the plots of the chosen challenge.

    Scores are read from one board the viewer may see (the public one for a
    competitor before close) and rounded like the board for competitors.

    Raises:
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
    """
    challenge = challenge_page(context, "Plots")
    if challenge is None:
        return
    split = _choose_split(context.viewer, challenge)
    ensure_board_allowed(context.viewer, challenge, split)
    with context.database.session() as session:
        lines = best_so_far(session, challenge, split, TOP_TEAMS)
        days = submissions_per_day(session, challenge)
        values = score_values(session, challenge, split)
    digits = display_digits(context.viewer, context.settings.score_display_digits)
    st.subheader(f"Best {challenge.primary_metric} so far, top {TOP_TEAMS} teams")
    if lines.empty:
        st.info("No scored submission yet.")
    else:
        st.line_chart(best_so_far_lines(lines, digits), x_label="submitted at", y_label=challenge.primary_metric)
    st.subheader("Submissions per day")
    st.bar_chart(days, x="day", y="submissions")
    st.subheader(f"Distribution of {split} {challenge.primary_metric}")
    if not values.empty:
        st.bar_chart(histogram(values), x="score from", y="submissions")
