"""Running the enclave's outer process: its output into a capped log, a wall clock, a kill of the whole tree."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOG_MAX_BYTES", "Finished", "run_logged"]

LOG_MAX_BYTES = 4 * 1024**2
"""Most bytes of a run's stdout+stderr kept in its log (the rest is read and dropped)."""
_HOST_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
"""The whole environment of the outer process: nothing of the launcher's (tokens, ARENA_*) is passed on."""


@dataclass(frozen=True)
class Finished:
    """How the outer process ended.

    Attributes:
        returncode: Its exit status (negative: killed by that signal), None if it timed out.
        timed_out: The wall clock ran out and the tree was killed.
        seconds: From start to the end of the outer process.
    """

    returncode: int | None
    timed_out: bool
    seconds: float


def _copy_capped(source: int, log: Path, max_bytes: int) -> None:
    kept = 0
    with open(log, "ab") as sink:
        while chunk := os.read(source, 65536):
            if kept < max_bytes:
                sink.write(chunk[: max_bytes - kept])
                sink.flush()
            elif kept < max_bytes + 1:
                sink.write(f"\n[log cut at {max_bytes} bytes]\n".encode())
            kept += len(chunk)
    os.close(source)


def run_logged(
    argv: list[str],
    *,
    log: Path,
    wall_seconds: float,
    kill_tree: Callable[[], None],
    pass_fds: tuple[int, ...] = (),
    max_log_bytes: int = LOG_MAX_BYTES,
) -> Finished:
    """Run ``argv`` with stdout and stderr into ``log`` (capped), killing its whole tree after ``wall_seconds``.

    Args:
        argv: The command (its environment is :data:`_HOST_ENV`, nothing inherited).
        log: The log file (appended to).
        wall_seconds: Wall-clock budget.
        kill_tree: Kills every process of the run (the cgroup's kill, or the fallback's).
        pass_fds: Descriptors the command inherits.
        max_log_bytes: Most bytes kept in the log.
    """
    reader, writer = os.pipe()
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=writer, stderr=writer, env=_HOST_ENV, pass_fds=pass_fds,
            start_new_session=True,
        )
    except BaseException:
        os.close(reader)
        raise
    finally:
        os.close(writer)
    copier = threading.Thread(target=_copy_capped, args=(reader, log, max_log_bytes), daemon=True)
    copier.start()
    timed_out = False
    try:
        process.wait(timeout=wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_tree()
        process.send_signal(signal.SIGKILL)
        process.wait()
    except BaseException:  # the launcher itself is stopped: take the run down with it
        kill_tree()
        process.kill()
        process.wait()
        raise
    seconds = time.monotonic() - started
    copier.join(timeout=5)
    return Finished(None if timed_out else process.returncode, timed_out, seconds)
