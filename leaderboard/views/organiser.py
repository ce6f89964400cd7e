"""The "Organiser" page (organisers, admins): publish a bundle, close and export challenges; scoring queue, failures.

Every action goes through the scoring API (the app is read-only on the database), which applies the
CLI's rules and audits it: upload a bundle ``.zip`` → its validation result → Publish; per
challenge: Close, and Export the ranking (CSV download).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from leaderboard.access import ORGANISER_ROLES, ensure_role
from leaderboard.errors import LeaderboardError
from leaderboard.scoring_api import ScoringApi
from leaderboard.queries.operations import challenge_states, oldest_queued_at, queue_depth, recent_failures
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext

__all__ = ["CHALLENGE_COLUMNS", "FAILURE_COLUMNS", "FAILURES", "age", "render"]

FAILURES = 20
FAILURE_COLUMNS = {"id": "#", "challenge": "Challenge", "team": "Team", "created_at": "Submitted",
                   "attempts": "Attempts", "error": "Error"}  # fmt: skip
CHALLENGE_COLUMNS = {"slug": "Challenge", "title": "Title", "state": "State", "version": "Version",
                     "published_at": "Published", "closed_at": "Closed", "submissions": "Submissions"}  # fmt: skip


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


def _publish_section(context: PageContext) -> None:
    st.subheader("Publish a challenge")
    upload = st.file_uploader("Challenge bundle (.zip)", type=["zip"], key="bundle-upload")
    if upload is None:
        st.caption("A .zip of a bundle folder: challenge.yaml, description, answers (and a starter notebook, or one is generated).")
        return
    api, bundle = ScoringApi.from_settings(context.settings), upload.getvalue()
    try:
        summary = api.validate_bundle(context.viewer.name, bundle)
    except LeaderboardError as error:
        st.error(f"The bundle is not valid: {error}")
        return
    st.success(f"Valid bundle: **{summary['title']}** (`{summary['slug']}`)")
    st.dataframe(
        pd.DataFrame(
            [
                ("Task", summary["task"]), ("Metric", summary["metric"]), ("Submission", summary["submission"]),
                ("Datasets", ", ".join(f"{ref} → v{v}" for ref, v in summary["datasets"].items())),
                ("Answer rows", str(summary["answer_rows"])), ("Starter notebook", summary["starter"]),
            ],
            columns=["Field", "Value"],
        ),
        hide_index=True,
    )  # fmt: skip
    republish = st.checkbox("Replace the published challenge of this slug (republish)", key="republish")
    if st.button("Publish", type="primary", key="publish"):
        try:
            done = api.publish_bundle(context.viewer.name, bundle, republish=republish)
        except LeaderboardError as error:
            st.error(f"Not published: {error}")
            return
        st.success(f"Published `{done['published']}`: competitors find its starter in their sandbox at next start.")


def _challenge_actions(context: PageContext, challenges: pd.DataFrame) -> None:
    open_ones = challenges.loc[challenges["state"].astype(str) != "closed", "slug"].tolist()
    every = challenges["slug"].tolist()
    if not every:
        return
    api = ScoringApi.from_settings(context.settings)
    left, right = st.columns(2)
    with left:
        st.markdown("**Close a challenge** (no more submissions; the private board opens to everyone)")
        slug = st.selectbox("Challenge to close", open_ones, key="close-slug") if open_ones else None
        if slug and st.button("Close", key="close"):
            try:
                closed = api.close_challenge(context.viewer.name, slug)
            except LeaderboardError as error:
                st.error(f"Not closed: {error}")
            else:
                st.success(f"Closed `{closed['slug']}` at {closed['closed_at'][:16]} UTC.")
    with right:
        st.markdown("**Export the final ranking** (CSV; the private board once the challenge is closed)")
        slug = st.selectbox("Challenge to export", every, key="export-slug")
        board = st.radio("Board", ["private", "public"], horizontal=True, key="export-board")
        if st.button("Prepare the export", key="export"):
            try:
                text = api.export_ranking(context.viewer.name, slug, board)
            except LeaderboardError as error:
                st.error(f"Not exported: {error}")
            else:
                st.download_button("Download the ranking (CSV)", text.encode("utf-8"), f"{slug}-{board}-ranking.csv",
                                   mime="text/csv", on_click="ignore")  # fmt: skip


def render(context: PageContext) -> None:
    """Render the organiser's overview and actions.

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
    _publish_section(context)
    st.subheader("Challenges")
    challenges["state"] = challenges["state"].astype(str)
    shown = _times(challenges.copy(), "published_at", "closed_at").rename(columns=CHALLENGE_COLUMNS)
    st.dataframe(shown, hide_index=True, width="stretch")
    _challenge_actions(context, challenges)
    st.subheader("Scoring queue")
    columns = st.columns(len(depth) + 1)
    for column, (state, count) in zip(columns, depth.items(), strict=False):
        column.metric(state, count)
    columns[-1].metric("oldest queued", age(oldest, datetime.now(UTC)))
    st.subheader(f"Latest {FAILURES} failures")
    if failures.empty:
        st.info("No failed submission.")
    else:
        st.dataframe(_times(failures, "created_at").rename(columns=FAILURE_COLUMNS), hide_index=True, width="stretch")
