"""The ``idle-culler`` hub service: jupyterhub-idle-culler stops sandboxes left idle.

A server with no activity (no browser traffic, no busy kernel) for
``settings.sandbox_idle_seconds`` is stopped; its home stays. 0 switches culling off.
"""

from __future__ import annotations

import sys
from typing import Any

from arena.settings import Settings

__all__ = ["CULLER_SCOPES", "CULLER_SERVICE", "culler_role", "culler_service"]

CULLER_SERVICE = "idle-culler"
# what jupyterhub-idle-culler needs to find idle servers and stop them (not to delete users)
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
MAX_CHECK_INTERVAL_SECONDS = 300


def culler_service(settings: Settings) -> dict[str, Any] | None:
    """The managed service running the culler (None when ``sandbox_idle_seconds`` is 0)."""
    idle = settings.sandbox_idle_seconds
    if idle <= 0:
        return None
    every = max(1, min(MAX_CHECK_INTERVAL_SECONDS, idle // 2))
    return {
        "name": CULLER_SERVICE,
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={idle}", f"--cull-every={every}"],
    }


def culler_role() -> dict[str, Any]:
    """The role granting the culler service its scopes."""
    return {"name": CULLER_SERVICE, "scopes": list(CULLER_SCOPES), "services": [CULLER_SERVICE]}
