"""``run_platform``: what ``arena up`` runs: sandbox env, database, then JupyterHub in the foreground.

The hub itself starts and stops the managed services (scoring, leaderboard) and the proxy; they
get a parent-death signal (:mod:`hub.parent_death`), so they do not outlive a hub that was
killed. Sandboxes outlive a hub restart (SIGHUP; ``cleanup_servers`` is off, see
:mod:`hub.servers`); stopping the platform stops them first, through the hub's API, so that no
sandbox or network is left; each stop removes its network, cgroup and home mount.

Nothing of the platform outlives ``arena up``, however it ends:

- Ctrl-C, SIGTERM, a closed terminal (SIGHUP with the controlling terminal gone), an exception
  (a write to a closed output pipe, as with ``arena demo | tee log`` and Ctrl-C, is silenced
  instead): the runner stops sandboxes, hub and services, then sweeps (``finally``);
- SIGKILL or a crash of the runner: its guardian (:mod:`hub.guardian`) sees its pipe close and
  does the same stop;
- whatever is still left (the guardian killed too, the machine reset) is swept at the next start
  (:func:`hub.sweep.sweep_leftovers`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType

import httpx

from arena.db import Database
from arena.settings import Settings
from hub.guardian import start_guardian
from hub.launch import hub_command, prepare_hub_dir
from hub.servers import stop_all_servers
from hub.sweep import sweep_leftovers
from sandboxes import ensure_sandbox_env

__all__ = ["run_platform"]

STOP_GRACE_SECONDS = 60


def _terminate(hub: subprocess.Popen[bytes]) -> int:
    """SIGTERM the hub and wait for it (SIGKILL after the grace period)."""
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
    try:
        return hub.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        hub.kill()
        return hub.wait()


def _stop_sandboxes(settings: Settings, echo: Callable[[str], object]) -> None:
    try:
        left = stop_all_servers(settings, STOP_GRACE_SECONDS, echo)
    except httpx.HTTPError as error:
        echo(f"could not ask the hub to stop the sandboxes ({error}); they are swept after it stops")
        return
    if left:
        echo(f"sandboxes still running after {STOP_GRACE_SECONDS} s: {', '.join(left)} (swept after the hub stops)")


def _silence_output() -> None:
    """Point stdout and stderr at /dev/null (their reader is gone: a closed pipe or terminal)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def _never_raising(echo: Callable[[str], object]) -> Callable[[str], object]:
    """``echo`` that silences the output instead of raising when it cannot be written (EPIPE, EIO)."""

    def say(text: str) -> None:
        try:
            echo(text)
        except OSError:
            _silence_output()

    return say


def _has_terminal() -> bool:
    """Whether this process has a controlling terminal that is still there."""
    try:
        os.close(os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY))
    except OSError:
        return False
    return True


def run_platform(settings: Settings, echo: Callable[[str], object] = print) -> int:
    """Prepare everything the hub needs, run it until it exits or is told to stop.

    Ctrl-C, SIGTERM or the loss of the terminal stops the platform: every sandbox first (through
    the hub's API), then the hub (which stops its services), then a sweep. SIGHUP while the
    terminal is there (or without one, as under a service manager) restarts the hub alone: the
    sandboxes keep running and their users reconnect to the new hub.

    Args:
        settings: platform settings.
        echo: where progress lines go (the CLI passes ``typer.echo``).

    Returns:
        The hub's exit status.
    """
    echo = _never_raising(echo)
    echo(f"sandbox environment: {ensure_sandbox_env(settings)}")
    Database(settings.db_url).migrate()
    prepare_hub_dir(settings)
    swept = sweep_leftovers(settings)
    if swept:
        echo(f"swept what an earlier run left: {', '.join(swept)}")
    argv, env, cwd = hub_command(settings)
    url = f"http://{settings.public_ip}:{settings.public_port}"
    had_terminal = _has_terminal()
    asked: list[str] = []

    def start() -> subprocess.Popen[bytes]:
        # its own session: a terminal's Ctrl-C reaches this process only, which stops the sandboxes first
        return subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        restart = signum == signal.SIGHUP and (not had_terminal or _has_terminal())
        asked.append("restart" if restart else "stop")

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    guardian = start_guardian(settings, env)
    hub = start()
    guardian.hub_started(hub.pid)
    code: int | None = None
    echo(f"hub starting: log in at {url}/hub/login, leaderboard at {url}/services/leaderboard/ (Ctrl-C stops it)")
    try:
        while True:
            try:
                code = hub.wait(0.5)
            except subprocess.TimeoutExpired:
                code = None
            if "stop" in asked:
                echo("stopping the platform ...")
                break
            if "restart" in asked:
                asked.clear()
                echo("restarting the hub; the sandboxes keep running ...")
                _terminate(hub)
                hub = start()
                guardian.hub_started(hub.pid)
                continue
            if code is not None:
                break
    finally:
        # also on an exception (KeyboardInterrupt, a broken pipe): nothing may outlive the runner
        if hub.poll() is None:
            _stop_sandboxes(settings, echo)
        code = _terminate(hub)
        left = sweep_leftovers(settings)
        if left:
            echo(f"swept after the hub stopped: {', '.join(left)}")
        guardian.done()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code
