"""Errors of the hub room."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = ["HubError", "SandboxSetupError"]


class HubError(ArenaError):
    """The hub cannot be configured or started as asked."""


class SandboxSetupError(HubError):
    """A sandbox (network namespace, home, firewall) could not be prepared or torn down."""
