"""Stop every user server through the hub's REST API: the platform's full stop.

The hub is configured with ``cleanup_servers = False`` so that restarting the hub (an upgrade,
a configuration change, a crash) leaves the sandboxes running: the new hub finds them again and
their users reconnect. Stopping the *platform* is a different act: ``arena up`` calls
:func:`stop_all_servers` before it stops the hub, so that no sandbox, network namespace or veth
pair outlives it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from arena.settings import Settings
from hub.config import ops_token

__all__ = ["running_servers", "stop_all_servers"]


def _api(settings: Settings) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{settings.hub_port}/hub/api",
        headers={"Authorization": f"token {ops_token(settings)}"},
        timeout=30,
    )


def running_servers(settings: Settings) -> list[tuple[str, str]]:
    """``(user, server name)`` of every server the hub knows as running or starting ('' is the default server).

    Raises:
        httpx.HTTPError: the hub's API did not answer.
    """
    with _api(settings) as api:
        response = api.get("/users", params={"state": "active", "limit": 10_000})
        response.raise_for_status()
        users = response.json()
    users = users["items"] if isinstance(users, dict) else users
    return [(user["name"], name) for user in users for name in user.get("servers", {})]


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
    servers = running_servers(settings)
    if servers:
        echo(f"stopping {len(servers)} sandbox(es) ...")
    with _api(settings) as api:
        for user, name in servers:
            api.delete(f"/users/{user}/servers/{name}" if name else f"/users/{user}/server").raise_for_status()
    deadline = time.monotonic() + timeout
    while servers and time.monotonic() < deadline:
        time.sleep(0.5)
        servers = running_servers(settings)
    return [f"{user}/{name}" if name else user for user, name in servers]
