"""Code submissions from the sandbox: the smoke test on the synthetic test replica, and ``submit_code``.

A code submission is a folder holding ``main.py`` that defines
``predict(features: pandas.DataFrame) -> pandas.DataFrame`` (the id and target columns, one row
per input row), plus any file beside it (a model). :func:`smoke_test` runs the very harness the
platform's enclave runs, here in the sandbox on the published synthetic replica of the test
features, and prints its full log. :func:`submit_code` packs the folder and uploads it; the
platform then runs it offline on the real test features, and only the state, a fixed outcome,
the rounded scores and a coarse run time come back.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import arena_client

__all__ = ["pack_code", "smoke_test", "submit_code"]

_SKIPPED = ("__pycache__", ".ipynb_checkpoints", ".git")
_DEFAULT_WALL_SECONDS = 600
_TIMEOUT_GRACE_SECONDS = 5


def _code_folder(code_dir: str | os.PathLike) -> Path:
    folder = Path(code_dir).expanduser().resolve()
    if not (folder / "main.py").is_file():
        raise arena_client.ArenaClientError(
            f"{folder} has no main.py: put main.py (defining predict(features) -> DataFrame) at the top of the folder"
        )
    return folder


def pack_code(code_dir: str | os.PathLike = ".") -> bytes:
    """The folder as a ``.tar.gz`` (``main.py`` at its top; caches, checkpoints and hidden files left out).

    Raises:
        ArenaClientError: the folder has no ``main.py``.
    """
    folder = _code_folder(code_dir)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if any(part in _SKIPPED or part.startswith(".") for part in relative.parts):
                continue
            if path.is_file() and not path.is_symlink():
                archive.add(path, arcname=str(relative), recursive=False)
    return buffer.getvalue()


def _public_spec(challenge: str) -> dict[str, Any]:
    path = Path(os.environ.get("ARENA_CHALLENGES_DIR", "/challenges")) / challenge / "challenge.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise arena_client.ArenaClientError(f"challenge {challenge!r} is not published here ({path} is missing)") from None
    except ValueError as error:
        raise arena_client.ArenaClientError(f"{path} is not readable: {error}") from None


def _replica_file(spec: dict[str, Any]) -> Path:
    name = spec.get("test_replica")
    if not name:
        raise arena_client.ArenaClientError(
            f"challenge {spec.get('slug')!r} is not a code challenge: submit predictions with submit(...)"
        )
    dataset, version = arena_client._resolve(name)  # noqa: SLF001 - same package
    return arena_client._datasets_dir() / dataset / version / f"{dataset}.parquet"  # noqa: SLF001


def smoke_test(code_dir: str | os.PathLike = ".", challenge: str = "", timeout: float | None = None) -> dict[str, Any]:
    """Run the enclave's harness on the synthetic test replica, here, and print its full log and outcome.

    Nothing is sent to the platform. The harness is the same one the enclave runs on the real
    features (the only difference: here it does not insist that the network is down).

    Args:
        code_dir: The folder holding ``main.py`` (and the model file beside it).
        challenge: The code challenge's slug.
        timeout: Seconds before the run is stopped (default: the challenge's ``code.wall_seconds``).

    Returns:
        ``{"outcome", "rule", "rows", "seconds", "log", "predictions"}``; ``predictions`` is the
        DataFrame the harness wrote (None unless the outcome is ``ok``).

    Raises:
        ArenaClientError: no ``main.py``, unknown or non-code challenge, replica missing.
    """
    folder = _code_folder(code_dir)
    spec = _public_spec(challenge)
    features = _replica_file(spec)
    limit = timeout or (spec.get("code") or {}).get("wall_seconds") or _DEFAULT_WALL_SECONDS
    with tempfile.TemporaryDirectory(prefix="arena-smoke-") as scratch:
        out, status_path = Path(scratch) / "predictions.csv", Path(scratch) / "status.json"
        command = [
            sys.executable, "-m", "arena_client.harness", "--code", str(folder), "--features", str(features),
            "--out", str(out), "--id-column", spec["id_column"], "--target-column", spec["target_column"],
            "--status", str(status_path), "--smoke-test",
        ]  # fmt: skip
        started = time.monotonic()
        try:
            finished = subprocess.run(
                command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=limit, check=False
            )
            log = finished.stdout.decode("utf-8", "replace")
            status = json.loads(status_path.read_text()) if status_path.is_file() else {}
        except subprocess.TimeoutExpired as expired:
            log = (expired.stdout or b"").decode("utf-8", "replace")
            status = {"outcome": "timeout", "rule": f"no result within {limit} s (code.wall_seconds)"}
        import pandas as pd

        result = {
            "outcome": status.get("outcome", "platform_error"),
            "rule": status.get("rule", "" if status else "the harness wrote no status (see the log)"),
            "rows": status.get("rows", 0),
            "seconds": status.get("seconds", round(time.monotonic() - started, 3)),
            "log": log,
            "predictions": pd.read_csv(out) if status.get("outcome") == "ok" and out.is_file() else None,
        }
    print(f"--- smoke test of {folder} on {features.parent.parent.name}@{features.parent.name} (synthetic) ---")
    print(log.rstrip() or "(the run printed nothing)")
    detail = f": {result['rule']}" if result["rule"] else f", {result['rows']} rows"
    print(f"--- outcome: {result['outcome']}{detail} in {result['seconds']} s ---")
    return SmokeTestResult(result)


class SmokeTestResult(dict):
    """What :func:`smoke_test` returns (a dict: outcome, rule, rows, seconds, log, predictions), shown as one line."""

    def __repr__(self) -> str:
        return f"<smoke test: {self.get('outcome')}, {self.get('rows')} rows in {self.get('seconds')} s>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _line(submission: dict[str, Any]) -> str:
    """One line about a code submission, from what the platform returns (nothing of the run itself)."""
    head = f"submission {submission.get('id')} (code)"
    state, bucket = submission.get("state"), submission.get("run_time")
    run_time = f", run time {bucket}" if bucket else ""
    if state == "scored":
        scores = "; ".join(
            f"{split} " + ", ".join(f"{metric}={value}" for metric, value in values.items())
            for split, values in (submission.get("scores") or {}).items()
        )
        return f"{head} scored{run_time}: {scores}"
    if state == "failed":
        return f"{head} failed: {submission.get('outcome')} ({submission.get('error')}){run_time}"
    return f"{head} is {state}"


def submit_code(
    code_dir: str | os.PathLike = ".",
    challenge: str = "",
    description: str | None = None,
    wait: bool = True,
    timeout: float = 1800,
) -> dict[str, Any]:
    """Pack a code folder, upload it to a code challenge and (by default) wait for the outcome.

    Args:
        code_dir: The folder holding ``main.py`` (and the model file beside it).
        challenge: The code challenge's slug.
        description: An optional note stored with the submission.
        wait: Poll until the submission is scored or failed, then print one line.
        timeout: Seconds to wait before returning the still-pending submission.

    Returns:
        The submission as the platform returns it: ``id``, ``state``, ``outcome``, ``run_time``,
        ``scores`` (rounded; private ones once the challenge closes), ``error`` (the outcome's fixed text).

    Raises:
        ArenaClientError: no ``main.py``, or the platform refused the upload (quota, size, not a code challenge).
    """
    content = pack_code(code_dir)
    data = {"description": description} if description else {}
    path = f"/api/challenges/{challenge}/submissions"
    submission = arena_client._request("POST", path, files={"file": ("code.tar.gz", content)}, data=data)  # noqa: SLF001
    deadline = time.monotonic() + timeout
    while wait and submission.get("state") not in arena_client.FINAL_STATES and time.monotonic() < deadline:
        time.sleep(1.0)
        submission = arena_client._request("GET", f"{path}/{submission['id']}")  # noqa: SLF001
    print(_line(submission))
    return arena_client.Submission(submission)
