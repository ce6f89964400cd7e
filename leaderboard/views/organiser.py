"""The "Organiser" page (organisers, admins): scoring queue, recent failures, challenges' state."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from leaderboard.access import ORGANISER_ROLES, ensure_role
from leaderboard.queries.operations import challenge_states, oldest_queued_at, queue_depth, recent_failures
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext

__all__ = ["FAILURES", "age", "render"]

FAILURES = 20


def age(since: datetime | None, now: datetime) -> str:
    """How long ago ``since`` was, as ``1h 02m 03s`` (``—`` for None)."""
    if since is None:
        return "—"
    seconds = max(0, int((now - since).total_seconds()))
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m {seconds % 60:02d}s"


def _times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].map(format_time)
    return frame


def render(context: PageContext) -> None:
    """Render the organiser's overview.

    Raises:
        PageNotAllowed: the viewer is not an organiser or admin.
    """
    ensure_role(context.viewer, ORGANISER_ROLES, "the organiser page")
    with context.database.session() as session:
        depth = queue_depth(session)
        oldest = oldest_queued_at(session)
        failures = recent_failures(session, FAILURES)
        challenges = challenge_states(session)
    st.title("Organiser")
    st.subheader("Scoring queue")
    columns = st.columns(len(depth) + 1)
    for column, (state, count) in zip(columns, depth.items(), strict=False):
        column.metric(state, count)
    columns[-1].metric("oldest queued", age(oldest, datetime.now(UTC)))
    st.subheader(f"Latest {FAILURES} failures")
    if failures.empty:
        st.info("No failed submission.")
    else:
        st.dataframe(_times(failures, "created_at"), hide_index=True, width="stretch")
    st.subheader("Challenges")
    challenges["state"] = challenges["state"].astype(str)
    st.dataframe(_times(challenges, "published_at", "closed_at"), hide_index=True, width="stretch")
