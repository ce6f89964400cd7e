"""Scoring: metrics, submission intake and quotas, the scoring queue worker, leaderboards,
offline scoring and the FastAPI scoring service."""

from scoring import errors
from scoring.app import create_app
from scoring.errors import (
    HubUnavailableError,
    QuotaExceededError,
    ScoringError,
    SubmissionError,
    SubmissionTooLargeError,
)
from scoring.leaderboard import LeaderboardRow, leaderboard
from scoring.metrics import Metric, get_metric, list_metrics
from scoring.offline import score_offline
from scoring.server import serve
from scoring.store import accept_submission
from scoring.worker import Worker, requeue_stale

__all__ = [
    "HubUnavailableError",
    "LeaderboardRow",
    "Metric",
    "QuotaExceededError",
    "ScoringError",
    "SubmissionError",
    "SubmissionTooLargeError",
    "Worker",
    "accept_submission",
    "create_app",
    "errors",
    "get_metric",
    "leaderboard",
    "list_metrics",
    "requeue_stale",
    "score_offline",
    "serve",
]
