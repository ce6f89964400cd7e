"""Errors of the challenges room."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = ["AccessDeniedError", "BundleError", "ChallengeError"]


class ChallengeError(ArenaError):
    """A challenge cannot be published, listed or closed as asked."""


class BundleError(ChallengeError):
    """A challenge bundle is invalid; the message names the file, key or row at fault."""


class AccessDeniedError(ChallengeError):
    """The acting user may not run this command (an organiser command needs role organiser or admin)."""
