"""Errors shared by every room: each package's own ``errors.py`` derives from these."""

from __future__ import annotations

__all__ = ["AccountDisabled", "ArenaError", "ConfigurationError", "NotFoundError"]


class ArenaError(Exception):
    """Base of every error a user of the platform can see; its message says what to fix."""


class ConfigurationError(ArenaError):
    """A setting or the machine is not as the platform needs it."""


class NotFoundError(ArenaError):
    """A named object (challenge, dataset, user, submission) does not exist."""


class AccountDisabled(ArenaError):
    """The account exists but an organiser disabled it: no sign-in, no sandbox, no submission.

    The message (``arena.accounts.disabled_message``) is meant for the user, as is.
    """
