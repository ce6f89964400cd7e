"""The sandbox environment: rebuilt only when its pins or the client change, usable by a non-root uid."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from arena.settings import Settings
from sandboxes import CLIENT_DIR, SANDBOX_REQUIREMENTS, SandboxEnvError, ensure_sandbox_env, env_fingerprint
from sandboxes.environment import STAMP_NAME


def test_fingerprint_follows_pins_and_client_source(tmp_path: Path) -> None:
    client_copy = tmp_path / "client"
    shutil.copytree(CLIENT_DIR, client_copy, ignore=shutil.ignore_patterns("__pycache__"))
    same = env_fingerprint(SANDBOX_REQUIREMENTS, client_copy)

    (client_copy / "arena_client" / "__init__.py").write_text("# changed\n", encoding="utf-8")

    assert same == env_fingerprint()
    assert env_fingerprint(SANDBOX_REQUIREMENTS, client_copy) != same
    assert env_fingerprint((*SANDBOX_REQUIREMENTS, "polars==1.0.0")) != same


def test_ensure_is_idempotent(settings: Settings) -> None:
    env_dir = ensure_sandbox_env(settings)  # builds only if the machine's env is missing or stale
    stamp = env_dir / STAMP_NAME
    before = stamp.stat().st_mtime_ns

    again = ensure_sandbox_env(settings)

    assert again == env_dir == settings.sandbox_env_dir
    assert stamp.stat().st_mtime_ns == before
    assert stamp.read_text().strip() == env_fingerprint()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged uid")
def test_an_unprivileged_uid_can_run_the_environment(settings: Settings) -> None:
    env_dir = ensure_sandbox_env(settings)
    code = "import arena_client, pandas, pyarrow, sklearn, httpx, ipykernel, jupyterhub; print(arena_client.__file__)"

    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(env_dir / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(env_dir))
    assert (env_dir / "bin" / "jupyterhub-singleuser").stat().st_mode & 0o005 == 0o005


def test_missing_base_interpreter_is_reported(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, sandbox_env_dir=tmp_path / "env", sandbox_base_python=tmp_path / "no-python", _env_file=None
    )

    with pytest.raises(SandboxEnvError, match="no-python does not exist"):
        ensure_sandbox_env(settings)
