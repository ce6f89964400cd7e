"""Starter notebooks are copied into new homes once, owned by the sandbox user, never overwritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sandboxes import for_sandbox_kernel, seed_home, starter_notebooks


def test_starter_notebooks_are_valid_and_use_the_client() -> None:
    notebooks = starter_notebooks()

    assert [path.name for path in notebooks] == ["welcome.ipynb"]
    document = json.loads(notebooks[0].read_text())
    code = "".join("".join(cell["source"]) for cell in document["cells"] if cell["cell_type"] == "code")
    assert document["nbformat"] == 4 and "from arena_client import" in code


def test_seed_home_copies_missing_notebooks_only(tmp_path: Path) -> None:
    uid, gid = os.getuid(), os.getgid()
    (tmp_path / "welcome.ipynb").write_text("my edits")

    assert seed_home(tmp_path, uid, gid) == []
    assert (tmp_path / "welcome.ipynb").read_text() == "my edits"

    (tmp_path / "welcome.ipynb").unlink()
    copied = seed_home(tmp_path, uid, gid)

    assert copied == [tmp_path / "welcome.ipynb"]
    assert copied[0].read_bytes() == for_sandbox_kernel(starter_notebooks()[0].read_bytes())
    assert copied[0].stat().st_mode & 0o777 == 0o600


def test_seed_home_never_writes_through_a_planted_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    home = tmp_path / "home"
    home.mkdir()
    (home / "welcome.ipynb").symlink_to(victim)  # dangling: points at a file that does not exist yet

    assert seed_home(home, os.getuid(), os.getgid()) == []
    assert not victim.exists()
