"""Errors shared by every room: each package's own ``errors.py`` derives from these."""

from __future__ import annotations

__all__ = ["ArenaError", "ConfigurationError", "NotFoundError"]


class ArenaError(Exception):
    """Base of every error a user of the platform can see; its message says what to fix."""


class ConfigurationError(ArenaError):
    """A setting or the machine is not as the platform needs it."""


class NotFoundError(ArenaError):
    """A named object (challenge, dataset, user, submission) does not exist."""
