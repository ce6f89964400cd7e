"""Staging one run on the host: a slot (its uid), copies of code and features, the output tmpfs, the result.

Every run gets a folder ``enclave_stage_dir/run-<uid>-<random>`` (0711): ``code/`` (a root-owned copy,
0755/0644, symbolic links dropped), ``input/features.parquet`` (the slot uid's, 0400), ``output/``
(a tmpfs of ``output_mb`` owned by the slot uid, or a plain folder the Docker runner copies the
container's output into). The launcher deletes it after the run; only the predictions CSV (a
regular file, the output within its cap) is copied out to the caller's run folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from arena.settings import Settings
from scoring.enclave.outcome import CodeLimits
from scoring.errors import EnclaveError

__all__ = [
    "PREDICTIONS_NAME",
    "Stage",
    "claimed_slot",
    "enclave_processes",
    "kill_uid",
    "make_output",
    "slot_uid",
    "stage_run",
    "sweep_slot",
    "take_predictions",
    "unmount_output",
]

PREDICTIONS_NAME = "predictions.csv"


@dataclass(frozen=True)
class Stage:
    """Where one run is staged on the host (a folder the enclave uid can reach; see ``enclave_stage_dir``).

    Attributes:
        code: The code copy (root's, read-only to everyone).
        features: The features copy (the slot uid's, 0400).
        output: The output tmpfs (the slot uid's, 0700, ``output_mb``).
    """

    code: Path
    features: Path
    output: Path


def slot_uid(settings: Settings, slot: int) -> int:
    """The uid of enclave slot ``slot`` (``enclave_uid_base + slot``)."""
    return settings.enclave_uid_base + slot


@contextlib.contextmanager
def claimed_slot(settings: Settings, slot: int | None) -> Iterator[int]:
    """Hold slot ``slot`` (or the first free one, waiting for one) for the duration of a run.

    The lock is per uid, in ``enclave_stage_dir`` (one per host): two workers, or two deployments
    on one host, never run as the same uid at once (each run kills what its uid left behind).
    """
    folder = settings.enclave_stage_dir
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o711)
    candidates = [slot] if slot is not None else list(range(settings.enclave_slots))
    while True:
        for candidate in candidates:
            handle = open(folder / f"uid-{slot_uid(settings, candidate)}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if slot is not None else fcntl.LOCK_NB))
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield candidate
            finally:
                handle.close()
            return
        time.sleep(0.2)


def enclave_processes(uid: int) -> list[int]:
    """Pids of every live process of ``uid`` (from /proc; an enclave uid owns nothing else).

    Zombies are left out: they hold nothing but their pid, and an orphaned one waits for the host's
    init to reap it.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if entry.stat().st_uid == uid and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(entry.name))
    return found


def kill_uid(uid: int, timeout: float = 10.0) -> None:
    """SIGKILL every process of ``uid`` until none is left (the fallback's kill, and a sweep before a run).

    Raises:
        EnclaveError: processes of ``uid`` survive ``timeout`` seconds of SIGKILL.
    """
    deadline = time.monotonic() + timeout
    while pids := enclave_processes(uid):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        if time.monotonic() > deadline:
            raise EnclaveError(f"processes {pids[:10]} of enclave uid {uid} survive SIGKILL")
        time.sleep(0.02)


def stage_run(settings: Settings, code_dir: Path, features: Path, uid: int) -> Stage:
    """Copy code and features into a new folder under ``enclave_stage_dir`` that the slot uid can reach.

    As root (bwrap, or Docker run by root) the features copy is the slot uid's, mode 0400, in folders
    others may only pass through. Not as root (a Docker runner in the docker group) the run folder is
    the launcher's alone (0700) and the copy 0444: the container reads it through its bind mount.
    """
    root = os.geteuid() == 0
    settings.enclave_stage_dir.mkdir(parents=True, exist_ok=True)
    folder = settings.enclave_stage_dir / f"run-{uid}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(mode=0o711 if root else 0o700)
    stage = Stage(code=folder / "code", features=folder / "input" / "features.parquet", output=folder / "output")
    shutil.copytree(code_dir, stage.code, symlinks=True)
    for path in [stage.code, *stage.code.rglob("*")]:
        if path.is_symlink():
            path.unlink()  # unpack_code makes none; a caller's folder may hold one pointing outside
        else:
            if root:
                os.chown(path, 0, 0)
            path.chmod(0o755 if path.is_dir() else 0o644)
    stage.features.parent.mkdir(mode=0o711)
    shutil.copyfile(features, stage.features)
    if root:
        os.chown(stage.features, uid, uid)
    stage.features.chmod(0o400 if root else 0o444)
    return stage


def sweep_slot(settings: Settings, uid: int) -> list[str]:
    """Remove what a launcher killed mid-run left for slot uid ``uid``: its stage folders (output unmounted).

    Call it holding the slot (:func:`claimed_slot`): no other run of ``uid`` can be using them.

    Returns:
        The names of the folders removed.
    """
    removed = []
    for folder in sorted(settings.enclave_stage_dir.glob(f"run-{uid}-*")):
        if os.path.ismount(folder / "output"):
            unmount_output(folder / "output")
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


def make_output(output: Path, uid: int, limits: CodeLimits) -> bool:
    """Make the output folder: a tmpfs of ``output_mb`` owned by ``uid`` (as root), else a plain folder.

    Returns:
        Whether a tmpfs was mounted (then :func:`unmount_output` must follow).

    Raises:
        EnclaveError: the mount was refused (the message is mount's).
    """
    output.mkdir(mode=0o700)
    if os.geteuid() != 0:  # the Docker runner in the docker group: capped per file, checked after
        output.chmod(0o777)
        return False
    options = f"size={limits.output_mb * 1024**2},mode=0700,uid={uid},gid={uid},nosuid,nodev,noexec"
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "enclave-output", str(output)], capture_output=True)
    if result.returncode != 0:
        raise EnclaveError(f"cannot mount the output tmpfs on {output}: {result.stderr.decode().strip()}")
    return True


def unmount_output(output: Path) -> None:
    if subprocess.run(["umount", str(output)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(output)], capture_output=True)


def _tree_bytes(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*"))


def take_predictions(output: Path, run_dir: Path, limits: CodeLimits) -> Path | None:
    """Copy the predictions CSV out of the output folder (only a regular file; the folder within its cap)."""
    candidate = output / PREDICTIONS_NAME
    if _tree_bytes(output) > limits.output_mb * 1024**2 or candidate.is_symlink() or not candidate.is_file():
        return None
    target = run_dir / PREDICTIONS_NAME
    with open(candidate, "rb", opener=lambda path, flags: os.open(path, flags | os.O_NOFOLLOW)) as source:
        with open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
    target.chmod(0o600)
    return target
