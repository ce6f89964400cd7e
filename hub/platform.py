"""``run_platform``: what ``arena up`` runs: sandbox env, database, then JupyterHub in the foreground.

The hub itself starts and stops the managed services (scoring, leaderboard). Sandboxes outlive
a hub restart (SIGHUP; ``cleanup_servers`` is off, see :mod:`hub.servers`); stopping the
platform (Ctrl-C, SIGTERM) stops them first, through the hub's API, so that no sandbox or
network is left; each stop removes its network and unmounts its home. Homes a hub left mounted
(it crashed or was killed) are unmounted once it has exited.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from types import FrameType

import httpx

from arena.db import Database
from arena.settings import Settings
from hub.home_quota import release_homes
from hub.launch import hub_command, prepare_hub_dir
from hub.servers import stop_all_servers
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
        echo(f"could not ask the hub to stop the sandboxes ({error}); they are stopped with it if it can")
        return
    if left:
        echo(f"sandboxes still running after {STOP_GRACE_SECONDS} s: {', '.join(left)}")


def run_platform(settings: Settings, echo: Callable[[str], object] = print) -> int:
    """Prepare everything the hub needs, run it until it exits or is told to stop.

    Ctrl-C or SIGTERM stops the platform: every sandbox first (through the hub's API), then the
    hub (which stops its services). SIGHUP restarts the hub alone: the sandboxes keep running and
    their users reconnect to the new hub (e.g. after a configuration change).

    Args:
        settings: platform settings.
        echo: where progress lines go (the CLI passes ``typer.echo``).

    Returns:
        The hub's exit status.
    """
    echo(f"sandbox environment: {ensure_sandbox_env(settings)}")
    Database(settings.db_url).migrate()
    prepare_hub_dir(settings)
    argv, env, cwd = hub_command(settings)
    url = f"http://{settings.public_ip}:{settings.public_port}"
    asked: list[str] = []

    def start() -> subprocess.Popen[bytes]:
        # its own session: a terminal's Ctrl-C reaches this process only, which stops the sandboxes first
        return subprocess.Popen(argv, env=env, cwd=cwd, start_new_session=True)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        asked.append("restart" if signum == signal.SIGHUP else "stop")

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    hub = start()
    echo(f"hub starting: log in at {url}/hub/login, leaderboard at {url}/services/leaderboard/ (Ctrl-C stops it)")
    try:
        while True:
            try:
                code = hub.wait(0.5)
            except subprocess.TimeoutExpired:
                code = None
            if "stop" in asked:
                echo("stopping the platform ...")
                if code is None:
                    _stop_sandboxes(settings, echo)
                code = _terminate(hub)
                release_homes(settings)
                return code
            if "restart" in asked:
                asked.clear()
                echo("restarting the hub; the sandboxes keep running ...")
                _terminate(hub)
                hub = start()
                continue
            if code is not None:
                release_homes(settings)
                return code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
