"""The organiser's queries: queue depth, oldest queued, recent failures, challenges' state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leaderboard.queries.operations import challenge_states, oldest_queued_at, queue_depth, recent_failures
from leaderboard.views.organiser import age


def test_operations_queries(seeded) -> None:
    seeded.queue_submission()
    with seeded.database.session() as session:
        depth = queue_depth(session)
        oldest = oldest_queued_at(session)
        failures = recent_failures(session)
        challenges = challenge_states(session)

    assert depth == {"queued": 1, "scoring": 0, "scored": 1, "failed": 1}
    assert oldest == seeded.queued_at
    assert list(failures["error"]) == [seeded.failure] and list(failures["team"]) == ["Owls"]
    assert challenges.loc[0, "slug"] == seeded.slug and challenges.loc[0, "version"] == 1
    assert challenges.loc[0, "submissions"] == 3


def test_age_is_readable() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)

    assert age(now - timedelta(hours=1, minutes=2, seconds=3), now) == "1h 02m 03s"
    assert age(None, now) == "—"
