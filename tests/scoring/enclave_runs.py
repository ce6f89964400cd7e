"""Helpers of the enclave tests: settings for real runs, a "real" features file, running a ``main.py``."""

from __future__ import annotations

import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arena.cgroups import cgroup_mode
from arena.settings import Settings
from scoring.enclave import CodeLimits, EnclaveRun, run_code

__all__ = ["Challenge", "EnclaveRunner", "enclave_missing", "make_challenge"]

UID_BASE = 31000
"""Apart from the default (30000): another worktree's tests may run enclaves on this host at the same time."""


def enclave_missing() -> str | None:
    """Why a real enclave cannot run here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (setpriv to the enclave uid, cgroups, the output tmpfs)"
    for tool in ("bwrap", "setpriv", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def cgroups_missing() -> str | None:
    """Why group-wide limits cannot be tested here (None: they can)."""
    return "no usable cgroup hierarchy (the prlimit fallback is per process)" if cgroup_mode() == "none" else None


@dataclass(frozen=True)
class Challenge:
    """A challenge's scoring-side files: the real features, the answers, another challenge's features beside."""

    features: Path
    answers: Path
    other_features: Path
    secret_names: tuple[str, ...]


def make_challenge(root: Path, rows: int = 50) -> Challenge:
    """Write "real" features (with a recognisable secret column), answers and a second challenge's features.

    Laid out like ``<answers_dir>/<slug>/``: folders 0700, files 0600.
    """
    folder = root / "answers" / "people"
    other = root / "answers" / "firms"
    for path in (folder, other):
        path.mkdir(parents=True)
        path.chmod(0o700)
    secret_names = tuple(f"Zq{index:04d}Realname" for index in range(rows))
    features = pd.DataFrame({"person_id": range(1000, 1000 + rows), "age": range(rows), "name": secret_names})
    features.to_parquet(folder / "test_features.parquet", index=False)
    pd.DataFrame({"person_id": features["person_id"], "income": [1.0] * rows}).to_parquet(folder / "answers.parquet")
    features.assign(name="OtherChallengeRow").to_parquet(other / "test_features.parquet", index=False)
    for path in (folder / "test_features.parquet", folder / "answers.parquet", other / "test_features.parquet"):
        path.chmod(0o600)
    return Challenge(folder / "test_features.parquet", folder / "answers.parquet", other / "test_features.parquet",
                     secret_names)


class EnclaveRunner:
    """Runs a ``main.py`` text in the real enclave on the challenge's features."""

    def __init__(self, settings: Settings, challenge: Challenge, root: Path) -> None:
        self.settings, self.challenge, self.root = settings, challenge, root
        self._count = 0

    def __call__(self, main_py: str, limits: CodeLimits | None = None, files: dict[str, bytes] | None = None,
                 *, slot: int = 0) -> EnclaveRun:
        self._count += 1
        code = self.root / f"code-{self._count}"
        code.mkdir()
        (code / "main.py").write_text(textwrap.dedent(main_py))
        for name, data in (files or {}).items():
            (code / name).write_bytes(data)
        return run_code(
            self.settings,
            code_dir=code,
            features=self.challenge.features,
            id_column="person_id",
            target_column="income",
            limits=limits or CodeLimits(wall_seconds=60, memory_mb=1024),
            run_dir=self.root / f"run-{self._count}",
            slot=slot,
        )
