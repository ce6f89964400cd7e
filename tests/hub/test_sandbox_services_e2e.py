"""End to end with the managed services: a sandbox talks to the real scoring service.

The hub runs ``hub/jupyterhub_config.py`` unchanged (scoring and leaderboard services on).
From inside the sandbox, ``arena_client`` reaches the scoring service on the host's veth
address with the server's own token, and gets the service's clear error for a bad request.
Later end-to-end tests (submission scored, leaderboard row) belong here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "correct-horse-battery"

CLIENT_CALLS = """
import pandas as pd
from arena_client import ArenaClientError, challenges, submit
print("challenges:", challenges())
try:
    submit(pd.DataFrame({"person_id": [1], "y": [0]}), "no-such-challenge")
except ArenaClientError as error:
    print("refused:", error)
"""


@pytest.fixture(scope="module")
def platform(e2e_root: Path) -> Iterator[harness.HubProcess]:
    data_dir = e2e_root / f"arena-e2e-{uuid.uuid4().hex[:8]}"
    with harness.running_platform(data_dir, {"carol": PASSWORD}, managed_services=True) as hub:
        yield hub


def test_sandbox_client_reaches_the_scoring_service(platform: harness.HubProcess) -> None:
    token, seconds = harness.spawn(platform, "carol", PASSWORD)
    print(f"\nlogin -> ready server (services running): {seconds:.2f} s")

    output = harness.run_code(platform, "carol", token, CLIENT_CALLS)

    assert "challenges: []" in output
    assert "refused: POST /api/challenges/no-such-challenge/submissions refused (HTTP 404)" in output
    assert "no-such-challenge" in output.split("(HTTP 404):", 1)[1]


def test_leaderboard_opens_for_a_logged_in_user(platform: harness.HubProcess) -> None:
    client = harness.login(platform, "carol", PASSWORD)
    deadline = time.monotonic() + 60
    response = client.get("/services/leaderboard/", follow_redirects=True)
    while response.status_code != 200 and time.monotonic() < deadline:  # streamlit may still be starting
        time.sleep(1)
        response = client.get("/services/leaderboard/", follow_redirects=True)

    assert response.status_code == 200 and "streamlit" in response.text.lower()
    assert str(response.url).endswith("/services/leaderboard/")
