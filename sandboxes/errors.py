"""Errors of the sandboxes room."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = ["SandboxEnvError"]


class SandboxEnvError(ArenaError):
    """The sandbox Python environment cannot be built or is not usable."""
