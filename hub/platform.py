"""``run_platform``: what ``arena up`` runs: sandbox env, database, then JupyterHub in the foreground.

The hub itself starts and stops the managed services (scoring, leaderboard) and the
sandboxes; on Ctrl-C or SIGTERM the hub gets SIGTERM and is waited for, so it can
stop every sandbox and remove its network.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from types import FrameType

from arena.db import Database
from arena.settings import Settings
from hub.launch import hub_command, prepare_hub_dir
from sandboxes import ensure_sandbox_env

__all__ = ["run_platform"]

STOP_GRACE_SECONDS = 60


def run_platform(settings: Settings, echo: Callable[[str], object] = print) -> int:
    """Prepare everything the hub needs, run it until it exits or is interrupted.

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
    hub = subprocess.Popen(argv, env=env, cwd=cwd)
    url = f"http://{settings.public_ip}:{settings.public_port}"
    echo(f"hub starting: log in at {url}/hub/login, leaderboard at {url}/services/leaderboard/ (Ctrl-C stops it)")

    def forward(signum: int, _frame: FrameType | None) -> None:
        hub.send_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return hub.wait()
    except KeyboardInterrupt:
        echo("stopping the hub ...")
        hub.send_signal(signal.SIGTERM)
        try:
            return hub.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            hub.kill()
            return hub.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
