"""``arena up`` sweeps what a platform that ended badly left: made for real, then swept.

Leftovers of a crashed platform are made by hand (a sandbox cgroup with a process in it, a
network namespace with a process in it, a veth pair, the nftables table, a loop-mounted home);
:func:`hub.sweep.sweep_leftovers` removes them all and kills the processes, and touches nothing
of another platform (another network prefix).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import harness
import pytest

from arena.cgroups import Cgroup, CgroupLimits, cgroup_mode
from arena.settings import Settings
from hub.home_quota import home_mounts, loop_quota_missing, mount_home
from hub.network import apply_firewall, create_network, destroy_network, network_for, remove_firewall
from hub.sandbox_cgroup import sandbox_cgroup_name
from hub.sweep import sweep_leftovers

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(harness.e2e_missing() is not None, reason=str(harness.e2e_missing()))]


@pytest.fixture
def platforms(e2e_root: Path) -> Iterator[tuple[Settings, Settings]]:
    """This platform (10.220) and another one (10.221) on the same machine."""
    ours = harness.make_settings(e2e_root / f"arena-sweep-{uuid.uuid4().hex[:8]}", sandbox_network_prefix="10.220")
    other = harness.make_settings(e2e_root / f"arena-sweep-{uuid.uuid4().hex[:8]}", sandbox_network_prefix="10.221")
    yield ours, other
    for settings in (ours, other):
        sweep_leftovers(settings)
        subprocess.run(["rm", "-rf", str(settings.resolved_data_dir)], check=False)


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


def _detached_sleeper(argv_prefix: list[str]) -> int:
    """Start ``[*argv_prefix, "sleep", "600"]`` detached, as a crashed platform leaves it; its pid.

    The shell starts it in the background and exits at once, so the sleeper's parent is init (or
    the nearest subreaper), which reaps it when the sweep kills it: it is not a child of this test
    process left as a zombie. ``argv_prefix`` ends in an ``exec`` (``ip netns exec``, the cgroup
    enter prefix), so the pid printed is the sleeper's own; it is returned once the prefix is done
    (the process is ``sleep``), so the sweep never meets it half-way.
    """
    started = subprocess.run(
        ["/bin/sh", "-c", 'setsid "$@" </dev/null >/dev/null 2>&1 & echo $!', "detach", *argv_prefix, "sleep", "600"],
        capture_output=True, text=True, check=True,
    )
    pid = int(started.stdout)
    _wait_until(lambda: _comm(pid) == "sleep", f"sleeper {pid} running `sleep`")
    return pid


def _gone(pid: int) -> bool:
    """Killed and reaped (by init: the sleepers are nobody's children here)."""
    return not Path(f"/proc/{pid}").exists()


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return ""


def test_leftovers_of_this_platform_are_swept_and_another_platforms_are_not(
    platforms: tuple[Settings, Settings],
) -> None:
    ours, other = platforms
    mine, theirs = network_for(ours, 3), network_for(other, 3)
    for network in (mine, theirs):
        asyncio.run(create_network(network))
    asyncio.run(apply_firewall(ours))
    in_namespace = _detached_sleeper(["ip", "netns", "exec", mine.namespace])
    assert str(in_namespace) in subprocess.run(["ip", "netns", "pids", mine.namespace],
                                               capture_output=True, text=True).stdout.split()
    group = None
    if cgroup_mode() != "none":
        group = Cgroup.create(sandbox_cgroup_name(mine), CgroupLimits(memory_bytes=64 * 1024**2, pids=16))
        in_group = _detached_sleeper(group.enter_command())
        assert group.pids() == [in_group]
    home = ours.homes_dir / "dana"
    if loop_quota_missing() is None:
        ours.homes_dir.mkdir(parents=True)
        mount_home(ours, "dana", home, 20003, 20003)

    swept = sweep_leftovers(ours)

    assert f"netns {mine.namespace} (1 processes killed)" in swept
    _wait_until(lambda: _gone(in_namespace), f"the sleeper {in_namespace} in the namespace killed and reaped")
    assert not Path(mine.netns_path).exists() and Path(theirs.netns_path).exists()
    nft = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    assert "arena_sandboxes_220" not in nft
    if group is not None:
        assert f"cgroup {group.name}" in swept and not group.exists
        _wait_until(lambda: _gone(in_group), f"the sleeper {in_group} in the cgroup killed and reaped")
    if loop_quota_missing() is None:
        assert f"mount {home}" in swept and home not in home_mounts(ours)
        loops = subprocess.run(["losetup", "--list", "--noheadings", "--output", "BACK-FILE"],
                               capture_output=True, text=True).stdout
        assert str(ours.homes_dir) not in loops
    assert harness.leftover_sandboxes(ours) == []
    assert sweep_leftovers(ours) == []  # nothing left the second time
    asyncio.run(destroy_network(theirs))
    asyncio.run(remove_firewall(other))
