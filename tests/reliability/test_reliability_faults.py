"""Faults, for real: the scoring service SIGKILLed mid-upload, and its PostgreSQL stopped and started
during a burst of submissions from the sandbox client. After each: every accepted submission is
stored and scored exactly once, nothing refused is charged to a quota, and no partial file remains.

(A worker killed mid-score is in ``tests/scoring/test_scoring_worker_killed.py``; the hub restarted
while sandboxes run is in ``tests/hub/test_hub_restart_e2e.py``.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from challenge_bundles import open_phases
from fault_kit import (
    PrivatePostgres,
    ScoringProcess,
    missing_postgres_binaries,
    settings_env,
    store_state,
    wait_for_submissions,
)
from reliability_kit import ROLES, SLUG, Service, auth, base_spec, corpus, write_bundle
from submission_states import wait_until_scored

from arena.accounts import create_user
from arena.db import Database
from arena.models import Dataset
from arena.settings import Settings
from challenges import load_bundle, publish_challenge
from sandboxes import CLIENT_DIR
from scoring import sweep_store

pytestmark = pytest.mark.slow

GOOD = corpus.good_frame().to_csv(index=False).encode()
BOUNDARY = "fault-test-boundary"


def _slow_upload(url: str, token: str, size: int, sent: list[int], outcome: list[object]) -> None:
    """POST a ``size``-byte file in 64 KiB chunks, 20 ms apart (the connection outlives the service)."""

    def body() -> Iterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        line = b"p0000,1\n" * 8192
        while sent[0] < size:
            yield line
            sent[0] += len(line)
            time.sleep(0.02)
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    headers = {"Authorization": f"token {token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    try:
        outcome.append(httpx.post(url, content=body(), headers=headers, timeout=60).status_code)
    except httpx.HTTPError as error:
        outcome.append(error)


def _post_good(scoring: ScoringProcess, times: int) -> list[httpx.Response]:
    url = f"{scoring.base}/api/challenges/{SLUG}/submissions"
    return [httpx.post(url, files={"file": ("s.csv", GOOD)}, headers=auth("lan"), timeout=30) for _ in range(times)]


def test_scoring_service_killed_mid_upload_loses_nothing_and_charges_nothing(service: Service, tmp_path: Path) -> None:
    env = settings_env(service.settings)
    first = ScoringProcess(env, list(ROLES), tmp_path).start()
    try:
        before = _post_good(first, 2)
        assert [r.status_code for r in before] == [202, 202], [r.text for r in before]
        sent, outcome = [0], []
        url = f"{first.base}/api/challenges/{SLUG}/submissions"
        upload = threading.Thread(target=_slow_upload, args=(url, "tok-lan", 3 * 1024**2, sent, outcome))
        upload.start()
        deadline = time.monotonic() + 30
        while sent[0] < 512 * 1024 and time.monotonic() < deadline:  # the service is writing the upload
            time.sleep(0.05)
        first.kill()
        upload.join(60)
    finally:
        first.stop()

    assert isinstance(outcome[0], httpx.HTTPError), f"the killed upload was answered: {outcome}"
    left = store_state(service.db, service.settings)
    assert len(left.staging) == 1 and left.staging[0].stat().st_size > 0, "the kill left a partial upload"

    second = ScoringProcess(env, list(ROLES), tmp_path).start()
    try:
        swept = store_state(service.db, service.settings)
        after = _post_good(second, 3)
    finally:
        second.stop()

    # the restart removed the partial upload; the quota (4 a day) counts the 2 + 2 accepted, not the killed one
    assert swept.staging == [] and swept.unreferenced == [] and swept.missing == []
    assert [r.status_code for r in after] == [202, 202, 429], [r.text for r in after]
    while service.work() is not None:
        pass
    final = store_state(service.db, service.settings)
    accepted = {r.json()["id"] for r in (*before, *after[:2])}
    assert set(final.submissions) == accepted
    assert set(final.submissions.values()) == {"scored"}
    assert set(final.scores_per_submission.values()) == {final.scores_per_submission[min(accepted)]} != {0}
    assert set(final.attempts.values()) == {1}
    assert final.staging == [] and final.unreferenced == [] and final.missing == []


# --------------------------------------------------------------------------- database restart

CLIENTS = 8
PER_CLIENT = 12
CLIENT_SCRIPT = """
import json, sys, httpx, pandas as pd
import arena_client

statuses = []
real_request = httpx.request
def recording(*args, **kwargs):
    try:
        response = real_request(*args, **kwargs)
    except httpx.HTTPError as error:
        statuses.append(type(error).__name__)
        raise
    statuses.append(response.status_code)
    return response
httpx.request = recording

frame = pd.read_csv(sys.argv[1])
ids = []
for number in range(int(sys.argv[2])):
    ids.append(arena_client.submit(frame, sys.argv[3], description=f"burst {number}", wait=False)["id"])
print(json.dumps({"ids": ids, "statuses": statuses}))
"""


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this test alone (in a folder the postgres user can reach: not pytest's 0700 one)."""
    missing = missing_postgres_binaries()
    if missing:
        pytest.skip(missing)
    folder = Path(tempfile.mkdtemp(prefix="arena-private-pg-"))
    cluster = PrivatePostgres(folder).create()
    yield cluster
    try:
        cluster.stop()
    except subprocess.CalledProcessError:
        pass  # already stopped by a failed test
    shutil.rmtree(folder, ignore_errors=True)


def test_database_restart_during_a_burst_of_submissions(private_postgres: PrivatePostgres, tmp_path: Path) -> None:
    users = [f"burst{n}" for n in range(CLIENTS)]
    settings = Settings(
        data_dir=tmp_path / "var", database_url=private_postgres.url, embedded_worker=True, _env_file=None
    )
    db = Database(settings.db_url)
    db.migrate()
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
        for name in [*users, "minh"]:
            create_user(session, name, "organiser" if name == "minh" else "competitor", None, actor="test")
    limits = {"per_day": 100, "total": 100, "final_selection": 2, "team_size": 3}
    bundle = write_bundle(tmp_path / "bundle", {**base_spec(), "phases": open_phases(), "limits": limits})
    publish_challenge(db, settings, load_bundle(bundle), actor="minh")
    db.dispose()
    env = settings_env(settings, ARENA_WORKER_HEARTBEAT_SECONDS="0.5", ARENA_WATCHDOG_STALE_SECONDS="3")
    scoring = ScoringProcess(env, users, tmp_path).start()
    predictions = tmp_path / "predictions.csv"
    predictions.write_bytes(GOOD)
    client_env = {**env, "PYTHONPATH": str(CLIENT_DIR), "ARENA_SCORING_URL": scoring.base}
    command = [sys.executable, "-c", CLIENT_SCRIPT, str(predictions), str(PER_CLIENT), SLUG]
    clients = [
        subprocess.Popen(
            command, env={**client_env, "JUPYTERHUB_API_TOKEN": f"tok-{user}"}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for user in users
    ]
    db = Database(settings.db_url)
    try:
        wait_for_submissions(db, CLIENTS)  # the burst is under way
        private_postgres.stop()
        time.sleep(3.0)  # the database is away for a few seconds
        private_postgres.start()
        results = [client.communicate(timeout=240) for client in clients]
        assert [c.returncode for c in clients] == [0] * CLIENTS, [err.decode()[-2000:] for _, err in results]
        reports = [json.loads(out.decode().splitlines()[-1]) for out, _ in results]
        accepted = {sid for report in reports for sid in report["ids"]}
        states = wait_until_scored(db, accepted, timeout=180)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        scoring.stop()

    statuses = [status for report in reports for status in report["statuses"]]
    assert len(accepted) == CLIENTS * PER_CLIENT, "every submission of the burst was accepted in the end"
    assert set(statuses) <= {202, 503, "ConnectError"}, statuses
    assert 503 in statuses, "the burst never met the stopped database: the fault was not exercised"
    assert "database unavailable" in scoring.output()

    state = store_state(db, settings)
    assert set(state.submissions) == accepted, "a submission answered 503 was stored, or an accepted one lost"
    assert set(states.values()) == {"scored"}, states
    expected_scores = state.scores_per_submission[min(accepted)]
    assert expected_scores > 0 and set(state.scores_per_submission.values()) == {expected_scores}, "scored once each"
    assert state.staging == [] and state.missing == []
    # a file stored just before its insert met the stopped database has no row: the sweep removes it
    swept = sweep_store(db, settings.model_copy(update={"upload_stale_seconds": 0}))
    assert set(swept.unreferenced) == set(state.unreferenced)
    assert store_state(db, settings).unreferenced == [] and store_state(db, settings).missing == []
    print(
        f"\nburst: {len(accepted)} accepted, {statuses.count(503)} answers 503 while the database was away, "
        f"{statuses.count('ConnectError')} refused connections, {len(swept.unreferenced)} orphan file(s) swept, "
        f"attempts per submission {sorted(set(state.attempts.values()))}"
    )
    db.dispose()
