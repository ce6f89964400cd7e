"""Starter notebooks every new sandbox home receives (copied once, never overwritten)."""

from __future__ import annotations

import os
from pathlib import Path

from sandboxes.starters import for_sandbox_kernel

__all__ = ["NOTEBOOKS_DIR", "seed_home", "starter_notebooks"]

NOTEBOOKS_DIR = Path(__file__).parent / "notebooks"


def starter_notebooks() -> list[Path]:
    """The starter notebooks shipped with the platform."""
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def seed_home(home: Path, uid: int, gid: int, python_version: str | None = None) -> list[Path]:
    """Copy the starter notebooks missing from ``home`` (owned by ``uid``/``gid``, mode 0600).

    Each copy carries the sandbox kernel's metadata (:func:`sandboxes.starters.for_sandbox_kernel`
    with ``python_version``; None: this interpreter's), so JupyterLab opens it unmodified.

    A notebook the user already has (edited or not) is left alone. Files are created with
    ``O_EXCL|O_NOFOLLOW``: the caller is root, and the home belongs to the user, who might
    have planted a symlink there.

    Returns:
        The notebooks copied this time.
    """
    copied = []
    for notebook in starter_notebooks():
        target = home / notebook.name
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(for_sandbox_kernel(notebook.read_bytes(), python_version))
            os.fchown(handle.fileno(), uid, gid)
        copied.append(target)
    return copied
