"""Errors of the scoring room; each message names what to fix."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = [
    "CodeArchiveError",
    "EnclaveError",
    "HubUnavailableError",
    "QuotaExceededError",
    "ReviewError",
    "ReviewNotAllowedError",
    "ScoringError",
    "SelectionError",
    "SubmissionError",
    "SubmissionTooLargeError",
    "TeamError",
]


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


class SelectionError(ScoringError):
    """A final selection is not acceptable (over ``limits.final_selection``, not the team's, not scored)."""


class TeamError(ScoringError):
    """A team change is refused (already in a team, team full, name taken, not in a team)."""


class ReviewError(ScoringError):
    """A judge's rubric score is not acceptable (unknown criterion, out of the criterion's range, comment too long)."""


class ReviewNotAllowedError(ReviewError):
    """The user's role may not read or write reviews (judges, organisers and admins only)."""


class CodeArchiveError(SubmissionError):
    """An uploaded code archive is refused (not a zip/tar.gz, a path leaving the folder, a link, too big…)."""


class EnclaveError(ScoringError):
    """The enclave could not run code for a reason of the platform's (bwrap, cgroups, staging); names the step."""
