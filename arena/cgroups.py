"""Control groups: one group of processes with a memory, process-count and CPU budget.

A notebook sandbox and an enclave run are each one group, so their limits hold for all their
processes together (a per-process ``prlimit`` does not: ten processes get ten budgets), and the
memory budget counts page cache and tmpfs pages too (``prlimit --as`` counts neither).

Both kernel interfaces are supported:

- **v2** (unified hierarchy at ``/sys/fs/cgroup``): ``/sys/fs/cgroup/data-arena/<name>`` with
  ``memory.max`` (swap off), ``pids.max``, ``cpu.weight``, ``cpu.max``; OOM kills are read from
  ``memory.events``, the group is killed with ``cgroup.kill``;
- **v1** (one hierarchy per controller): ``/sys/fs/cgroup/<controller>/data-arena/<name>`` for
  ``memory`` (``memory.limit_in_bytes`` and ``memory.memsw.limit_in_bytes``), ``pids``
  (``pids.max``), ``cpu`` (``cpu.shares``, ``cpu.cfs_quota_us``) and, where mounted, ``freezer``
  (so that a fork bomb is frozen before it is killed).

:func:`cgroup_mode` says which one is usable here (``"none"`` without root or controllers: callers
then fall back to ``prlimit`` and say so). A process joins a group through
:meth:`Cgroup.enter_command`, a prefix that writes the shell's own pid into the group and then
``exec``s the real command, so the group holds the whole tree from its first instruction.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from arena.errors import ConfigurationError

__all__ = [
    "CGROUP_ROOT",
    "Cgroup",
    "CgroupError",
    "CgroupLimits",
    "CgroupMode",
    "cgroup_mode",
    "list_groups",
]

CgroupMode = Literal["v2", "v1", "none"]

CGROUP_ROOT = "data-arena"
"""The folder, in each hierarchy, under which every group of the platform lives."""

_MOUNT = Path("/sys/fs/cgroup")
_V1_REQUIRED = ("memory", "pids")
_V1_OPTIONAL = ("cpu", "freezer")
_V2_CONTROLLERS = ("memory", "pids", "cpu")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$")
_CFS_PERIOD_US = 100_000


class CgroupError(ConfigurationError):
    """A control group could not be made, joined, killed or removed (the message says which file)."""


@dataclass(frozen=True)
class CgroupLimits:
    """What one group may use together.

    Attributes:
        memory_bytes: Memory for all processes, page cache and tmpfs pages included (None: no cap).
        pids: Processes and threads at once (None: no cap).
        cpu_weight: Share of the CPU under contention, 1..10000, 100 being a normal share
            (v1: ``cpu.shares`` = weight × 1024 / 100). None keeps the default.
        cpu_max: Hard cap in cores (1.5 = one and a half cores), None for no cap.
    """

    memory_bytes: int | None
    pids: int | None
    cpu_weight: int | None = None
    cpu_max: float | None = None

    def __post_init__(self) -> None:
        if self.memory_bytes is not None and self.memory_bytes < 1 << 20:
            raise ValueError(f"memory_bytes {self.memory_bytes} is below 1 MiB")
        if self.pids is not None and self.pids < 1:
            raise ValueError(f"pids {self.pids} must be at least 1")
        if self.cpu_weight is not None and not 1 <= self.cpu_weight <= 10_000:
            raise ValueError(f"cpu_weight {self.cpu_weight} must be within 1..10000")
        if self.cpu_max is not None and self.cpu_max <= 0:
            raise ValueError(f"cpu_max {self.cpu_max} must be positive")


def _is_v2_root(mount: Path) -> bool:
    return (mount / "cgroup.controllers").is_file()


def cgroup_mode(mount: Path = _MOUNT) -> CgroupMode:
    """Which cgroup interface this process can use to make groups.

    Returns:
        ``"v2"`` when the unified hierarchy is mounted at ``mount`` with the memory and pids
        controllers and is writable, ``"v1"`` when the memory and pids hierarchies are mounted and
        writable, ``"none"`` otherwise (not root, or a container without its own cgroup namespace).
    """
    if _is_v2_root(mount):
        available = set((mount / "cgroup.controllers").read_text().split())
        usable = {"memory", "pids"} <= available and os.access(mount, os.W_OK)
        return "v2" if usable else "none"
    if all((mount / name / "cgroup.procs").is_file() and os.access(mount / name, os.W_OK) for name in _V1_REQUIRED):
        return "v1"
    return "none"


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as error:
        raise CgroupError(f"cannot write {value!r} to {path}: {error.strerror or error}") from None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _keyed(path: Path, key: str) -> int:
    """The value of ``key`` in a flat keyed file such as ``memory.events`` (0 when absent)."""
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
                return int(parts[1])
    return 0


def _check_name(name: str) -> str:
    if not _NAME.match(name) or ".." in name.split("/"):
        raise CgroupError(f"cgroup name {name!r} must be letters, digits, '_', '.', '-' in '/'-separated parts")
    return name


class Cgroup:
    """One control group of the platform (see the module docstring)."""

    def __init__(self, name: str, mode: CgroupMode, mount: Path = _MOUNT) -> None:
        """Refer to group ``name`` (does not create it: see :meth:`create` and :meth:`existing`).

        Args:
            name: Group name under ``data-arena`` (``"sandbox/lan"``, ``"enclave/run-42"``).
            mode: ``"v2"`` or ``"v1"``.
            mount: Where the cgroup file systems are mounted (tests may point elsewhere).
        """
        if mode == "none":
            raise CgroupError("no usable cgroup hierarchy (not root, or controllers missing): see `arena doctor`")
        self.name, self.mode, self.mount = _check_name(name), mode, mount

    # -- where the group lives -------------------------------------------------------------
    def _dirs(self) -> dict[str, Path]:
        """The group's folder per controller (v2: one folder, keyed ``"unified"``)."""
        if self.mode == "v2":
            return {"unified": self.mount / CGROUP_ROOT / self.name}
        names = _V1_REQUIRED + tuple(c for c in _V1_OPTIONAL if (self.mount / c / "cgroup.procs").is_file())
        return {controller: self.mount / controller / CGROUP_ROOT / self.name for controller in names}

    def _dir(self, controller: str) -> Path | None:
        dirs = self._dirs()
        return dirs.get("unified", dirs.get(controller))

    @property
    def exists(self) -> bool:
        """Whether the group's folders are there."""
        return any(path.is_dir() for path in self._dirs().values())

    # -- making it ----------------------------------------------------------------------------
    @classmethod
    def create(cls, name: str, limits: CgroupLimits, mode: CgroupMode | None = None, mount: Path = _MOUNT) -> Cgroup:
        """Make group ``name`` (or take it over if it is left from before) and set its limits.

        Args:
            name: Group name under ``data-arena``.
            limits: The budget of the whole group.
            mode: The interface to use; default :func:`cgroup_mode`.
            mount: Where the cgroup file systems are mounted.

        Returns:
            The group, empty and limited.

        Raises:
            CgroupError: no usable hierarchy, or a limit file refused the value (names the file).
        """
        group = cls(name, mode or cgroup_mode(mount), mount)
        if group.mode == "v2":
            group._create_v2()
        else:
            for path in group._dirs().values():
                path.mkdir(parents=True, exist_ok=True)
        group.set_limits(limits)
        return group

    @classmethod
    def existing(cls, name: str, mode: CgroupMode | None = None, mount: Path = _MOUNT) -> Cgroup:
        """Refer to a group made earlier (for instance by a hub that has since restarted)."""
        return cls(name, mode or cgroup_mode(mount), mount)

    def _create_v2(self) -> None:
        # Each level must hand the controllers down to its children through cgroup.subtree_control.
        level = self.mount
        for part in [CGROUP_ROOT, *self.name.split("/")]:
            enabled = set((level / "cgroup.subtree_control").read_text().split())
            available = set((level / "cgroup.controllers").read_text().split())
            wanted = [c for c in _V2_CONTROLLERS if c in available and c not in enabled]
            if wanted:
                _write(level / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))
            level = level / part
            level.mkdir(exist_ok=True)

    def set_limits(self, limits: CgroupLimits) -> None:
        """Write ``limits`` into the group's files (None leaves a limit unset: no cap)."""
        if self.mode == "v2":
            folder = self._dirs()["unified"]
            _write(folder / "memory.max", str(limits.memory_bytes) if limits.memory_bytes else "max")
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
            _write(folder / "pids.max", str(limits.pids) if limits.pids else "max")
            if (folder / "cpu.weight").exists():
                _write(folder / "cpu.weight", str(limits.cpu_weight or 100))
                quota = "max" if limits.cpu_max is None else str(int(limits.cpu_max * _CFS_PERIOD_US))
                _write(folder / "cpu.max", f"{quota} {_CFS_PERIOD_US}")
            return
        dirs = self._dirs()
        memory = dirs["memory"]
        unlimited = str(2**63 - 4096)  # what v1 reads back for "no limit" on 4 KiB pages
        value = str(limits.memory_bytes) if limits.memory_bytes else unlimited
        swap = memory / "memory.memsw.limit_in_bytes"
        # memsw (memory + swap) must stay >= the memory limit at every step: lift it first.
        if swap.exists():
            _write(swap, unlimited)
        _write(memory / "memory.limit_in_bytes", value)
        if swap.exists() and limits.memory_bytes:
            _write(swap, value)
        _write(dirs["pids"] / "pids.max", str(limits.pids) if limits.pids else "max")
        if "cpu" in dirs:
            _write(dirs["cpu"] / "cpu.shares", str(max(2, (limits.cpu_weight or 100) * 1024 // 100)))
            _write(dirs["cpu"] / "cpu.cfs_period_us", str(_CFS_PERIOD_US))
            quota = -1 if limits.cpu_max is None else int(limits.cpu_max * _CFS_PERIOD_US)
            _write(dirs["cpu"] / "cpu.cfs_quota_us", str(quota))

    # -- joining it ---------------------------------------------------------------------------
    def enter_command(self) -> list[str]:
        """A command prefix that moves itself into the group, then ``exec``s the command after it.

        ``[*group.enter_command(), "bwrap", …]`` runs ``bwrap`` and all it starts inside the
        group. It must run as root (the group's files are root's); it exits 125 if it cannot join.
        """
        files = " ".join(f"'{path / 'cgroup.procs'}'" for path in self._dirs().values())
        script = f'for f in {files}; do echo $$ > "$f" || exit 125; done; exec "$@"'
        return ["/bin/sh", "-c", script, "cgroup-enter"]

    def add(self, pid: int) -> None:
        """Move a running process into the group (its later children follow; earlier ones do not)."""
        for path in self._dirs().values():
            _write(path / "cgroup.procs", str(pid))

    # -- reading it ---------------------------------------------------------------------------
    def pids(self) -> list[int]:
        """The processes in the group now, in any of its hierarchies (empty when it does not exist).

        On v1 a process joins one hierarchy after the other (:meth:`enter_command` writes each
        ``cgroup.procs`` in turn), so one caught half-way is in the memory group but not yet in the
        pids group: it is listed all the same, so that :meth:`kill_all` does not miss it.
        """
        return sorted({pid for folder in self._dirs().values() for pid in _procs(folder)})

    def oom_kills(self) -> int:
        """How many processes of the group the kernel killed for want of memory since it was made."""
        folder = self._dir("memory")
        if self.mode == "v2":
            return _keyed(folder / "memory.events", "oom_kill")
        # v1 kernels since 4.13 count kills in memory.oom_control; older ones only say under_oom.
        return _keyed(folder / "memory.oom_control", "oom_kill") or _keyed(folder / "memory.oom_control", "under_oom")

    def memory_limit_hits(self) -> int:
        """How often the group's usage hit its memory limit (v1 ``failcnt``, v2 ``max`` events)."""
        folder = self._dir("memory")
        if self.mode == "v2":
            return _keyed(folder / "memory.events", "max")
        return _read_int(folder / "memory.failcnt") or 0

    def memory_peak_bytes(self) -> int | None:
        """The group's highest memory use so far, where the kernel records it."""
        folder = self._dir("memory")
        return _read_int(folder / ("memory.peak" if self.mode == "v2" else "memory.max_usage_in_bytes"))

    # -- ending it ----------------------------------------------------------------------------
    def kill_all(self, timeout: float = 10.0) -> None:
        """SIGKILL every process of the group and wait until it is empty.

        Raises:
            CgroupError: processes are still there after ``timeout`` seconds.
        """
        if not self.exists:
            return
        unified = self._dirs().get("unified")
        if unified is not None and (unified / "cgroup.kill").exists():
            _write(unified / "cgroup.kill", "1")
        freezer = self._dirs().get("freezer")
        deadline = time.monotonic() + timeout
        while self.pids():
            if freezer is not None:  # a frozen fork bomb cannot fork between our reads and kills
                with contextlib.suppress(CgroupError):
                    _write(freezer / "freezer.state", "FROZEN")
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if freezer is not None:
                with contextlib.suppress(CgroupError):
                    _write(freezer / "freezer.state", "THAWED")
            if time.monotonic() > deadline:
                raise CgroupError(f"cgroup {self.name}: processes {self.pids()[:10]} survive SIGKILL")
            time.sleep(0.02)

    def remove(self, timeout: float = 10.0) -> None:
        """Kill what is left in the group and delete its folders (nothing happens if it is gone).

        Raises:
            CgroupError: the folders cannot be removed within ``timeout`` seconds.
        """
        self.kill_all(timeout)
        deadline = time.monotonic() + timeout
        for path in self._dirs().values():
            # Children first (a group named "a" may hold "a/b" made by someone else).
            for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                self._rmdir_when_empty(child, deadline)
            self._rmdir_when_empty(path, deadline)

    def _rmdir_when_empty(self, path: Path, deadline: float) -> None:
        while True:
            try:
                path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError as error:
                # EBUSY: a process joined after kill_all (a spawn half-way through enter_command
                # when a sweep runs) or is still exiting. Kill again what is there, then retry.
                if time.monotonic() > deadline:
                    raise CgroupError(f"cannot remove {path}: {error.strerror or error}") from None
                for pid in [*self.pids(), *_procs(path)]:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.02)


def _procs(folder: Path) -> list[int]:
    try:
        return [int(line) for line in (folder / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def list_groups(prefix: str = "", mount: Path = _MOUNT) -> list[str]:
    """Names of the platform's groups under ``data-arena/<prefix>`` (one level), for sweeps.

    Args:
        prefix: A folder of groups such as ``"sandbox"`` or ``"enclave"`` ("" for the top level).
        mount: Where the cgroup file systems are mounted.

    Returns:
        Group names as :class:`Cgroup` takes them (``"sandbox/lan"``), sorted; empty when there are
        none or no usable hierarchy.
    """
    mode = cgroup_mode(mount)
    if mode == "none":
        return []
    base = mount / CGROUP_ROOT if mode == "v2" else mount / "memory" / CGROUP_ROOT
    folder = base / prefix if prefix else base
    if not folder.is_dir():
        return []
    return sorted(str(child.relative_to(base)) for child in folder.iterdir() if child.is_dir())
