"""Sweep what a platform that ended badly left behind (crashed or SIGKILLed hub or ``arena up``).

Everything swept carries this platform's tag (from ``sandbox_network_prefix``) or lives under its
data dir, so a second platform on the same machine (a test hub next to a running one) is never
touched: sandbox cgroups (their processes killed), processes still in a sandbox network namespace
(sandboxes without a cgroup), the namespaces, host veth ends, the nftables table, mounted homes
and the loop devices of home images.

``arena up`` sweeps before it starts the hub (nothing of the platform can be running then), and
the guardian (:mod:`hub.guardian`) after a runner died without stopping the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess

from arena.cgroups import Cgroup, CgroupError
from arena.settings import Settings
from hub.home_quota import release_homes
from hub.network import host_if_prefix, namespace_prefix, remove_firewall
from hub.sandbox_cgroup import leftover_sandbox_cgroups, sandbox_cgroup_mode

__all__ = ["sweep_leftovers"]


def _lines(argv: list[str]) -> list[str]:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.splitlines()
    except FileNotFoundError:  # the tool is not installed: nothing of its kind can have been made
        return []


def _kill_namespace_processes(namespace: str) -> list[int]:
    pids = [int(pid) for pid in _lines(["ip", "netns", "pids", namespace]) if pid.strip().isdigit()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def sweep_leftovers(settings: Settings) -> list[str]:
    """Remove this platform's leftover sandboxes; return what was found (empty: nothing was left).

    Args:
        settings: the platform's settings (network prefix, data dir). Nothing is done for the docker
            spawner (its sandboxes are containers, removed when stopped).
    """
    found: list[str] = []
    if settings.spawner != "bwrap":
        return found
    prefix = namespace_prefix(settings)
    if sandbox_cgroup_mode(settings) != "none":
        for name in leftover_sandbox_cgroups(settings, prefix):
            found.append(f"cgroup {name}")
            with contextlib.suppress(CgroupError):
                Cgroup.existing(name).remove()
    namespaces = [line.split()[0] for line in _lines(["ip", "netns", "list"]) if line.startswith(prefix)]
    for namespace in namespaces:
        killed = _kill_namespace_processes(namespace)
        found.append(f"netns {namespace}" + (f" ({len(killed)} processes killed)" if killed else ""))
    links = [line.split(":")[1].strip().split("@")[0] for line in _lines(["ip", "-o", "link"]) if ":" in line]
    veths = [link for link in links if link.startswith(host_if_prefix(settings))]
    found += [f"veth {veth}" for veth in veths]
    commands = [f"netns delete {namespace}" for namespace in namespaces] + [f"link delete {veth}" for veth in veths]
    if commands:
        subprocess.run(["ip", "-force", "-batch", "-"], input="\n".join(commands) + "\n", text=True,
                       capture_output=True, check=False)
    if shutil.which("nft") is not None:
        asyncio.run(remove_firewall(settings))
    found += [f"mount {point}" for point in release_homes(settings)]
    homes = f"{settings.homes_dir}/"
    for line in _lines(["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"]):
        device, _, backing = line.strip().partition(" ")
        if backing.strip().startswith(homes):
            found.append(f"loop {device} ({backing.strip()})")
            subprocess.run(["losetup", "--detach", device], capture_output=True, check=False)
    return found
