"""Choosing the challenge a challenge page shows: the ``challenge`` query parameter, or a selector."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from leaderboard.catalog import ChallengeInfo, find_challenge, last_challenge_of, list_challenges
from leaderboard.views.context import PageContext

__all__ = ["challenge_page", "choose_challenge", "requested_challenge"]


def requested_challenge(context: PageContext) -> tuple[ChallengeInfo | None, list[ChallengeInfo]]:
    """The challenge the query asks for and every published challenge.

    Without a ``challenge`` query parameter: the challenge the viewer last submitted to or joined,
    else the first listed.

    Raises:
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
    """
    slug = st.query_params.get("challenge")
    with context.database.session() as session:
        challenges = list_challenges(session)
        slug = slug or last_challenge_of(session, context.viewer.name)
        current = find_challenge(session, slug) if slug else next(iter(challenges), None)
    return current, challenges


def choose_challenge(current: ChallengeInfo, challenges: list[ChallengeInfo]) -> ChallengeInfo:
    """A selector of the challenges starting at ``current``; the choice is written to the address."""
    by_slug = {challenge.slug: challenge for challenge in challenges}
    slugs = list(by_slug)
    chosen = st.selectbox(
        "Challenge", slugs, index=slugs.index(current.slug), format_func=lambda slug: by_slug[slug].title
    )
    if chosen != current.slug:
        st.query_params.pop("board", None)  # a board chosen for another challenge does not carry over
    st.query_params["challenge"] = chosen  # the address names what is shown
    return by_slug[chosen]


def challenge_page(
    context: PageContext, title: str, check: Callable[[ChallengeInfo], None] | None = None
) -> ChallengeInfo | None:
    """Open a page about one challenge: find it, ``check`` it, title the page, offer the selector.

    Args:
        context: The page's context.
        title: The page title.
        check: Runs on the requested challenge before anything is drawn (raise to refuse).

    Returns:
        The chosen challenge, or None (and a notice) when none is published.

    Raises:
        ChallengeNotFound: the ``challenge`` query parameter names no challenge.
    """
    current, challenges = requested_challenge(context)
    if current is not None and check is not None:
        check(current)
    st.title(title)
    if current is None:
        st.info("No challenge is published yet.")
        return None
    return choose_challenge(current, challenges)
