"""``/health`` and the Prometheus ``/metrics`` of the scoring service: open, exact, parseable."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from arena.db import Database
from arena.health import schema_revision
from arena.models import Submission, SubmissionState, utcnow
from arena.settings import Settings
from scoring import create_app
from scoring.monitoring import QueueSnapshot, queue_snapshot, render_metrics

BASE = "/services/scoring"


def _no_token_accepted(_token: str) -> None:
    return None


@pytest.fixture
def client(db: Database, db_settings: Settings, publish, users) -> Iterator[TestClient]:
    publish()
    quiet = db_settings.model_copy(update={"embedded_worker": False})
    with TestClient(create_app(quiet, authenticate=_no_token_accepted, db=db)) as test_client:
        yield test_client


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def _queue(add_submission, db: Database) -> None:
    """Two scored (latencies 30 s and 90 s), one failed, two queued (oldest 10 minutes old)."""
    now = utcnow()
    states = [SubmissionState.scored] * 2 + [SubmissionState.failed] + [SubmissionState.queued] * 2
    for minute, state in enumerate(states):
        add_submission("tigers", minute, (0.5, 0.5), state=state)
    with db.session() as session:
        rows = session.query(Submission).order_by(Submission.id).all()
        for row, latency in zip(rows[:2], (30, 90), strict=True):
            row.scored_at = row.created_at + timedelta(seconds=latency)
        for row, age in zip(rows[3:], (600, 60), strict=True):
            row.created_at = now - timedelta(seconds=age)


def test_metrics_need_no_token_and_count_the_queue(client: TestClient, add_submission, db: Database) -> None:
    _queue(add_submission, db)

    response = client.get(f"{BASE}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _samples(response.text)
    assert samples[("arena_submissions_total", ())] == 5
    assert samples[("arena_submissions_failed_total", ())] == 1
    depth = {state: samples[("arena_queue_submissions", (("state", state),))] for state in SubmissionState}
    assert depth == {"queued": 2, "scoring": 0, "scored": 2, "failed": 1}
    assert 600 <= samples[("arena_queue_oldest_queued_age_seconds", ())] < 660
    assert samples[("arena_scoring_latency_seconds_count", ())] == 2
    assert samples[("arena_scoring_latency_seconds_sum", ())] == 120
    assert samples[("arena_scoring_latency_seconds", (("quantile", "0.5"),))] == 30
    assert samples[("arena_scoring_latency_seconds", (("quantile", "0.99"),))] == 90
    assert "tigers" not in response.text and "alice" not in response.text


def test_latency_window_keeps_only_the_newest_scored(db: Database, add_submission, publish, users) -> None:
    publish()
    _queue(add_submission, db)

    with db.session() as session:
        snapshot = queue_snapshot(session, latency_window=1)

    assert snapshot.latencies_seconds == [90.0]


def test_empty_queue_renders_nan_quantiles_and_zero_age() -> None:
    body = render_metrics(QueueSnapshot({state.value: 0 for state in SubmissionState}, None, []))

    samples = _samples(body)
    assert samples[("arena_queue_oldest_queued_age_seconds", ())] == 0
    assert math.isnan(samples[("arena_scoring_latency_seconds", (("quantile", "0.9"),))])
    assert samples[("arena_scoring_latency_seconds_count", ())] == 0


def test_health_reports_an_unmigrated_database_as_degraded(client: TestClient, db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))

    response = client.get(f"{BASE}/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    head = schema_revision(db).head
    assert body["database"] == {"reachable": True, "revision": "0000", "head": head, "migrated": False}


def test_health_answers_503_when_the_database_is_unreachable(db_settings: Settings) -> None:
    broken = Database("postgresql+psycopg://arena:pw@127.0.0.1:1/arena")
    quiet = db_settings.model_copy(update={"embedded_worker": False})
    with TestClient(create_app(quiet, authenticate=_no_token_accepted, db=broken)) as test_client:
        response = test_client.get(f"{BASE}/health")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": {"reachable": False, "error": "OperationalError"}}
