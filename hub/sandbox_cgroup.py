"""One control group per bubblewrap sandbox: memory (tmpfs and page cache included), pids, CPU.

The group is named after the sandbox's network namespace (``sandbox/arena-<tag>-<id>[-<slot>]``),
so it carries the platform's tag like the namespace does: a sweep removes only this platform's
groups, and a hub that restarted finds a running sandbox's group from its stored network.
"""

from __future__ import annotations

import logging

from arena.cgroups import Cgroup, CgroupError, CgroupLimits, CgroupMode, cgroup_mode, list_groups
from arena.settings import Settings
from hub.network import SandboxNetwork

__all__ = [
    "SANDBOX_CGROUPS",
    "create_sandbox_cgroup",
    "leftover_sandbox_cgroups",
    "remove_sandbox_cgroup",
    "sandbox_cgroup_limits",
    "sandbox_cgroup_mode",
    "sandbox_cgroup_name",
]

SANDBOX_CGROUPS = "sandbox"
"""The folder of the sandboxes' groups under ``data-arena``."""

log = logging.getLogger(__name__)


def sandbox_cgroup_mode(settings: Settings) -> CgroupMode:
    """The cgroup interface sandboxes get here (``"none"``: switched off, or the host allows none)."""
    return "none" if settings.sandbox_cgroups == "off" else cgroup_mode()


def sandbox_cgroup_name(network: SandboxNetwork) -> str:
    """The group of the sandbox that owns ``network``."""
    return f"{SANDBOX_CGROUPS}/{network.namespace}"


def sandbox_cgroup_limits(settings: Settings) -> CgroupLimits:
    """What one sandbox may use (the same numbers as the docker and kubernetes sandbox limits)."""
    return CgroupLimits(
        memory_bytes=settings.sandbox_mem_bytes,
        pids=settings.sandbox_max_processes,
        cpu_weight=settings.sandbox_cpu_weight,
        cpu_max=settings.sandbox_cpu_limit,
    )


def create_sandbox_cgroup(settings: Settings, network: SandboxNetwork, limits: Settings | None = None) -> Cgroup | None:
    """Make (or take over) the sandbox's group with its limits; None when no cgroups are in force.

    Args:
        settings: platform settings (``sandbox_cgroups``).
        network: the sandbox's network (names the group).
        limits: settings holding the chosen profile's limits (default ``settings``).

    Raises:
        CgroupError: the group could not be made or limited (names the file).
    """
    mode = sandbox_cgroup_mode(settings)
    if mode == "none":
        return None
    group = Cgroup.create(sandbox_cgroup_name(network), sandbox_cgroup_limits(limits or settings), mode=mode)
    group.kill_all()  # a group left from before holds nothing of the new sandbox
    return group


def remove_sandbox_cgroup(settings: Settings, network: SandboxNetwork) -> None:
    """Kill what is left in the sandbox's group and remove it (absent or no cgroups: nothing)."""
    mode = sandbox_cgroup_mode(settings)
    if mode == "none":
        return
    try:
        Cgroup.existing(sandbox_cgroup_name(network), mode=mode).remove()
    except CgroupError as error:
        log.warning("cgroup of sandbox %s not removed: %s", network.namespace, error)


def leftover_sandbox_cgroups(settings: Settings, tag_prefix: str) -> list[str]:
    """Names of this platform's sandbox groups (namespace names starting with ``tag_prefix``)."""
    if sandbox_cgroup_mode(settings) == "none":
        return []
    return [name for name in list_groups(SANDBOX_CGROUPS) if name.split("/", 1)[1].startswith(tag_prefix)]
