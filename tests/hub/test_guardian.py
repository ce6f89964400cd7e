"""The guardian stops what ``arena up`` left running when its pipe closes without ``done``."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

from harness import free_port

from arena.settings import Settings
from hub.guardian import guard


def _settings(tmp_path: Path) -> Settings:
    # docker spawner: no namespaces or mounts to sweep here; the hub port answers nothing
    settings = Settings(_env_file=None, data_dir=tmp_path, spawner="docker", hub_port=free_port())
    settings.hub_dir.mkdir(parents=True)
    return settings


def test_done_means_the_runner_stopped_everything_itself(tmp_path: Path) -> None:
    hub = subprocess.Popen(["sleep", "600"])
    log = io.StringIO()
    try:
        assert guard(_settings(tmp_path), io.StringIO(f"hub {hub.pid}\ndone\n"), log) == 0
        assert hub.poll() is None and log.getvalue() == ""
    finally:
        hub.kill()
        hub.wait()


def test_a_closed_pipe_without_done_stops_the_hub(tmp_path: Path) -> None:
    old_hub, hub = subprocess.Popen(["sleep", "600"]), subprocess.Popen(["sleep", "600"])
    log = io.StringIO()
    started = time.monotonic()

    code = guard(_settings(tmp_path), io.StringIO(f"hub {old_hub.pid}\nhub {hub.pid}\n"), log)

    assert code == 1
    assert hub.wait(5) == -15 and time.monotonic() - started < 30  # SIGTERM to the newest hub only
    assert old_hub.poll() is None
    old_hub.kill()
    old_hub.wait()
    text = log.getvalue()
    assert "arena up ended without stopping the platform" in text and "the hub's API did not answer" in text
    assert f"hub (pid {hub.pid}) stopped" in text
