"""The hub restarted while sandboxes run, through ``arena up`` as an operator runs it.

SIGHUP to ``arena up`` restarts the hub alone: the running sandbox keeps its processes, its
kernel and its memory; the user's token still works, the proxy routes to the same server again,
and a kernel started before the restart still holds its variables. Ctrl-C then stops the whole
platform: no sandbox process, network namespace, veth pair, mounted home or loop device is left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import harness
import httpx
import pytest

from arena.accounts import create_user
from arena.db import Database
from hub.config import ops_token, settings_env
from hub.home_quota import release_homes
from sandboxes import ensure_sandbox_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "restart-pw-1"


def _wait_down(hub: harness.HubProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            hub.api("GET", "/")
        except httpx.HTTPError:
            return
        time.sleep(0.1)
    raise AssertionError(f"the hub did not go down within {timeout} s:\n{hub.log()[-3000:]}")


def test_hub_restart_keeps_sandboxes_and_users_reconnect(e2e_root: Path) -> None:
    settings = harness.make_settings(e2e_root / f"arena-restart-{uuid.uuid4().hex[:8]}", sandbox_network_prefix="10.216")
    ensure_sandbox_env(settings)
    db = Database(settings.db_url)
    db.migrate()
    with db.session() as session:
        create_user(session, "lan", "competitor", PASSWORD)
    db.dispose()
    harness.publish_tiny_people(settings)
    log_path = settings.resolved_data_dir / "arena-up.log"
    env = {**os.environ, **settings_env(settings), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with log_path.open("wb") as log:
        up = subprocess.Popen(
            [str(Path(sys.executable).with_name("arena")), "up"], env=env, cwd=settings.resolved_data_dir,
            stdout=log, stderr=subprocess.STDOUT,
        )
    hub = harness.HubProcess(settings, up, log_path, ops_token(settings))
    try:
        harness.wait_for_hub(hub)
        token, _ = harness.spawn(hub, "lan", PASSWORD)
        kernel = harness.start_kernel(hub, "lan", token)
        before = harness.run_in_kernel(hub, "lan", token, kernel, "import os\nmemory = 'kept'\nprint(os.getpid())")
        processes = harness.sandbox_processes(settings)

        up.send_signal(signal.SIGHUP)  # restart the hub alone
        _wait_down(hub)
        harness.wait_for_hub(hub)

        # the sandbox never stopped: same processes, and the user reconnects with the same token
        assert harness.sandbox_processes(settings) == processes
        server = hub.api("GET", "/users/lan", token=token).json()["servers"][""]
        assert server["ready"] is True
        after = harness.run_in_kernel(hub, "lan", token, kernel, "print(os.getpid(), memory)")
        assert after.split() == [before.strip(), "kept"]
        assert "restarting the hub; the sandboxes keep running" in hub.log()
        # logging in again through the form works too, and a fresh kernel runs
        harness.login(hub, "lan", PASSWORD)
        assert harness.run_code(hub, "lan", token, "print(6 * 7)").strip() == "42"

        up.send_signal(signal.SIGINT)  # Ctrl-C: stop the platform
        assert up.wait(120) == 0, hub.log()[-3000:]
        leftovers = harness.leftover_sandboxes(settings) + harness.sandbox_processes(settings)
        assert "stopping 1 sandbox(es)" in hub.log()
        assert leftovers == [], f"left behind after Ctrl-C: {leftovers}\n{hub.log()[-3000:]}"
    finally:
        print(hub.log()[-6000:])  # shown when the test fails
        if up.poll() is None:
            harness.stop_hub(hub)
        release_homes(settings)
        shutil.rmtree(settings.resolved_data_dir, ignore_errors=True)
