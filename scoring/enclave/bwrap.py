"""The command line of one enclave run under bubblewrap (pure: builds the argv, runs nothing).

Layers, outermost first: the cgroup's enter prefix (the whole tree in one memory/pids/CPU
budget; ``prlimit`` only when the host has no usable cgroups), ``setpriv`` (drop to the slot's
uid: no groups, no capabilities, no new privileges), ``bwrap`` (every namespace new: an empty
network namespace with only ``lo``, no way back to the host's; own pid, ipc, uts, cgroup and user
namespaces; no nested user namespaces; a read-only root made of ``/usr``, the top-level links, two
``/etc`` files and the sandbox environment; the code folder read-only as the current directory,
the features file read-only, the output folder (a tmpfs of ``output_mb``, mounted by the
launcher) and a scratch tmpfs of ``scratch_mb`` as ``$HOME`` = ``$TMPDIR`` = ``/tmp``; its own
``/proc`` and a minimal ``/dev``; an environment of five variables, nothing inherited).

Whatever is not bound does not exist inside: the answers, other challenges' features, the
datasets store, homes, the platform's data dir, the database, the host's ``/etc``.
"""

from __future__ import annotations

import math
from pathlib import Path

from arena.system_binds import read_only_system
from scoring.enclave.outcome import CodeLimits
from scoring.enclave.stage import PREDICTIONS_NAME, Stage

__all__ = [
    "CODE_DIR",
    "FEATURES_FILE",
    "OUTPUT_DIR",
    "SCRATCH_DIR",
    "bwrap_argv",
    "enclave_env",
    "harness_args",
    "prlimit_args",
]

CODE_DIR = "/code"
FEATURES_FILE = "/input/features.parquet"
OUTPUT_DIR = "/output"
SCRATCH_DIR = "/tmp"
_ETC_FILES = ("ld.so.cache", "localtime")
"""All of the host's /etc the enclave sees: the loader's cache (faster starts) and the time zone."""


def enclave_env(python: Path, limits: CodeLimits) -> dict[str, str]:
    """The whole environment inside the enclave (no token, no ARENA_* variable, nothing of the host)."""
    threads = str(max(1, math.floor(limits.cpus)))
    return {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": SCRATCH_DIR,
        "TMPDIR": SCRATCH_DIR,
        "LANG": "C.UTF-8",
        "USER": "enclave",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }


def harness_args(python: Path, id_column: str, target_column: str) -> list[str]:
    """``python -m arena_client.harness`` with the enclave's fixed paths."""
    return [
        *(str(python), "-I", "-m", "arena_client.harness"),
        *("--code", CODE_DIR, "--features", FEATURES_FILE, "--out", f"{OUTPUT_DIR}/{PREDICTIONS_NAME}"),
        *("--id-column", id_column, "--target-column", target_column),
    ]


def prlimit_args(limits: CodeLimits) -> list[str]:
    """Per-process limits, the fallback when the host has no usable cgroups (weaker: see the README)."""
    return [
        "prlimit",
        f"--as={limits.memory_mb * 1024**2}",
        f"--nproc={limits.pids}",
        f"--fsize={max(limits.output_mb, limits.scratch_mb) * 1024**2}",
        "--core=0",
        "--",
    ]


def bwrap_argv(
    *,
    uid: int,
    python: Path,
    env_dir: Path,
    limits: CodeLimits,
    stage: Stage,
    status_fd: int,
    id_column: str,
    target_column: str,
    prefix: list[str],
    root: Path = Path("/"),
) -> list[str]:
    """The full argv of one run.

    Args:
        uid: The slot's uid (also its gid).
        python: The interpreter (inside ``env_dir``, or the system's).
        env_dir: The sandbox environment (bound read-only at the same path).
        limits: The run's limits (scratch size here; the rest through ``prefix``).
        stage: The staged code, features and output on the host.
        status_fd: Where bwrap writes its JSON status lines (``child-pid``, ``exit-code``).
        id_column: Name of the id column.
        target_column: Name of the target column.
        prefix: What goes before ``setpriv``: the cgroup's enter command, or nothing.
        root: The host's root (tests may point elsewhere).
    """
    ids = str(uid)
    scratch = str(limits.scratch_mb * 1024**2)
    env = enclave_env(python, limits)
    return [
        *prefix,
        *("setpriv", f"--reuid={ids}", f"--regid={ids}", "--clear-groups"),
        *("--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"),
        *("bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--uid", ids, "--gid", ids),
        *("--die-with-parent", "--new-session", "--hostname", "enclave", "--cap-drop", "ALL"),
        *("--json-status-fd", str(status_fd), "--clearenv"),
        *[arg for key, value in env.items() for arg in ("--setenv", key, value)],
        *read_only_system(_ETC_FILES, root),
        *("--ro-bind", str(env_dir), str(env_dir)),
        *("--proc", "/proc", "--dev", "/dev"),
        *("--size", scratch, "--tmpfs", SCRATCH_DIR, "--size", scratch, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"),
        *("--ro-bind", str(stage.code), CODE_DIR),
        *("--ro-bind", str(stage.features), FEATURES_FILE),
        *("--bind", str(stage.output), OUTPUT_DIR),
        *("--remount-ro", "/", "--chdir", CODE_DIR),
        *(prlimit_args(limits) if not prefix else []),
        *harness_args(python, id_column, target_column),
    ]
