"""Errors the leaderboard shows to its viewers as a clear page, never a traceback."""

from __future__ import annotations

from arena.errors import ArenaError, NotFoundError

__all__ = ["BoardNotAllowed", "ChallengeNotFound", "LeaderboardError"]


class LeaderboardError(ArenaError):
    """Base of every leaderboard error."""


class ChallengeNotFound(LeaderboardError, NotFoundError):
    """The challenge named in the request is not published on the platform."""


class BoardNotAllowed(LeaderboardError):
    """The viewer asked for a board their role may not see (yet)."""
