"""The "Judges' console" (judges, organisers, admins): recent submissions and one in full detail.

Blinded review replaces team names by stable pseudonyms and hides what may name a
team (user, file name, description). Rubric scores need a writable table and are
not stored yet (the app is read-only).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaderboard.access import BOARDS, PRIVILEGED_ROLES, ensure_role
from leaderboard.blinding import blind, review_salt
from leaderboard.catalog import ChallengeInfo
from leaderboard.queries.submissions import recent_submissions, submission_detail
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["RECENT", "detail_table", "render", "scores_table"]

RECENT = 200
_LABELS = {
    "id": "Submission", "team": "Team", "user": "Submitted by", "filename": "File name", "size_bytes": "Size (bytes)",
    "file_digest": "SHA-256", "description": "Description", "state": "State", "error": "Error",
    "attempts": "Scoring attempts", "created_at": "Submitted", "scored_at": "Scored",
}  # fmt: skip


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return format_time(value) if hasattr(value, "strftime") else str(value)


def detail_table(detail: dict[str, object]) -> pd.DataFrame:
    """The fields of one submission as two columns, Field and Value (hidden fields left out)."""
    rows = [(label, _shown(detail[key])) for key, label in _LABELS.items() if key in detail]
    return pd.DataFrame(rows, columns=["Field", "Value"])


def scores_table(detail: dict[str, object], challenge: ChallengeInfo) -> pd.DataFrame:
    """The submission's scores: one row per metric, one column per split."""
    metrics = [challenge.primary_metric, *challenge.secondary_metrics]
    return pd.DataFrame(
        {split: [detail.get(f"{split} {metric}") for metric in metrics] for split in BOARDS}, index=metrics
    )


def _recent_table(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [column for column in ("id", "team", "user", "state", "created_at") if column in frame.columns]
    shown = frame[columns].rename(columns=_LABELS)
    shown["Submitted"] = frame["created_at"].map(format_time)
    return shown


def render(context: PageContext) -> None:
    """Render the console for the chosen challenge.

    Raises:
        PageNotAllowed: the viewer is not a judge, organiser or admin.
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
    """
    ensure_role(context.viewer, PRIVILEGED_ROLES, "the judges' console")
    challenge = challenge_page(context, "Judges' console")
    if challenge is None:
        return
    blinded = st.toggle("Blinded review (pseudonyms instead of team names)", key="blinded")
    with context.database.session() as session:
        recent = recent_submissions(session, challenge, RECENT)
        salt = review_salt(session, challenge)
    if recent.empty:
        st.info("No submission yet.")
        return
    recent = blind(recent, salt) if blinded else recent
    st.subheader(f"Latest {RECENT} submissions")
    st.dataframe(_recent_table(recent), hide_index=True, width="stretch")
    chosen = st.selectbox("Submission in detail", list(recent["id"]), key="submission")
    with context.database.session() as session:
        detail = submission_detail(session, challenge, int(chosen), list(BOARDS))
    if detail is None:
        st.info(f"Submission {chosen} is no longer there.")
        return
    if blinded:
        detail = blind(pd.DataFrame([detail]), salt).iloc[0].to_dict()
    st.dataframe(detail_table(detail), hide_index=True, width="stretch")
    st.dataframe(scores_table(detail, challenge), width="stretch")
    st.caption("Rubric scores and comments per judge come with a writable review table (not stored yet).")
