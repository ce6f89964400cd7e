"""The command line that runs one single-user server inside its sandbox (pure, no side effects).

Layers, outermost first: the control group's enter prefix (:meth:`arena.cgroups.Cgroup.enter_command`:
memory with tmpfs and page cache counted, process count and CPU for the whole sandbox), ``nsenter
--net`` (the sandbox's own network namespace; unlike ``ip netns exec`` it makes no copy of the
host's mounts, so a home unmounted on the host is not kept alive by another sandbox's copy),
``setpriv`` (drop to the sandbox uid, no groups, no capabilities, no new privileges), ``bwrap``
(new user, pid, ipc and uts namespaces; a read-only file system made only of read-only system
dirs, the sandbox environment, the read-only datasets and challenges, the user's home (disk
quota), a /tmp tmpfs capped at ``sandbox_tmp_bytes`` and a /dev/shm tmpfs capped at
``sandbox_shm_bytes``: nothing else is writable) and ``prlimit`` (file size, core dumps, CPU
time; and, only when no control group can be made, per-process address space and processes).
Whatever is not bound (the hub's state, answers, reference data, the database, other homes)
does not exist inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arena.settings import Settings
from arena.system_binds import read_only_system
from hub.network import SandboxNetwork

__all__ = ["SANDBOX_HOME", "Sandbox", "limit_args", "passwd_lines", "sandbox_argv", "sandbox_env", "system_binds"]

SANDBOX_HOME = "/home/jovyan"
SANDBOX_USER = "jovyan"
_ETC_FILES = ("hosts", "localtime", "nsswitch.conf", "ssl", "ca-certificates", "mime.types")


@dataclass(frozen=True)
class Sandbox:
    """Everything that differs from one user's sandbox to the next."""

    user: str
    uid: int
    gid: int
    home: Path
    etc_dir: Path
    network: SandboxNetwork


def system_binds(root: Path = Path("/")) -> list[str]:
    """bwrap arguments for the read-only system: /usr, the top-level links, a few /etc files."""
    return read_only_system(_ETC_FILES, root)


def limit_args(settings: Settings, *, in_cgroup: bool = False) -> list[str]:
    """``prlimit`` arguments for the sandbox's per-process limits.

    Args:
        settings: platform settings (or a profile's sized copy).
        in_cgroup: the sandbox runs in a control group holding its memory and processes; without
            one, memory and processes fall back to per-process caps (an address-space cap: it counts
            neither tmpfs nor page cache, and breaks libraries that reserve much virtual memory).
    """
    args = ["prlimit"]
    if not in_cgroup:
        args += [f"--as={settings.sandbox_mem_bytes}", f"--nproc={settings.sandbox_max_processes}"]
    args += [f"--fsize={settings.sandbox_max_file_bytes}", "--core=0"]
    if settings.sandbox_cpu_seconds is not None:
        args.append(f"--cpu={settings.sandbox_cpu_seconds}")
    return [*args, "--"]


def sandbox_env(settings: Settings, sandbox: Sandbox) -> dict[str, str]:
    """Environment variables the sandbox gets on top of the hub's JUPYTERHUB_* ones."""
    env_dir = settings.sandbox_env_dir
    return {
        "HOME": SANDBOX_HOME,
        "USER": SANDBOX_USER,
        "SHELL": "/bin/bash",
        "PATH": f"{env_dir}/bin:/usr/local/bin:/usr/bin:/bin",
        "VIRTUAL_ENV": str(env_dir),
        "LANG": "C.UTF-8",
        # kernel connection files and the server's cookie secret go to the private /tmp, so that a
        # home full up to its quota never stops the server or a new kernel from starting
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "ARENA_SCORING_URL": f"http://{sandbox.network.host_ip}:{settings.scoring_port}/services/scoring",
        "ARENA_DATASETS_DIR": "/datasets",
        "ARENA_CHALLENGES_DIR": "/challenges",
    }


def sandbox_argv(
    settings: Settings, sandbox: Sandbox, command: list[str], cgroup_prefix: list[str] | None = None
) -> list[str]:
    """The full argv running ``command`` (e.g. jupyterhub-singleuser) inside ``sandbox``.

    Args:
        settings: platform settings (or a profile's sized copy).
        sandbox: whose sandbox.
        command: what runs inside.
        cgroup_prefix: the sandbox's control group's enter command; None: no group (prlimit fallback).
    """
    env_dir = str(settings.sandbox_env_dir)
    ids = str(sandbox.uid), str(sandbox.gid)
    return [
        *(cgroup_prefix or []),
        *("nsenter", f"--net={sandbox.network.netns_path}"),
        *("setpriv", f"--reuid={ids[0]}", f"--regid={ids[1]}", "--clear-groups"),
        *("--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"),
        *("bwrap", "--unshare-user", "--uid", ids[0], "--gid", ids[1]),
        *("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"),
        # no --die-with-parent: a sandbox outlives a hub restart (the new hub finds it by its pid)
        *("--new-session", "--hostname", "arena-sandbox"),
        *system_binds(),
        *("--ro-bind", str(sandbox.etc_dir / "passwd"), "/etc/passwd"),
        *("--ro-bind", str(sandbox.etc_dir / "group"), "/etc/group"),
        *("--ro-bind", env_dir, env_dir),
        *("--ro-bind", str(settings.datasets_dir), "/datasets"),
        *("--ro-bind", str(settings.challenges_dir), "/challenges"),
        *("--bind", str(sandbox.home), SANDBOX_HOME),
        *("--proc", "/proc", "--dev", "/dev", "--size", str(settings.sandbox_tmp_bytes), "--tmpfs", "/tmp"),
        *("--size", str(settings.sandbox_shm_bytes), "--tmpfs", "/dev/shm"),
        # last: the root (bwrap's own tmpfs, where the mount points were made) and /dev read-only
        *("--remount-ro", "/dev", "--remount-ro", "/"),
        *("--chdir", SANDBOX_HOME, "--setenv", "HOME", SANDBOX_HOME),
        *limit_args(settings, in_cgroup=cgroup_prefix is not None),
        *command,
    ]


def passwd_lines(sandbox: Sandbox) -> tuple[str, str]:
    """Contents of the sandbox's /etc/passwd and /etc/group (root, the sandbox user, nobody)."""
    passwd = (
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{SANDBOX_USER}:x:{sandbox.uid}:{sandbox.gid}:{sandbox.user}:{SANDBOX_HOME}:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    group = f"root:x:0:\n{SANDBOX_USER}:x:{sandbox.gid}:\nnogroup:x:65534:\n"
    return passwd, group
