"""End to end: nothing of the platform outlives ``arena up``, however it ends.

A real ``arena up`` (the CLI, as ``make demo`` runs it) with a running sandbox is ended two ways:

- its output piped to a reader that goes away, then Ctrl-C (SIGINT to its process group), as with
  ``make demo 2>&1 | tee log`` and Ctrl-C: the runner must not die of the closed pipe before it
  stopped everything;
- ``kill -9`` of the ``arena up`` process: its guardian stops the platform.

Afterwards no process of the platform (hub, proxy, services, guardian, sandbox) runs, and no
network namespace, veth, mounted home, loop device or cgroup of it is left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import harness
import pytest

from arena.settings import Settings
from hub.config import ops_token_path, settings_env
from hub.home_quota import release_homes

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]

PASSWORD = "correct-horse-battery"
NETWORK_PREFIX = "10.219"  # apart from the other end-to-end modules


@pytest.fixture
def settings(e2e_root: Path) -> Iterator[Settings]:
    """A prepared data dir (competitor alice, dataset people@1), no hub running."""
    data_dir = e2e_root / f"arena-stop-{uuid.uuid4().hex[:8]}"
    settings = harness.prepare_platform(data_dir, {"alice": PASSWORD}, sandbox_network_prefix=NETWORK_PREFIX)
    yield settings
    release_homes(settings)
    shutil.rmtree(settings.resolved_data_dir, ignore_errors=True)


def _platform_processes(settings: Settings) -> list[str]:
    """Processes whose environment names this platform's data dir, and processes under its sandbox uids."""
    marker = f"ARENA_DATA_DIR={settings.resolved_data_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
        except OSError:
            continue
        if "State:\tZ" in status:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if marker in environ.split(b"\0") or uid == settings.sandbox_uid_base + 1:
            found.append(f"{proc.name} {cmdline}")
    return found


def _leftovers(settings: Settings) -> list[str]:
    return _platform_processes(settings) + harness.leftover_sandboxes(settings)


def _arena_up(settings: Settings, stdout: int | None) -> tuple[subprocess.Popen[bytes], harness.HubProcess]:
    """``arena up`` in a process group of its own (a terminal's job), its hub answering, alice's sandbox running."""
    env = {**settings_env(settings), "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin"}
    arena = str(Path(sys.executable).with_name("arena"))
    log_path = settings.resolved_data_dir / "arena-up.log"
    process = subprocess.Popen(
        [arena, "up"], env=env, cwd=settings.resolved_data_dir, stdout=stdout, stderr=subprocess.STDOUT,
        process_group=0,
    )
    deadline = time.monotonic() + 120
    while not ops_token_path(settings).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    hub = harness.HubProcess(settings, process, log_path, ops_token_path(settings).read_text().strip())
    if not log_path.exists():
        log_path.write_text("(arena up's output goes to the test's pipe)\n")
    harness.wait_for_hub(hub, 120)
    harness.spawn(hub, "alice", PASSWORD)
    return process, hub


def _wait_until_clean(settings: Settings, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while _leftovers(settings) and time.monotonic() < deadline:
        time.sleep(0.5)
    return _leftovers(settings)


def test_ctrl_c_with_the_output_pipe_closed_stops_everything(settings: Settings) -> None:
    process, _ = _arena_up(settings, subprocess.PIPE)
    assert process.stdout is not None
    running = _leftovers(settings)
    process.stdout.close()  # `tee` is gone (Ctrl-C reached it too)

    os.killpg(process.pid, signal.SIGINT)
    process.wait(180)

    assert any("jupyterhub" in item for item in running) and "arena-219-1" in running
    assert _wait_until_clean(settings, 30) == []


def test_kill_9_of_arena_up_leaves_nothing(settings: Settings) -> None:
    with open(settings.resolved_data_dir / "arena-up.log", "wb") as log:
        process, _ = _arena_up(settings, log.fileno())
    assert any(item.startswith("arena-219-") for item in harness.leftover_sandboxes(settings))

    process.kill()
    process.wait(10)

    guardian_log = settings.hub_dir / "guardian.log"
    left = _wait_until_clean(settings, 150)
    assert left == [], f"{left}\n{guardian_log.read_text() if guardian_log.exists() else ''}"
    assert "arena up ended without stopping the platform" in guardian_log.read_text()
