"""The read-only system a bubblewrap sandbox or enclave is built on (pure: bwrap arguments only)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["ROOT_LINKS", "read_only_system"]

ROOT_LINKS = ("bin", "sbin", "lib", "lib64", "lib32", "libx32")
"""Top-level folders that are links into /usr on merged-/usr systems (bound as they are on the host)."""


def read_only_system(etc_files: Iterable[str], root: Path = Path("/")) -> list[str]:
    """bwrap arguments binding ``/usr``, the top-level links and the named ``/etc`` entries read-only.

    Args:
        etc_files: Names under ``/etc`` to bind (those missing on the host are skipped).
        root: The host's root (tests may point elsewhere).
    """
    args = ["--ro-bind", str(root / "usr"), "/usr"]
    for name in ROOT_LINKS:
        path = root / name
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), f"/{name}"]
        elif path.is_dir():
            args += ["--ro-bind", str(path), f"/{name}"]
    for name in etc_files:
        if (root / "etc" / name).exists():
            args += ["--ro-bind", str(root / "etc" / name), f"/etc/{name}"]
    return args
