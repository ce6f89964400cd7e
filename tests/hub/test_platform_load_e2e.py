"""Load through the real platform: 50 users, 500 submissions through the proxy and the hub-authenticated
scoring service, while the hub's own API is timed. Bounded in count and time, loopback only.

Each of the 50 users (hub tokens made through the hub API) sends 11 submissions from its own
asyncio task: 10 fill the day's quota and the 11th must be refused with 429. Two workers score
(the service's embedded one and an ``arena worker`` process). Meanwhile a prober calls
``GET /hub/api/user`` (the call every token check makes) every 50 ms. The test prints a table:
accepted, refused, errors, lost, submit→scored p50/p95 and the hub API's p50/p95.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import harness
import httpx
import pytest
from challenge_bundles import answers_frame, base_spec, open_phases, write_bundle
from sqlalchemy import func, select
from submission_states import wait_until_scored

from arena.accounts import create_user
from arena.db import Database
from arena.models import Dataset, Score, Submission
from challenges import load_bundle, publish_challenge
from hub.config import settings_env

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing())),
]

USERS = 50
PER_DAY = 10
SENT_PER_USER = PER_DAY + 1
SLUG = "household-income-band"
PROBE_EVERY = 0.05
TIME_LIMIT = 600


@dataclass
class LoadResult:
    """What the clients and the prober saw."""

    accepted: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    hub_latencies: list[float] = field(default_factory=list)
    hub_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


@pytest.fixture(scope="module")
def platform(e2e_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[harness.HubProcess, dict]]:
    """The hub with its scoring service, 50 competitors with hub tokens, a challenge, a second worker."""
    settings = harness.make_settings(
        e2e_root / f"arena-load-{uuid.uuid4().hex[:8]}", sandbox_network_prefix="10.215", embedded_worker=True
    )
    db = Database(settings.db_url)
    db.migrate()
    users = [f"load{n:03d}" for n in range(USERS)]
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
        create_user(session, "minh", "organiser", None, actor="test")
        for name in users:
            create_user(session, name, "competitor", None, actor="test")
    limits = {"per_day": PER_DAY, "total": 100, "final_selection": 2, "team_size": 3}
    folder = write_bundle(tmp_path_factory.mktemp("load-bundle"), {**base_spec(), "phases": open_phases(), "limits": limits})
    publish_challenge(db, settings, load_bundle(folder), actor="minh")
    db.dispose()
    with harness.hub_running(settings) as hub:
        tokens = {}
        for name in users:
            assert hub.api("POST", f"/users/{name}").status_code in (201, 409)
            created = hub.api("POST", f"/users/{name}/tokens", json={"note": "load", "expires_in": 3600})
            assert created.status_code == 201, created.text
            tokens[name] = created.json()["token"]
        env = {**settings_env(settings), "PATH": str(Path(sys.executable).parent)}
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("arena")), "worker", "--name", "load-extra"],
            env=env, cwd=settings.resolved_data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            yield hub, tokens
        finally:
            worker.terminate()
            worker.wait(30)


async def _competitor(client: httpx.AsyncClient, url: str, token: str, payload: bytes, result: LoadResult) -> None:
    for number in range(SENT_PER_USER):
        try:
            response = await client.post(
                url, files={"file": (f"s{number}.csv", payload)}, headers={"Authorization": f"token {token}"}
            )
        except httpx.HTTPError as error:
            result.errors.append(f"{type(error).__name__}: {error}")
            continue
        if response.status_code == 202:
            result.accepted.append(response.json()["id"])
        elif response.status_code == 429:
            result.refused.append(response.json()["detail"])
        else:
            result.errors.append(f"{response.status_code} {response.text[:200]}")


async def _probe_hub(client: httpx.AsyncClient, tokens: list[str], stop: asyncio.Event, result: LoadResult) -> None:
    number = 0
    while not stop.is_set():
        token = tokens[number % len(tokens)]
        number += 1
        started = time.perf_counter()
        try:
            response = await client.get("/hub/api/user", headers={"Authorization": f"token {token}"})
            if response.status_code == 200:
                result.hub_latencies.append(time.perf_counter() - started)
            else:
                result.hub_errors.append(str(response.status_code))
        except httpx.HTTPError as error:
            result.hub_errors.append(type(error).__name__)
        await asyncio.sleep(PROBE_EVERY)


async def _run_load(hub: harness.HubProcess, tokens: dict[str, str], db: Database) -> LoadResult:
    result = LoadResult()
    payload = answers_frame().to_csv(index=False).encode()
    url = f"{hub.url}/services/scoring/api/challenges/{SLUG}/submissions"
    limits = httpx.Limits(max_connections=USERS + 5)
    stop = asyncio.Event()
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=120, limits=limits) as clients, httpx.AsyncClient(
        base_url=hub.url, timeout=30
    ) as prober:
        probing = asyncio.create_task(_probe_hub(prober, list(tokens.values()), stop, result))
        await asyncio.gather(*(_competitor(clients, url, token, payload, result) for token in tokens.values()))
        left = TIME_LIMIT - (time.monotonic() - started)  # the hub keeps being probed until the queue is empty
        await asyncio.to_thread(wait_until_scored, db, set(result.accepted), left)
        stop.set()
        await probing
    result.seconds = time.monotonic() - started
    return result


def test_fifty_users_five_hundred_submissions_through_the_hub(platform: tuple[harness.HubProcess, dict]) -> None:
    hub, tokens = platform
    db = Database(hub.settings.db_url)

    result = asyncio.run(_run_load(hub, tokens, db))

    with db.session() as session:
        rows = session.execute(select(Submission.id, Submission.state, Submission.created_at, Submission.scored_at))
        stored = {sid: (state.value, created, scored) for sid, state, created, scored in rows}
        scores = dict(session.execute(select(Score.submission_id, func.count()).group_by(Score.submission_id)).all())
    db.dispose()
    lost = set(result.accepted) - set(stored)
    waits = [(scored - created).total_seconds() for state, created, scored in stored.values() if scored]
    hub_ms = [1000 * latency for latency in result.hub_latencies]
    table = [
        ("users / submissions sent", f"{USERS} / {USERS * SENT_PER_USER}"),
        ("accepted (202)", len(result.accepted)),
        ("quota refusals (429)", len(result.refused)),
        ("other errors", len(result.errors)),
        ("lost (accepted, not stored)", len(lost)),
        ("scored / failed", f"{sum(s == 'scored' for s, _, _ in stored.values())} / "
                            f"{sum(s == 'failed' for s, _, _ in stored.values())}"),
        ("submit -> scored p50 / p95 / max (s)", f"{statistics.median(waits):.2f} / {percentile(waits, 95):.2f} / "
                                                 f"{max(waits):.2f}"),
        ("hub API GET /user p50 / p95 / max (ms)", f"{statistics.median(hub_ms):.1f} / {percentile(hub_ms, 95):.1f} / "
                                                   f"{max(hub_ms):.1f} ({len(hub_ms)} calls)"),
        ("hub API errors", len(result.hub_errors)),
        ("wall time (s)", f"{result.seconds:.1f}"),
    ]
    print("\n" + "\n".join(f"{label:<40} {value}" for label, value in table))

    assert result.errors == [], result.errors[:5]
    assert len(result.accepted) == USERS * PER_DAY
    assert len(result.refused) == USERS and all("per_day" in detail for detail in result.refused)
    assert lost == set() and set(stored) == set(result.accepted)
    assert {state for state, _, _ in stored.values()} == {"scored"}
    assert len(set(scores.values())) == 1 and set(scores) == set(stored), "every submission scored exactly once"
    assert result.hub_errors == [] and len(hub_ms) > 0
