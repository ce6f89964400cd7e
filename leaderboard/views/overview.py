"""The "Overview" page of one challenge: description, dates, metric, rules, data, how to start."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import streamlit as st

from leaderboard.catalog import ChallengeInfo, PhaseInfo, read_description
from leaderboard.tables import format_time
from leaderboard.views.context import PageContext
from leaderboard.views.picker import challenge_page

__all__ = ["phase_status", "render", "rules"]

_RULES = {
    "per_day": "submissions per team per day (UTC)",
    "total": "submissions per team in all",
    "team_size": "members per team at most",
    "final_selection": "submissions a team chooses for the private (final) board",
}


def phase_status(phase: PhaseInfo, now: datetime) -> str:
    """``open``, ``upcoming`` or ``over`` for ``phase`` at ``now``."""
    if now < phase.starts_at:
        return "upcoming"
    return "open" if now < phase.ends_at else "over"


def rules(challenge: ChallengeInfo) -> list[str]:
    """The challenge's limits as sentences."""
    lines = [f"**{challenge.limits[key]}** {text}" for key, text in _RULES.items() if key in challenge.limits]
    if challenge.submission == "code":
        lines.append(
            "**Code submission**: a folder with `main.py` defining `predict(features)`, run offline by the platform "
            "on the real held-out features (smoke-test it in your sandbox first)"
        )
    else:
        lines.append("**Prediction file**: a table with the id column and the target column, one row per test id")
    return lines


def render(context: PageContext) -> None:
    """Render the overview of the chosen challenge (``ChallengeNotFound`` if unknown)."""
    challenge = challenge_page(context, "Overview")
    if challenge is None:
        return
    st.subheader(challenge.title)
    st.caption(f"`{challenge.slug}` · {challenge.state.value} · {challenge.task}")
    left, right = st.columns(2)
    with left:
        st.markdown("**Dates (UTC)**")
        now = datetime.now(UTC)
        st.markdown(
            "\n".join(
                f"- **{p.name}** ({phase_status(p, now)}): {format_time(p.starts_at)} → {format_time(p.ends_at)}"
                for p in challenge.phases
            )
            or "No phase announced."
        )
        secondary = ", ".join(f"`{name}`" for name in challenge.secondary_metrics) or "none"
        st.markdown(f"**Metric**: `{challenge.primary_metric}` (also shown: {secondary})")
    with right:
        st.markdown("**Rules**")
        st.markdown("\n".join(f"- {line}" for line in rules(challenge)))
    st.markdown(
        "**Data**: " + (", ".join(f"`{ref}`" for ref in challenge.datasets) or "none")
        + f" ([cards](?{urlencode({'page': 'datasets', 'challenge': challenge.slug})}))"
    )
    st.info(
        f"**Start here**: in your sandbox, open `starters/{challenge.slug}/starter.ipynb` in the file browser "
        "and run all cells: it loads the data, trains a baseline and submits."
    )
    description = read_description(context.settings, challenge.slug)
    st.divider()
    st.markdown(description or "The organisers published no description.")
