"""The guardian: stops the platform when ``arena up`` ends without stopping it (SIGKILL, a crash).

``arena up`` starts it (``python -m hub.guardian``) in a session of its own, with a pipe on its
stdin, before the hub. It reads what the runner tells it: ``hub <pid>`` after each hub start,
``done`` once the runner stopped the platform itself. If the pipe closes without ``done`` (the
runner's process is gone however it went: the kernel closes its end), the guardian does the
runner's stop: every sandbox through the hub's API, SIGTERM to the hub (which stops its proxy
and services; SIGKILL after a grace period), then sweeps what is left
(:func:`hub.sweep.sweep_leftovers`). Terminal signals do not reach it (own session, SIGINT,
SIGHUP and SIGTERM ignored); it writes to ``<hub_dir>/guardian.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from arena.settings import Settings, get_settings
from hub.servers import stop_all_servers
from hub.sweep import sweep_leftovers

__all__ = ["Guardian", "guard", "start_guardian", "stop_hub_by_pid"]

STOP_GRACE_SECONDS = 60


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie waiting for its reaper has finished
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def stop_hub_by_pid(pid: int, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM process ``pid`` (not a child of ours) and wait until it is gone; SIGKILL after ``grace``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def guard(settings: Settings, commands: IO[str], log: IO[str]) -> int:
    """Read the runner's messages until ``done`` (return 0) or the end of the pipe (stop everything).

    Args:
        settings: the platform's settings.
        commands: the pipe from the runner.
        log: where to say what was done.

    Returns:
        0 when the runner said ``done``, 1 when the guardian had to stop the platform.
    """
    hub_pid: int | None = None
    for line in commands:
        word, _, value = line.strip().partition(" ")
        if word == "hub" and value.isdigit():
            hub_pid = int(value)
        elif word == "done":
            return 0

    def say(text: str) -> None:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} guardian: {text}\n")
        log.flush()

    say("arena up ended without stopping the platform: stopping it")
    if hub_pid is not None and _alive(hub_pid):
        try:
            left = stop_all_servers(settings, STOP_GRACE_SECONDS, say)
            if left:
                say(f"sandboxes still running: {', '.join(left)} (swept below)")
        except httpx.HTTPError as error:
            say(f"the hub's API did not answer ({error}); the sandboxes are swept")
        stop_hub_by_pid(hub_pid)
        say(f"hub (pid {hub_pid}) stopped")
    swept = sweep_leftovers(settings)
    say("swept: " + (", ".join(swept) if swept else "nothing was left"))
    return 1


class Guardian:
    """The runner's end of the guardian's pipe."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def _tell(self, message: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.write(message + "\n")
            self.process.stdin.flush()

    def hub_started(self, pid: int) -> None:
        """Tell the guardian which process is the hub now."""
        self._tell(f"hub {pid}")

    def done(self) -> None:
        """The runner stopped the platform itself: the guardian exits without doing anything."""
        self._tell("done")
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)


def start_guardian(settings: Settings, env: dict[str, str]) -> Guardian:
    """Start the guardian for the platform of ``settings`` (``env``: the hub's ``ARENA_*`` environment)."""
    log = open(settings.hub_dir / "guardian.log", "a")  # noqa: SIM115 (the child keeps it)
    with log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub.guardian"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=settings.hub_dir,
            start_new_session=True,
            text=True,
        )
    return Guardian(process)


def main() -> None:
    """``python -m hub.guardian``: guard the platform of the environment's settings."""
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(guard(get_settings(), sys.stdin, sys.stdout))


if __name__ == "__main__":
    main()
