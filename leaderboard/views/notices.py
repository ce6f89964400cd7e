"""Full-page notices: not signed in, not found, not allowed, database unreadable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from arena.errors import ArenaError
from leaderboard.errors import ChallengeNotFound, NotAllowed

__all__ = [
    "database_unreadable",
    "explained_errors",
    "not_allowed",
    "not_found",
    "not_signed_in",
    "unavailable",
]


def not_signed_in() -> None:
    """Tell a visitor without a hub identity to sign in through the hub."""
    st.title("Not signed in")
    st.error("You are not signed in. Open the leaderboard from the hub (Services → leaderboard) to sign in.")


def not_found(message: str) -> None:
    """Tell the viewer the challenge they asked for does not exist."""
    st.title("Challenge not found")
    st.error(f"Not found: {message}.")


def not_allowed(message: str) -> None:
    """Tell the viewer they may not see what they asked for."""
    st.title("Not allowed")
    st.error(f"Not allowed: {message}.")


def unavailable(message: str) -> None:
    """Tell the viewer the page cannot be shown, and why."""
    st.title("Leaderboard unavailable")
    st.error(message)


def database_unreadable(reason: str) -> None:
    """Tell the viewer the platform database cannot be read (not migrated, down)."""
    unavailable(f"The platform database cannot be read ({reason}). Ask an organiser to check the platform database.")


@contextmanager
def explained_errors() -> Iterator[None]:
    """Show an error raised in the block as the matching notice instead of a traceback."""
    try:
        yield
    except ChallengeNotFound as error:
        not_found(str(error))
    except NotAllowed as error:
        not_allowed(str(error))
    except ArenaError as error:  # e.g. a challenge spec the scoring room cannot rank
        unavailable(str(error))
    except SQLAlchemyError as error:
        database_unreadable(type(error).__name__)
