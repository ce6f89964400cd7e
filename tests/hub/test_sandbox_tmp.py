"""The sandbox's /tmp: a private tmpfs (RAM), capped by settings."""

from __future__ import annotations

from pathlib import Path

from arena.settings import Settings
from hub import sandbox_argv, sandbox_for


def test_tmp_is_a_tmpfs_of_the_configured_size(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sandbox_tmp_bytes=64 * 1024**2, _env_file=None)

    argv = sandbox_argv(settings, sandbox_for(settings, "alice", 1), ["server"])
    at = argv.index("--tmpfs")

    assert argv[at - 2 : at + 2] == ["--size", str(64 * 1024**2), "--tmpfs", "/tmp"]
