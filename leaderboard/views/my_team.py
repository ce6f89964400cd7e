"""The "My team" page: the viewer's team's submissions, what happened to each, and their scores.

Scores come from the boards the viewer may see: before the challenge closes a
competitor's page reads and shows public scores only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaderboard.access import display_digits, visible_boards
from leaderboard.catalog import ChallengeInfo
from leaderboard.queries.submissions import find_team, team_submissions
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["STATE_EXPLANATIONS", "explain", "render"]

STATE_EXPLANATIONS = {
    "queued": "Waiting for a scoring worker; it is scored in the order received.",
    "scoring": "Being scored right now.",
    "scored": "Scored; its public score counts on the board.",
    "failed": "Not scored and not counted; fix the file and submit again.",
}


def explain(state: str, error: str | None) -> str:
    """What a submission's ``state`` (and ``error``, when it failed) mean to its team."""
    text = STATE_EXPLANATIONS.get(state, state)
    return f"{text} Reason: {error}" if state == "failed" and error else text


def _table(frame: pd.DataFrame, challenge: ChallengeInfo, digits: int | None, splits: list[str]) -> pd.DataFrame:
    scores = [
        f"{split} {metric}" for split in splits for metric in [challenge.primary_metric, *challenge.secondary_metrics]
    ]
    shown = pd.DataFrame(
        {
            "#": frame["id"],
            "Submitted": frame["created_at"].map(format_time),
            "File": frame["filename"],
            "State": frame["state"].astype(str),
            "What happened": [explain(str(s), e) for s, e in zip(frame["state"], frame["error"], strict=True)],
        }
    )
    for column in scores:
        shown[column] = frame[column] if digits is None else frame[column].round(digits)
    return shown


def render(context: PageContext) -> None:
    """Render the viewer's team's submissions to the chosen challenge (``ChallengeNotFound`` if unknown)."""
    challenge = challenge_page(context, "My team")
    if challenge is None:
        return
    splits = visible_boards(context.viewer, challenge)
    with context.database.session() as session:
        team = find_team(session, challenge, context.viewer.name)
        frame = None if team is None else team_submissions(session, challenge, team[0], splits)
    if team is None or frame is None:  # judges and organisers have no team
        st.info(f"{context.viewer.name} is in no team of {challenge.title!r} yet.")
        return
    st.subheader(f"Team {team[1]}")
    if "private" not in splits:
        st.caption("Public scores only: private scores are shown when the challenge closes.")
    if frame.empty:
        st.info("Your team has not submitted yet.")
        return
    digits = display_digits(context.viewer, context.settings.score_display_digits)
    st.dataframe(_table(frame, challenge, digits, splits), hide_index=True, width="stretch")
