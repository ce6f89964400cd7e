"""The production runner: one ``docker run`` of the sandbox image per run (``enclave_runner = "docker"``).

The container gets the same harness, limits and layout as the bwrap enclave: no network at all
(``--network none``: only ``lo``), no capabilities, no new privileges, a read-only root file
system, the slot's uid, memory (= memory + swap: no swap), pids and CPU limits, a scratch tmpfs of
``scratch_mb`` as ``$HOME`` = ``$TMPDIR`` (and ``/dev/shm`` of the same size), the staged code and
features bound read-only, and the staged output folder bound writable (a tmpfs of ``output_mb``
mounted by the launcher when it runs as root; else capped per file by ``--ulimit fsize`` and checked
after the run). ``--log-driver none``: what the code prints reaches the run's
log through the attached stream only and is never kept by Docker. The container is removed after.

The stage folder (``enclave_stage_dir``) is bound by path: the Docker engine must see it at the
same path as the launcher (in Compose, bind the host's folder at the same path in the worker).
(The module is not called ``docker.py``: it would shadow docker-py for scripts run from here.)
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

from arena.settings import Settings
from scoring.enclave.bwrap import CODE_DIR, FEATURES_FILE, OUTPUT_DIR, SCRATCH_DIR, enclave_env, harness_args
from scoring.enclave.outcome import CodeLimits
from scoring.enclave.process import Finished, run_logged
from scoring.enclave.stage import Stage

__all__ = ["CONTAINER_PYTHON", "docker_argv", "run_docker"]

CONTAINER_PYTHON = Path("/usr/local/bin/python")
"""The sandbox image's Python (``sandboxes/Dockerfile`` installs the packages and the client into it)."""


def docker_argv(
    settings: Settings, *, name: str, uid: int, limits: CodeLimits, stage: Stage, id_column: str, target_column: str
) -> list[str]:
    """The ``docker run`` command of one run (pure).

    Args:
        settings: Platform settings (``enclave_image``).
        name: The container's name (to kill, inspect and copy from it).
        uid: The slot's uid (also the gid).
        limits: The run's limits.
        stage: The staged code and features (host paths, bound read-only).
        id_column: Name of the id column.
        target_column: Name of the target column.
    """
    scratch = f"{limits.scratch_mb}m"
    env = enclave_env(CONTAINER_PYTHON, limits)
    return [
        *("docker", "run", "--name", name, "--pull", "never", "--log-driver", "none"),
        *("--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"),
        *("--read-only", "--user", f"{uid}:{uid}", "--hostname", "enclave", "--ipc", "private"),
        *("--memory", f"{limits.memory_mb}m", "--memory-swap", f"{limits.memory_mb}m"),
        *("--pids-limit", str(limits.pids), "--cpus", f"{limits.cpus:g}", "--ulimit", "core=0"),
        *("--ulimit", f"fsize={max(limits.output_mb, limits.scratch_mb) * 1024**2}"),
        *("--tmpfs", f"{SCRATCH_DIR}:rw,nosuid,nodev,size={scratch}", "--shm-size", scratch),
        *("--mount", f"type=bind,source={stage.code},target={CODE_DIR},readonly"),
        *("--mount", f"type=bind,source={stage.features},target={FEATURES_FILE},readonly"),
        *("--mount", f"type=bind,source={stage.output},target={OUTPUT_DIR}"),
        *[arg for key, value in env.items() for arg in ("--env", f"{key}={value}")],
        *("--workdir", CODE_DIR, "--entrypoint", str(CONTAINER_PYTHON)),
        settings.enclave_image,
        *harness_args(CONTAINER_PYTHON, id_column, target_column)[1:],
    ]


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True)


def run_docker(
    settings: Settings, *, uid: int, limits: CodeLimits, stage: Stage, id_column: str, target_column: str, log_path: Path,
    name: str,
) -> tuple[Finished, bool, int, int]:
    """Run the container; return how it ended, whether it started, OOM kills (0/1) and 0 memory hits."""
    argv = docker_argv(
        settings, name=name, uid=uid, limits=limits, stage=stage, id_column=id_column, target_column=target_column
    )
    try:

        def kill_container() -> None:
            _docker("kill", name)

        finished = run_logged(argv, log=log_path, wall_seconds=limits.wall_seconds, kill_tree=kill_container)
        state = _docker("inspect", "--format", "{{.State.OOMKilled}} {{.State.StartedAt}}", name).stdout.split()
        oom = int(bool(state) and state[0] == "true")
        started = len(state) == 2 and not state[1].startswith("0001-")
        return finished, started, oom, 0
    finally:
        with contextlib.suppress(OSError):
            _docker("rm", "--force", "--volumes", name)
