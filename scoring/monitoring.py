"""Operational numbers of the scoring queue, and their Prometheus text exposition (``GET /metrics``).

Only counts and durations: no user, team, file or score, so the endpoint needs no token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.models import Submission, SubmissionState, utcnow

__all__ = [
    "CONTENT_TYPE",
    "QUANTILES",
    "QueueSnapshot",
    "oldest_queued_at",
    "queue_depth",
    "queue_snapshot",
    "render_metrics",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
QUANTILES = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class QueueSnapshot:
    """The scoring queue at one moment."""

    states: dict[str, int]
    oldest_queued_age_seconds: float | None
    latencies_seconds: list[float]


def queue_depth(session: Session) -> dict[str, int]:
    """Submissions of every challenge per state (every state named, zero when none)."""
    counts = dict(session.execute(select(Submission.state, func.count()).group_by(Submission.state)).tuples().all())
    return {state.value: int(counts.get(state, 0)) for state in SubmissionState}


def oldest_queued_at(session: Session) -> datetime | None:
    """When the oldest still-queued submission arrived, or None when the queue is empty."""
    return session.scalar(select(func.min(Submission.created_at)).where(Submission.state == SubmissionState.queued))


def queue_snapshot(session: Session, latency_window: int) -> QueueSnapshot:
    """Read the queue: submissions per state, age of the oldest queued one, recent upload-to-score times.

    Args:
        session: A database session.
        latency_window: How many of the newest scored submissions the latencies cover.
    """
    oldest = oldest_queued_at(session)
    recent = session.execute(
        select(Submission.created_at, Submission.scored_at)
        .where(Submission.state == SubmissionState.scored, Submission.scored_at.is_not(None))
        .order_by(Submission.scored_at.desc())
        .limit(latency_window)
    ).all()
    return QueueSnapshot(
        states=queue_depth(session),
        oldest_queued_age_seconds=(utcnow() - oldest).total_seconds() if oldest else None,
        latencies_seconds=[max((scored - created).total_seconds(), 0.0) for created, scored in recent],
    )


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    return lines + [f"{name}{suffix} {'NaN' if math.isnan(value) else repr(value)}" for suffix, value in samples]


def render_metrics(snapshot: QueueSnapshot) -> str:
    """The snapshot in the Prometheus text exposition format (version 0.0.4).

    Args:
        snapshot: What :func:`queue_snapshot` read.
    """
    latencies = sorted(snapshot.latencies_seconds)
    lines = [
        *_family(
            "arena_submissions", "counter", "Submissions received.", [("_total", float(sum(snapshot.states.values())))]
        ),
        *_family(
            "arena_submissions_failed",
            "counter",
            "Submissions whose scoring failed.",
            [("_total", float(snapshot.states[SubmissionState.failed.value]))],
        ),
        *_family(
            "arena_queue_submissions",
            "gauge",
            "Submissions per state (queued, scoring, scored, failed).",
            [(f'{{state="{state}"}}', float(count)) for state, count in snapshot.states.items()],
        ),
        *_family(
            "arena_queue_oldest_queued_age_seconds",
            "gauge",
            "Age of the oldest queued submission (0: none queued).",
            [("", float(snapshot.oldest_queued_age_seconds or 0.0))],
        ),
        *_family(
            "arena_scoring_latency_seconds",
            "summary",
            "Upload-to-score time over the newest scored submissions (settings.metrics_latency_window).",
            [
                *((f'{{quantile="{q}"}}', _quantile(latencies, q)) for q in QUANTILES),
                ("_count", float(len(latencies))),
                ("_sum", float(sum(latencies))),
            ],
        ),
    ]
    return "\n".join(lines) + "\n"
