"""The "My submissions" page: the viewer's team's submissions, what happened to each, their scores,
and the final selection (ticked here, saved through the scoring API, the rule shown).

Scores come from the boards the viewer may see: before the challenge closes a
competitor's page reads and shows public scores only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaderboard.access import display_digits, visible_boards
from leaderboard.catalog import ChallengeInfo
from leaderboard.errors import LeaderboardError
from leaderboard.formatting import format_score
from leaderboard.queries.submissions import find_team, team_submissions
from leaderboard.scoring_api import ScoringApi
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["FINAL_COLUMN", "STATE_EXPLANATIONS", "explain", "final_rule", "render"]

FINAL_COLUMN = "Final"
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


def final_rule(challenge: ChallengeInfo) -> str:
    """The final-selection rule of ``challenge``, in one sentence."""
    cap = challenge.limits.get("final_selection")
    if cap is None:
        return "Tick the scored submissions that count on the private board; tick none and your best public ones count."
    return (
        f"Tick up to {cap} of your scored submissions: they alone count on the private (final) board. "
        f"Tick none and your best {cap} by public {challenge.primary_metric} count."
    )


def _table(frame: pd.DataFrame, challenge: ChallengeInfo, digits: int | None, splits: list[str]) -> pd.DataFrame:
    scores = [
        f"{split} {metric}" for split in splits for metric in [challenge.primary_metric, *challenge.secondary_metrics]
    ]
    shown = pd.DataFrame(
        {
            FINAL_COLUMN: frame["selected"].fillna(False).astype(bool),
            "#": frame["id"],
            "Submitted": frame["created_at"].map(format_time),
            "File": frame["filename"],
            "State": frame["state"].astype(str),
            "What happened": [explain(str(s), e) for s, e in zip(frame["state"], frame["error"], strict=True)],
        }
    )
    for column in scores:
        shown[column.capitalize()] = [format_score(value, digits) for value in frame[column]]
    return shown


def _label(row: pd.Series, primary: str) -> str:
    return f"#{row['#']} · {row['Submitted']} · {row['File']} · {primary} {row[primary]}"


def _selection_form(context: PageContext, challenge: ChallengeInfo, table: pd.DataFrame) -> None:
    """One checkbox per scored submission; saving sends the ticked ones to the scoring API."""
    scored = table[table["State"] == "scored"]
    if scored.empty:
        st.caption("No scored submission to choose yet.")
        return
    primary = f"Public {challenge.primary_metric}"
    with st.form(f"final-selection-{challenge.slug}"):
        ticked = [
            int(row["#"])
            for _, row in scored.iterrows()
            if st.checkbox(_label(row, primary), value=bool(row[FINAL_COLUMN]), key=f"final-{challenge.slug}-{row['#']}")
        ]
        saved = st.form_submit_button("Save final selection", type="primary")
    if not saved:
        return
    try:
        chosen = ScoringApi.from_settings(context.settings).choose_final(context.viewer.name, challenge.slug, ticked)
    except LeaderboardError as error:
        st.error(f"Final selection not saved: {error}")
        return
    st.success("Final selection saved: " + (", ".join(f"#{i}" for i in chosen) or "none (your best public ones count)"))


def render(context: PageContext) -> None:
    """Render the viewer's team's submissions to the chosen challenge (``ChallengeNotFound`` if unknown)."""
    challenge = challenge_page(context, "My submissions")
    if challenge is None:
        return
    splits = visible_boards(context.viewer, challenge)
    with context.database.session() as session:
        team = find_team(session, challenge, context.viewer.name)
        frame = None if team is None else team_submissions(session, challenge, team[0], splits)
    if team is None or frame is None:
        st.info(f"{context.viewer.name} is in no team of {challenge.title!r} yet: your first submission makes one.")
        return
    st.subheader(f"Team {team[1]}")
    if "private" not in splits:
        st.caption("Public scores only: private scores are shown when the challenge closes.")
    if frame.empty:
        st.info("Your team has not submitted yet.")
        return
    digits = display_digits(context.viewer, context.settings.score_display_digits)
    table = _table(frame, challenge, digits, splits)
    shown = table.assign(**{FINAL_COLUMN: table[FINAL_COLUMN].map({True: "✓", False: ""})})
    st.dataframe(shown, hide_index=True, width="stretch")
    st.markdown(f"**Final selection.** {final_rule(challenge)}")
    if challenge.closed:
        st.caption("The challenge is closed: the final selection can no longer change.")
    else:
        _selection_form(context, challenge, table)
