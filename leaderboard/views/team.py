"""The "Team" page: the viewer's team in the chosen challenge, its members and the team rules."""

from __future__ import annotations

import streamlit as st

from leaderboard.queries.submissions import find_team, team_members
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["render"]


def render(context: PageContext) -> None:
    """Render the viewer's team (``ChallengeNotFound`` if the challenge is unknown)."""
    challenge = challenge_page(context, "Team")
    if challenge is None:
        return
    with context.database.session() as session:
        team = find_team(session, challenge, context.viewer.name)
        members = [] if team is None else team_members(session, team[0])
    size = challenge.limits.get("team_size")
    rule = f"A team has at most {size} members." if size else "Teams have no size limit."
    if team is None:
        st.info(
            f"{context.viewer.name} is in no team of {challenge.title!r} yet: your first submission makes a team "
            f"of your own. {rule}"
        )
        return
    st.subheader(f"Team {team[1]}")
    st.markdown("\n".join(f"- {member}" + (" (you)" if member == context.viewer.name else "") for member in members))
    st.caption(
        f"{rule} The team shares its submission quota and its final selection (see My submissions)."
    )
