"""Errors of the hub room."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = ["HubError", "SandboxSetupError", "SpawnRefused"]


class HubError(ArenaError):
    """The hub cannot be configured or started as asked."""


class SandboxSetupError(HubError):
    """A sandbox (network namespace, home, firewall) could not be prepared or torn down."""


class SpawnRefused(SandboxSetupError):
    """The platform refuses this spawn (no arena account, a disabled one, no free server slot).

    Attributes:
        status: the HTTP status the hub answers with (4xx), the message shown as is.
    """

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status
