"""Errors of the scoring room; each message names what to fix."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = ["HubUnavailableError", "QuotaExceededError", "ScoringError", "SubmissionError", "SubmissionTooLargeError"]


class ScoringError(ArenaError):
    """Scoring cannot proceed (unknown metric, unreadable answers, closed challenge…)."""


class SubmissionError(ScoringError):
    """A submission file is not acceptable; the message names the column, row or ids at fault."""


class SubmissionTooLargeError(SubmissionError):
    """A submission file is larger than ``settings.submission_max_bytes``."""


class QuotaExceededError(ScoringError):
    """A team has used up a submission limit (``limits.per_day`` or ``limits.total``)."""


class HubUnavailableError(ScoringError):
    """The hub's API cannot be asked who owns a token (the service answers 503)."""
