"""Stop user servers through the hub's REST API: the platform's full stop, or one user's servers.

The hub is configured with ``cleanup_servers = False`` so that restarting the hub (an upgrade,
a configuration change, a crash) leaves the sandboxes running: the new hub finds them again and
their users reconnect. Stopping the *platform* is a different act: ``arena up`` calls
:func:`stop_all_servers` before it stops the hub, so that no sandbox, network namespace or veth
pair outlives it. Disabling an account (``arena users disable``) stops that user's servers with
:func:`stop_user_servers`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from arena.settings import Settings
from hub.config import ops_token

__all__ = ["running_servers", "stop_all_servers", "stop_user_servers"]


def _api(settings: Settings) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{settings.hub_port}/hub/api",
        headers={"Authorization": f"token {ops_token(settings)}"},
        timeout=30,
    )


def running_servers(settings: Settings, user: str | None = None) -> list[tuple[str, str]]:
    """``(user, server name)`` of every server the hub knows as running or starting ('' is the default server).

    Args:
        settings: platform settings (hub port, the ``arena-ops`` token).
        user: only this user's servers (None: everyone's).

    Raises:
        httpx.HTTPError: the hub's API did not answer.
    """
    with _api(settings) as api:
        response = api.get("/users", params={"state": "active", "limit": 10_000})
        response.raise_for_status()
        users = response.json()
    users = users["items"] if isinstance(users, dict) else users
    return [
        (entry["name"], name)
        for entry in users
        if user is None or entry["name"] == user
        for name in entry.get("servers", {})
    ]


def stop_all_servers(settings: Settings, timeout: float = 60, echo: Callable[[str], object] = print) -> list[str]:
    """Ask the hub to stop every server, and wait until none runs (or ``timeout`` passed).

    Args:
        settings: platform settings (hub port, the ``arena-ops`` token).
        timeout: seconds to wait for the servers to stop.
        echo: where progress lines go.

    Returns:
        ``user`` or ``user/name`` of the servers still running when the time was up (normally empty).

    Raises:
        httpx.HTTPError: the hub's API did not answer.
    """
    return _stop(settings, None, timeout, echo)


def stop_user_servers(settings: Settings, user: str, timeout: float = 60, echo: Callable[[str], object] = print) -> list[str]:
    """Ask the hub to stop every server of ``user``, and wait until none of them runs.

    Args:
        settings: platform settings (hub port, the ``arena-ops`` token).
        user: the hub user name.
        timeout: seconds to wait for the servers to stop.
        echo: where progress lines go.

    Returns:
        ``user`` or ``user/name`` of the servers still running when the time was up (normally empty).

    Raises:
        httpx.HTTPError: the hub's API did not answer (for instance, the hub is not running).
    """
    return _stop(settings, user, timeout, echo)


def _stop(settings: Settings, user: str | None, timeout: float, echo: Callable[[str], object]) -> list[str]:
    servers = running_servers(settings, user)
    if servers:
        echo(f"stopping {len(servers)} sandbox(es) ...")
    with _api(settings) as api:
        for owner, name in servers:
            api.delete(f"/users/{owner}/servers/{name}" if name else f"/users/{owner}/server").raise_for_status()
    deadline = time.monotonic() + timeout
    while servers and time.monotonic() < deadline:
        time.sleep(0.5)
        servers = running_servers(settings, user)
    return [f"{owner}/{name}" if name else owner for owner, name in servers]
