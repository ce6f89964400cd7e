"""``arena up`` sweeps what a platform that ended badly left: made for real, then swept.

Leftovers of a crashed platform are made by hand (a sandbox cgroup with a process in it, a
network namespace with a process in it, a veth pair, the nftables table, a loop-mounted home);
:func:`hub.sweep.sweep_leftovers` removes them all and kills the processes, and touches nothing
of another platform (another network prefix).
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
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


def _sleeper(argv_prefix: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*argv_prefix, "sleep", "600"], start_new_session=True)


def test_leftovers_of_this_platform_are_swept_and_another_platforms_are_not(
    platforms: tuple[Settings, Settings],
) -> None:
    ours, other = platforms
    mine, theirs = network_for(ours, 3), network_for(other, 3)
    for network in (mine, theirs):
        asyncio.run(create_network(network))
    asyncio.run(apply_firewall(ours))
    in_namespace = _sleeper(["ip", "netns", "exec", mine.namespace])
    group = None
    if cgroup_mode() != "none":
        group = Cgroup.create(sandbox_cgroup_name(mine), CgroupLimits(memory_bytes=64 * 1024**2, pids=16))
        in_group = _sleeper(group.enter_command())
    home = ours.homes_dir / "dana"
    if loop_quota_missing() is None:
        ours.homes_dir.mkdir(parents=True)
        mount_home(ours, "dana", home, 20003, 20003)

    swept = sweep_leftovers(ours)

    assert f"netns {mine.namespace} (1 processes killed)" in swept
    assert in_namespace.wait(10) != 0
    assert not Path(mine.netns_path).exists() and Path(theirs.netns_path).exists()
    nft = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    assert "arena_sandboxes_220" not in nft
    if group is not None:
        assert f"cgroup {group.name}" in swept and not group.exists
        assert in_group.wait(10) != 0
    if loop_quota_missing() is None:
        assert f"mount {home}" in swept and home not in home_mounts(ours)
        loops = subprocess.run(["losetup", "--list", "--noheadings", "--output", "BACK-FILE"],
                               capture_output=True, text=True).stdout
        assert str(ours.homes_dir) not in loops
    assert harness.leftover_sandboxes(ours) == []
    assert sweep_leftovers(ours) == []  # nothing left the second time
    asyncio.run(destroy_network(theirs))
    asyncio.run(remove_firewall(other))
