"""Sandbox-side client of the data arena.

Runs inside a competitor's notebook sandbox. It imports nothing of the platform: only
the standard library, pandas, pyarrow and httpx, and reads the environment variables the
hub's spawner sets:

- ``ARENA_DATASETS_DIR`` (default ``/datasets``): the read-only synthetic datasets store;
- ``ARENA_CHALLENGES_DIR`` (default ``/challenges``): published challenge descriptions;
- ``ARENA_SCORING_URL``: base URL of the scoring service (``.../services/scoring``);
- ``JUPYTERHUB_API_TOKEN``: this server's hub token, sent as ``Authorization: token ...``.

Typical use::

    from arena_client import datasets, load, challenges, submit
    people = load("people")            # latest version, table "people"
    submit(predictions_df, "income-band")

A code challenge takes code instead of predictions (see :mod:`arena_client.code`)::

    smoke_test("~/my-code", challenge="income-band")   # the enclave's harness, here, on synthetic data
    submit_code("~/my-code", challenge="income-band")  # run offline on the real test features
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

__all__ = [
    "ArenaClientError",
    "Submission",
    "challenges",
    "datasets",
    "load",
    "pack_code",
    "smoke_test",
    "submissions",
    "submit",
    "submit_code",
]

FINAL_STATES = ("scored", "failed")
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)
"""Seconds between the attempts of a request refused before anything was stored (about 15 s in all)."""


class ArenaClientError(Exception):
    """A dataset, challenge or submission request failed; the message says why."""


# --------------------------------------------------------------------------- datasets


def _datasets_dir() -> Path:
    return Path(os.environ.get("ARENA_DATASETS_DIR", "/datasets"))


def datasets() -> list[dict[str, Any]]:
    """Every published dataset version, as listed in the store's ``index.json``.

    Returns:
        A list of ``{"name", "version", "tables", "rows", "checksum", "published_at"}`` dicts.
    """
    index = _datasets_dir() / "index.json"
    try:
        return list(json.loads(index.read_text())["datasets"])
    except FileNotFoundError:
        raise ArenaClientError(f"no datasets published yet: {index} does not exist") from None
    except (ValueError, KeyError) as error:
        raise ArenaClientError(f"dataset index {index} is not readable: {error}") from None


def _resolve(name_or_ref: str) -> tuple[str, str]:
    name, _, version = name_or_ref.partition("@")
    root = _datasets_dir()
    folder = root / name
    if not folder.is_dir():
        known = sorted(path.name for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
        raise ArenaClientError(f"dataset {name!r} not found in {root}; available: {', '.join(known) or 'none'}")
    if not version:
        latest = folder / "latest"
        if not latest.is_file():
            raise ArenaClientError(f"dataset {name!r} has no 'latest' marker ({latest})")
        version = latest.read_text().strip()
    if not (folder / version).is_dir():
        versions = sorted(p.name for p in folder.iterdir() if p.is_dir())
        raise ArenaClientError(f"dataset {name}@{version} not found; versions: {', '.join(versions) or 'none'}")
    return name, version


def load(name_or_ref: str, table: str | None = None, polars: bool = False) -> Any:
    """Load one table of a published synthetic dataset.

    Args:
        name_or_ref: ``"name"`` (latest version) or ``"name@version"``.
        table: table name; defaults to the dataset's name.
        polars: return a polars DataFrame instead of pandas (polars must be installed).

    Returns:
        A pandas (or polars) DataFrame.

    Raises:
        ArenaClientError: unknown dataset, version or table.
    """
    name, version = _resolve(name_or_ref)
    path = _datasets_dir() / name / version / f"{table or name}.parquet"
    if not path.is_file():
        tables = sorted(p.stem for p in path.parent.glob("*.parquet"))
        raise ArenaClientError(f"table {table or name!r} not in {name}@{version}; tables: {', '.join(tables)}")
    # pyarrow's native reader, not a Python file object: a short script that reads through a Python file
    # and exits aborted in its teardown 27 times in 150 here (apache/arrow#34314; arena/parquet.py)
    from pyarrow import fs

    frame = pd.read_parquet(str(path.absolute()), filesystem=fs.LocalFileSystem())
    if not polars:
        return frame
    try:
        import polars as pl
    except ImportError:
        raise ArenaClientError("polars is not installed in this sandbox; call load(..., polars=False)") from None
    return pl.from_pandas(frame)


# --------------------------------------------------------------------------- scoring API


def _scoring_url() -> str:
    url = os.environ.get("ARENA_SCORING_URL")
    if not url:
        raise ArenaClientError("ARENA_SCORING_URL is not set: this is not running inside an arena sandbox")
    return url.rstrip("/")


def _send(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, tried again while nothing can have been stored: the connection was refused
    (the service is restarting) or the service answered 503 (its database is unavailable)."""
    token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
    delays = list(RETRY_DELAYS)
    while True:
        try:
            response = httpx.request(
                method, url, headers={"Authorization": f"token {token}"}, timeout=60, follow_redirects=False, **kwargs
            )
        except httpx.ConnectError as error:
            if not delays:
                raise ArenaClientError(f"cannot reach the scoring service at {url}: {error}") from None
        except httpx.HTTPError as error:
            raise ArenaClientError(f"cannot reach the scoring service at {url}: {error}") from None
        else:
            if response.status_code != 503 or not delays:
                return response
        time.sleep(delays.pop(0))


def _request(method: str, path: str, **kwargs: Any) -> Any:
    url = f"{_scoring_url()}{path}"
    response = _send(method, url, **kwargs)
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text.strip()[:500]
        prefix = "quota reached" if response.status_code == 429 else f"{method} {path} refused"
        raise ArenaClientError(f"{prefix} (HTTP {response.status_code}): {detail}")
    return response.json()


def challenges() -> list[dict[str, Any]]:
    """The challenges of the platform (slug, title, task, metric, datasets, phases, state)."""
    return list(_request("GET", "/api/challenges"))


def submissions(challenge: str) -> list[dict[str, Any]]:
    """Your team's submissions to ``challenge`` (newest first as the service orders them)."""
    return list(_request("GET", f"/api/challenges/{challenge}/submissions"))


def _payload(df_or_path: Any) -> tuple[str, bytes]:
    if isinstance(df_or_path, pd.DataFrame):
        buffer = io.StringIO()
        df_or_path.to_csv(buffer, index=False)
        return "submission.csv", buffer.getvalue().encode()
    if hasattr(df_or_path, "to_pandas"):
        return _payload(df_or_path.to_pandas())
    path = Path(df_or_path)
    if not path.is_file():
        raise ArenaClientError(f"submission file {path} does not exist")
    return path.name, path.read_bytes()


class Submission(dict):
    """A submission as the scoring service returns it (a dict), shown by Jupyter as one short line."""

    def __repr__(self) -> str:
        return f"<submission {self.get('id')}: {self.get('state')}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _format_scores(scores: dict[str, Any]) -> str:
    parts = []
    for split, values in scores.items():
        if values:
            shown = ", ".join(f"{m} {v:.4f}" if isinstance(v, float) else f"{m} {v}" for m, v in values.items())
            parts.append(f"{split}: {shown}")
    return "; ".join(parts) or "no score shown yet"


def _report(submission: dict[str, Any]) -> None:
    """Print one line saying what became of ``submission``."""
    state = submission.get("state")
    if state == "scored":
        print(f"submission {submission.get('id')} scored: {_format_scores(submission.get('scores') or {})}")
    elif state == "failed":
        print(f"submission {submission.get('id')} FAILED: {submission.get('error')}")
    else:
        print(f"submission {submission.get('id')} is {state} (see submissions(challenge) later)")


def submit(
    df_or_path: Any, challenge: str, description: str | None = None, wait: bool = True, timeout: float = 300
) -> dict[str, Any]:
    """Submit predictions to a challenge and (by default) wait for the score.

    Args:
        df_or_path: a DataFrame (sent as CSV) or the path of a CSV/Parquet file.
        challenge: the challenge's slug.
        description: an optional note stored with the submission.
        wait: poll until the submission is scored or failed.
        timeout: seconds to wait before returning the still-pending submission.

    Returns:
        The submission as the scoring service returns it (a dict: ``id``, ``state``, ``error``,
        ``scores``), shown by Jupyter as one short line (the score line is printed).

    Raises:
        ArenaClientError: the service refused the submission (quota, validation, unknown challenge).
    """
    filename, content = _payload(df_or_path)
    data = {"description": description} if description else {}
    submission = _request(
        "POST", f"/api/challenges/{challenge}/submissions", files={"file": (filename, content)}, data=data
    )
    deadline = time.monotonic() + timeout
    while wait and submission.get("state") not in FINAL_STATES and time.monotonic() < deadline:
        time.sleep(1.0)
        submission = _request("GET", f"/api/challenges/{challenge}/submissions/{submission['id']}")
    _report(submission)
    return Submission(submission)


from arena_client.code import pack_code, smoke_test, submit_code  # noqa: E402 - uses the helpers above
