"""Errors the leaderboard shows to its viewers as a clear page, never a traceback."""

from __future__ import annotations

from arena.errors import ArenaError, NotFoundError

__all__ = [
    "BoardNotAllowed",
    "ChallengeNotFound",
    "LeaderboardError",
    "NotAllowed",
    "PageNotAllowed",
    "ScoringRefused",
    "ScoringUnavailable",
]


class LeaderboardError(ArenaError):
    """Base of every leaderboard error."""


class ChallengeNotFound(LeaderboardError, NotFoundError):
    """The challenge named in the request is not published on the platform."""


class NotAllowed(LeaderboardError):
    """The viewer asked for something their role may not see (yet)."""


class BoardNotAllowed(NotAllowed):
    """The viewer asked for a board their role may not see (yet)."""


class PageNotAllowed(NotAllowed):
    """The viewer asked for a page kept for other roles (judges' console, organiser page)."""


class ScoringUnavailable(LeaderboardError):
    """The scoring service cannot be asked to save something for the viewer (no token, not answering)."""


class ScoringRefused(LeaderboardError):
    """The scoring service refused what the viewer asked to save; the message is its reason."""
