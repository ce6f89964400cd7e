"""``run_code``: one run of a competitor's ``predict`` on the real test features, in the enclave.

The launcher (root, on the scoring side) claims a slot (its own uid, a file lock), stages the
run (code and features copied under ``enclave_stage_dir``, an output tmpfs; all removed after the
run), starts the runner chosen by ``settings.enclave_runner`` and turns how it ended into one
:class:`RunOutcome` — from its own wall clock, the cgroup's OOM counter and the harness's exit code,
never from anything the code prints or writes. The run folder after a run::

    run_dir/predictions.csv   the harness's CSV, kept only when the outcome is ok
    run_dir/run.log           stdout+stderr of the run (capped): organisers only
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from pathlib import Path

from arena.cgroups import Cgroup, CgroupError, CgroupLimits, cgroup_mode, list_groups
from arena.settings import Settings
from scoring.enclave.bwrap import bwrap_argv
from scoring.enclave.docker_runner import run_docker
from scoring.enclave.outcome import HARNESS_OUTCOMES, CodeLimits, EnclaveRun, RunOutcome
from scoring.enclave.process import Finished, run_logged
from scoring.enclave.stage import (
    Stage,
    claimed_slot,
    kill_uid,
    make_output,
    slot_uid,
    stage_run,
    sweep_slot,
    take_predictions,
    unmount_output,
)
from scoring.errors import EnclaveError

__all__ = ["classify", "run_code"]

log = logging.getLogger(__name__)

_SIGKILL_EXIT = 128 + 9


def _read_status(reader: int) -> dict[str, int]:
    """bwrap's JSON status lines (``child-pid`` once the sandbox runs, ``exit-code`` once it ended)."""
    text = b""
    with contextlib.suppress(OSError):
        os.set_blocking(reader, False)
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(reader, 65536):
                text += chunk
    status: dict[str, int] = {}
    for line in text.decode(errors="replace").splitlines():
        with contextlib.suppress(ValueError, AttributeError):
            status.update({key: value for key, value in json.loads(line).items() if isinstance(value, int)})
    return status


def _sweep(settings: Settings, uid: int) -> None:
    """Before a run of ``uid``: kill its processes, remove its cgroups and stage folders left by a killed launcher."""
    kill_uid(uid)
    if cgroup_mode() != "none":
        for name in list_groups("enclave"):
            if name.startswith(f"enclave/run-{uid}-"):
                Cgroup.existing(name).remove()
    removed = sweep_slot(settings, uid)
    if removed:
        log.warning("Removed what killed enclave runs left for uid %i: %s", uid, ", ".join(removed))


def classify(finished: Finished, *, started: bool, oom_kills: int, memory_hits: int) -> RunOutcome:
    """The outcome of a run, from the launcher's own observations and the harness's exit code only.

    Args:
        finished: How the outer process ended (timed out, exit status).
        started: Whether bwrap reported the harness started (its status pipe said ``child-pid``).
        oom_kills: How many processes the cgroup's OOM killer took.
        memory_hits: How often the cgroup's memory hit its limit.
    """
    if finished.timed_out:
        return RunOutcome.timeout
    code = finished.returncode
    if code == 0:
        return RunOutcome.ok
    if oom_kills or (code in (_SIGKILL_EXIT, -9) and memory_hits):
        return RunOutcome.out_of_memory
    if code in HARNESS_OUTCOMES and started:
        return HARNESS_OUTCOMES[code]
    if started and code is not None and 128 < code < 160:
        return RunOutcome.error  # the harness died of a signal: the code crashed it (or killed itself)
    return RunOutcome.platform_error


def _run_bwrap(
    settings: Settings, uid: int, limits: CodeLimits, stage: Stage, id_column: str, target_column: str, log_path: Path
) -> tuple[Finished, bool, int, int]:
    """Start the bwrap enclave; return how it ended, whether the harness started, OOM kills, memory hits."""
    mode = cgroup_mode()
    group: Cgroup | None = None
    if mode == "none":
        log.warning("No usable cgroups: the enclave falls back to per-process prlimit limits (weaker)")
    else:
        limits_cg = CgroupLimits(
            memory_bytes=limits.memory_mb * 1024**2, pids=limits.pids, cpu_max=limits.cpus
        )
        group = Cgroup.create(f"enclave/{stage.code.parent.name}", limits_cg, mode=mode)
    status_read, status_write = os.pipe()
    try:
        argv = bwrap_argv(
            uid=uid,
            python=settings.enclave_interpreter,
            env_dir=settings.sandbox_env_dir,
            limits=limits,
            stage=stage,
            status_fd=status_write,
            id_column=id_column,
            target_column=target_column,
            prefix=group.enter_command() if group is not None else [],
        )

        def kill_tree() -> None:
            if group is not None:
                group.kill_all()
            kill_uid(uid)

        finished = run_logged(
            argv, log=log_path, wall_seconds=limits.wall_seconds, kill_tree=kill_tree, pass_fds=(status_write,)
        )
        os.close(status_write)
        status_write = -1
        status = _read_status(status_read)
        oom = group.oom_kills() if group is not None else 0
        hits = group.memory_limit_hits() if group is not None else 0
        return finished, "child-pid" in status, oom, hits
    finally:
        for fd in (status_read, status_write):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if group is not None:
            group.remove()
        kill_uid(uid)


def run_code(
    settings: Settings,
    *,
    code_dir: Path,
    features: Path,
    id_column: str,
    target_column: str,
    limits: CodeLimits,
    run_dir: Path,
    slot: int | None = None,
) -> EnclaveRun:
    """Run the code in ``code_dir`` on ``features`` in the enclave and say how it went.

    Never raises for anything the competitor's code does: that is an outcome. The features copy and
    the output tmpfs are gone when this returns, whatever happened.

    Args:
        settings: Platform settings (``enclave_runner``, ``enclave_slots``, ``enclave_uid_base``,
            ``enclave_python``, ``sandbox_env_dir``, ``enclave_image``).
        code_dir: The competitor's folder (``main.py`` and what sits beside it).
        features: The real test features (parquet) of this one challenge.
        id_column: Name of the id column.
        target_column: Name of the target column.
        limits: The run's limits.
        run_dir: A fresh folder of the caller's (made if missing, must be empty).
        slot: Enclave slot to use (default: the first free one of ``enclave_slots``, waiting if none is).

    Returns:
        The run: outcome, predictions CSV (ok only), wall seconds, log path (organisers only).

    Raises:
        EnclaveError: the platform cannot run the enclave at all (not root, run folder not empty,
            a mount or cgroup refused); the message names the step.
    """
    docker = settings.enclave_runner == "docker"
    if not docker and os.geteuid() != 0:
        raise EnclaveError("the bwrap enclave must be started as root (to drop to its uid and make its cgroup)")
    run_dir.mkdir(parents=True, exist_ok=True)
    if any(run_dir.iterdir()):
        raise EnclaveError(f"run folder {run_dir} is not empty")
    log_path = run_dir / "run.log"
    log_path.touch(mode=0o600)
    with claimed_slot(settings, slot) as claimed:
        uid = slot_uid(settings, claimed)
        if not docker:
            _sweep(settings, uid)
        stage = stage_run(settings, code_dir, features, uid)
        try:
            mounted = make_output(stage.output, uid, limits)
            try:
                if docker:
                    name = f"arena-enclave-{stage.code.parent.name}"
                    ended = run_docker(settings, uid=uid, limits=limits, stage=stage, id_column=id_column,
                                       target_column=target_column, log_path=log_path, name=name)
                else:
                    ended = _run_bwrap(settings, uid, limits, stage, id_column, target_column, log_path)
                finished, started, oom, hits = ended
                outcome = classify(finished, started=started, oom_kills=oom, memory_hits=hits)
                predictions = take_predictions(stage.output, run_dir, limits) if outcome is RunOutcome.ok else None
                if outcome is RunOutcome.ok and predictions is None:
                    outcome = RunOutcome.invalid_output  # the harness said ok but no CSV within the cap is there
            finally:
                if mounted:
                    unmount_output(stage.output)
        except CgroupError as error:
            raise EnclaveError(f"cannot set up the enclave's cgroup: {error}") from None
        finally:
            shutil.rmtree(stage.code.parent, ignore_errors=True)
    with open(log_path, "a") as handle:
        handle.write(f"[enclave: {outcome.value} after {finished.seconds:.2f} s, exit {finished.returncode}]\n")
    return EnclaveRun(outcome, predictions, round(finished.seconds, 3), log_path)
