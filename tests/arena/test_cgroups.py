"""Control groups on the real kernel: limits hold for a group of processes together, tmpfs included."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from arena.cgroups import Cgroup, CgroupError, CgroupLimits, cgroup_mode, list_groups

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or cgroup_mode() == "none", reason="needs root and a writable cgroup hierarchy (v1 or v2)"
)

MIB = 1 << 20


@pytest.fixture
def group_name() -> str:
    return f"test/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_group(group_name: str):
    made: list[Cgroup] = []

    def make(limits: CgroupLimits) -> Cgroup:
        group = Cgroup.create(group_name, limits)
        made.append(group)
        return group

    yield make
    for group in made:
        group.remove()


def run_in(group: Cgroup, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*group.enter_command(), *command], capture_output=True, text=True, timeout=timeout)


def test_the_memory_limit_holds_for_several_processes_together(make_group) -> None:
    group = make_group(CgroupLimits(memory_bytes=96 * MIB, pids=64))
    # Three processes of 48 MiB each: each alone fits, together they do not.
    hold = "import time; b = bytearray(48 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(2)"
    script = (
        f"import subprocess, sys\n"
        f"procs = [subprocess.Popen([sys.executable, '-c', {hold!r}]) for _ in range(3)]\n"
        f"print(sorted(p.wait() for p in procs))\n"
    )
    result = run_in(group, sys.executable, "-c", script)
    codes = eval(result.stdout.strip())  # noqa: S307 - a list of ints printed by our own script
    assert -9 in codes, f"no process was OOM-killed: {codes} {result.stderr[-500:]}"
    assert group.oom_kills() >= 1


def test_tmpfs_pages_count_against_the_group(make_group, tmp_path: Path) -> None:
    group = make_group(CgroupLimits(memory_bytes=64 * MIB, pids=16))
    target = Path("/dev/shm") / f"arena-cgroup-test-{uuid.uuid4().hex[:8]}"
    try:
        result = run_in(group, "dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=256")
        written = target.stat().st_size if target.exists() else 0
    finally:
        target.unlink(missing_ok=True)
    assert result.returncode != 0, "256 MiB of tmpfs were written under a 64 MiB group limit"
    assert written < 128 * MIB
    assert group.oom_kills() >= 1 or group.memory_limit_hits() >= 1


def test_the_pids_limit_stops_a_fork_bomb_and_kill_all_empties_the_group(make_group) -> None:
    group = make_group(CgroupLimits(memory_bytes=256 * MIB, pids=8))
    bomb = subprocess.Popen(
        [*group.enter_command(), "/bin/sh", "-c", "for i in $(seq 50); do sleep 30 & done; wait"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):
            if len(group.pids()) >= 8:
                break
            subprocess.run(["sleep", "0.02"], check=True)
        assert 1 < len(group.pids()) <= 8
        group.kill_all()
        assert group.pids() == []
        bomb.wait(timeout=10)
        assert "fork" in bomb.stderr.read().lower() or bomb.returncode != 0
    finally:
        bomb.kill()
        bomb.wait()


def test_a_group_is_listed_until_it_is_removed(group_name: str) -> None:
    group = Cgroup.create(group_name, CgroupLimits(memory_bytes=32 * MIB, pids=4, cpu_weight=50, cpu_max=0.5))
    sleeper = subprocess.Popen([*group.enter_command(), "sleep", "30"])
    try:
        for _ in range(100):
            if group.pids():
                break
            subprocess.run(["sleep", "0.02"], check=True)
        assert group_name in list_groups("test")
        assert Cgroup.existing(group_name).pids() == group.pids() != []
        group.remove()
        assert sleeper.wait(timeout=10) == -9
        assert not group.exists
        assert group_name not in list_groups("test")
    finally:
        sleeper.kill()
        sleeper.wait()
        group.remove()


def test_bad_names_and_limits_are_refused_with_the_reason() -> None:
    with pytest.raises(CgroupError, match="cgroup name"):
        Cgroup.create("../escape", CgroupLimits(memory_bytes=None, pids=None))
    with pytest.raises(ValueError, match="below 1 MiB"):
        CgroupLimits(memory_bytes=10, pids=1)
    with pytest.raises(ValueError, match="cpu_weight"):
        CgroupLimits(memory_bytes=None, pids=None, cpu_weight=0)


@pytest.mark.skipif(cgroup_mode() != "v1", reason="v1 only: one hierarchy per controller, joined one after the other")
def test_remove_kills_a_process_caught_half_way_into_the_group(group_name: str) -> None:
    """A sweep may meet a spawn half-way through ``enter_command``: in the memory group only.

    Before, ``kill_all`` read the pids group alone, missed it, and ``remove`` waited on a busy memory
    folder until it gave up: the group and the process outlived the sweep.
    """
    group = Cgroup.create(group_name, CgroupLimits(memory_bytes=32 * MIB, pids=4))
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (Path("/sys/fs/cgroup/memory") / "data-arena" / group_name / "cgroup.procs").write_text(str(sleeper.pid))
        assert group.pids() == [sleeper.pid]
        group.remove(timeout=5)
        assert sleeper.wait(timeout=10) == -9
        assert not group.exists
    finally:
        sleeper.kill()
        sleeper.wait()
        group.remove()
