"""End to end: an organiser disables a competitor while her sandbox runs, then enables her again.

A real hub with the scoring service; ``arena users disable`` runs as a real command. It stops her
running sandbox through the hub (network, home, cgroup gone); then her correct password gets the
sign-in page back with the reason (HTTP 403), her still-open browser session is signed out (the hub
re-reads her account every ``hub_auth_refresh_seconds``, here 1 s) and her token no longer works at
the hub, a spawn through the hub API gets a 403 with the reason, and the scoring service refuses her
token (the hub no longer accepts it; ``tests/scoring`` shows the service's own 403 with the reason). ``arena users enable`` lets her in again, token included.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import harness
import httpx
import pytest

from hub.config import settings_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "correct-horse-battery"
NETWORK_PREFIX = "10.217"  # apart from the other end-to-end modules
REASON = "account shared with another team"
MESSAGE = f"the account 'dana' is disabled ({REASON}); ask an organiser to enable it again"
AUTH_REFRESH_SECONDS = 1


@pytest.fixture(scope="module")
def platform(e2e_root: Path) -> Iterator[harness.HubProcess]:
    """The real hub with its managed services and competitor dana."""
    data_dir = e2e_root / f"arena-disabled-{uuid.uuid4().hex[:8]}"
    with harness.running_platform(data_dir, {"dana": PASSWORD}, sandbox_network_prefix=NETWORK_PREFIX,
                                  hub_auth_refresh_seconds=AUTH_REFRESH_SECONDS) as hub:
        yield hub


def _arena(hub: harness.HubProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``arena`` command as an organiser on the hub's machine would."""
    env = {**os.environ, **settings_env(hub.settings), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run([str(Path(sys.executable).with_name("arena")), *args], env=env, capture_output=True,
                          text=True, timeout=120)


def _sign_in(hub: harness.HubProcess, password: str) -> httpx.Response:
    client = httpx.Client(base_url=hub.url, timeout=30)
    client.get("/hub/login").raise_for_status()
    return client.post("/hub/login", data={"username": "dana", "password": password, "_xsrf": client.cookies["_xsrf"]})


def test_a_disabled_user_is_stopped_and_refused_everywhere_with_the_reason(platform: harness.HubProcess) -> None:
    browser = harness.login(platform, "dana", PASSWORD)
    token = harness.create_token(browser, "dana")
    harness.start_server(platform, "dana", token)
    assert any("arena-217-" in item for item in harness.leftover_sandboxes(platform.settings))

    disabled = _arena(platform, "users", "disable", "dana", "--reason", REASON)

    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.splitlines() == [
        f"user dana disabled ({REASON})",
        "stopping 1 sandbox(es) ...",
        "no sandbox of dana is running",
    ]
    assert platform.api("GET", "/users/dana").json()["servers"] == {}
    assert harness.leftover_sandboxes(platform.settings) == []
    assert harness.sandbox_processes(platform.settings) == []

    time.sleep(AUTH_REFRESH_SECONDS + 0.5)  # her open session is now due to be re-checked
    spawn_page = browser.get("/hub/spawn/dana")
    hub_api = platform.api("GET", "/user", token=token)
    right, wrong = _sign_in(platform, PASSWORD), _sign_in(platform, "not-her-password")
    spawn_api = platform.api("POST", "/users/dana/server")
    scoring = httpx.post(
        f"{platform.url}/services/scoring/api/challenges/anything/submissions",
        headers={"Authorization": f"token {token}"},
        files={"file": ("predictions.csv", b"person_id,label\n1,0\n", "text/csv")},
        timeout=30,
    )

    assert right.status_code == 403 and MESSAGE in html.unescape(right.text), right.text[-2000:]
    assert wrong.status_code == 403 and "Invalid username or password" in wrong.text and "is disabled" not in wrong.text
    assert spawn_page.status_code == 302 and spawn_page.headers["location"].startswith("/hub/login"), spawn_page
    assert hub_api.status_code == 403, hub_api.text
    assert spawn_api.status_code == 403 and spawn_api.json()["message"] == f"no sandbox can start: {MESSAGE}"
    # the hub no longer vouches for her token; within the refresh window the service itself says why (403)
    assert (scoring.status_code, scoring.json()["detail"]) == (401, "the hub does not accept this token for the scoring service")
    log = platform.log()
    assert "Unhandled error" not in log and "Traceback" not in log and "SpawnRefused" not in log

    enabled = _arena(platform, "users", "enable", "dana")

    assert enabled.returncode == 0 and enabled.stdout.splitlines() == ["user dana enabled"], enabled.stderr
    assert _sign_in(platform, PASSWORD).status_code == 302
    assert platform.api("GET", "/user", token=token).json()["name"] == "dana"
    assert _scoring_accepts(platform, token)


def _scoring_accepts(hub: harness.HubProcess, token: str) -> bool:
    """Whether the scoring service accepts ``token`` again once its cached refusal has expired."""
    deadline = time.monotonic() + hub.settings.hub_token_cache_seconds + 10
    while True:
        answer = httpx.get(f"{hub.url}/services/scoring/api/challenges", headers={"Authorization": f"token {token}"},
                           timeout=30)
        if answer.status_code == 200 or time.monotonic() > deadline:
            return answer.status_code == 200
        time.sleep(0.5)
