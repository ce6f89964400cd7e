"""The "Challenges" page: every published challenge with its phases, datasets and description."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from leaderboard.catalog import ChallengeInfo, list_challenges, read_description
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext

__all__ = ["render"]


def _challenge(context: PageContext, challenge: ChallengeInfo) -> None:
    st.subheader(challenge.title)
    st.caption(f"`{challenge.slug}` · {challenge.state.value} · {challenge.task}")
    metrics = ", ".join(challenge.secondary_metrics) or "none"
    st.markdown(f"**Metric:** {challenge.primary_metric} (also shown: {metrics})")
    st.markdown(f"**Datasets:** {', '.join(challenge.datasets) or 'none'}")
    phases = "\n".join(
        f"- **{phase.name}**: {format_time(phase.starts_at)} → {format_time(phase.ends_at)}"
        for phase in challenge.phases
    )
    st.markdown(f"**Phases:**\n{phases}" if phases else "**Phases:** none announced")
    description = read_description(context.settings, challenge.slug)
    if description:
        with st.expander("Description", expanded=False):
            st.markdown(description)
    st.markdown(f"[Open the leaderboard](?{urlencode({'challenge': challenge.slug})})")
    st.divider()


def render(context: PageContext) -> None:
    """Render the list of published challenges."""
    for name in ("challenge", "board"):  # the address names what is shown: no board here
        st.query_params.pop(name, None)
    st.title("Challenges")
    with context.database.session() as session:
        challenges = list_challenges(session)
    if not challenges:
        st.info("No challenge is published yet.")
    for challenge in challenges:
        _challenge(context, challenge)
