"""Scoring: metrics, submission intake and quotas, teams, final selection, the scoring queue worker, leaderboards,
offline scoring and the FastAPI scoring service."""

from scoring import errors
from scoring.app import create_app
from scoring.code_runs import OUTCOME_TEXT, read_run_log, run_bucket
from scoring.errors import *  # the error classes, listed in errors.__all__
from scoring.leaderboard import LeaderboardRow, count_teams, leaderboard, rank_shifts, ranked_teams
from scoring.metrics import Metric, get_metric, list_metrics
from scoring.monitoring import oldest_queued_at, queue_depth
from scoring.offline import score_offline
from scoring.reviews import Review, list_reviews, record_review
from scoring.selection import choose_final_submissions
from scoring.server import serve
from scoring.store import accept_submission
from scoring.sweep import SweepReport, sweep_store
from scoring.teams import create_team, join_team, leave_team
from scoring.worker import Worker, requeue_stale

__all__ = [
    "OUTCOME_TEXT",
    "LeaderboardRow",
    "Metric",
    "Review",
    "SweepReport",
    "Worker",
    "accept_submission",
    "choose_final_submissions",
    "count_teams",
    "create_app",
    "create_team",
    "errors",
    "get_metric",
    "join_team",
    "leaderboard",
    "leave_team",
    "list_metrics",
    "list_reviews",
    "oldest_queued_at",
    "queue_depth",
    "rank_shifts",
    "read_run_log",
    "ranked_teams",
    "record_review",
    "requeue_stale",
    "run_bucket",
    "score_offline",
    "serve",
    "sweep_store",
]
__all__ += errors.__all__
