"""Each open challenge's starter notebook and description, copied into the competitor's home.

Like Kaggle's "Copy & Edit": ``~/starters/<slug>/starter.ipynb`` and ``~/starters/<slug>/README.md``
(the challenge's ``description.md``) are the competitor's own copies. At every spawn,
:func:`seed_starters` compares the published files (``<challenges_dir>/<slug>/``) with what it
shipped last time (digests kept in ``~/starters/<slug>/.arena-starter.json``):

- nothing new published: nothing is touched (a copy the user deleted stays deleted);
- a new version, and the user's copy is unchanged (or missing): the copy is replaced;
- a new version, and the user edited their copy: the new version lands **beside** it as
  ``starter.<digest8>.ipynb`` (``README.<digest8>.md``); the edited copy is never overwritten.

Every notebook is shipped with the metadata the sandbox's kernel gives it (:func:`for_sandbox_kernel`):
JupyterLab copies the kernel's ``kernelspec`` and ``language_info`` into a notebook as soon as the
kernel starts, and a notebook shipped with less (``language_info: {"name": "python"}``) opens
marked modified.

The caller may be root writing into a home that belongs to the user, who may have planted
symlinks, FIFOs or odd files there: every path is opened relative to a directory descriptor with
``O_NOFOLLOW``, files are created with ``O_EXCL`` and replaced by ``rename`` (which replaces a
symlink itself, never its target); what is not a regular file counts as the user's own.

The module is pure standard library and runs as a script too (``python starters.py --home
/home/jovyan --challenges /challenges``): the Docker sandbox image runs it as the user before the
server starts (its home is a volume the hub cannot reach).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["KERNELSPEC", "PUBLISHED_FILES", "STARTERS_FOLDER", "for_sandbox_kernel", "kernel_metadata", "seed_starters"]

STARTERS_FOLDER = "starters"
PUBLISHED_FILES = {"starter.ipynb": "starter.ipynb", "description.md": "README.md"}
"""Published file name -> name of the competitor's copy."""
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
"""The one kernel of every sandbox (ipykernel's ``python3``), as JupyterLab writes it into a notebook."""
_MANIFEST = ".arena-starter.json"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{0,63}$")
_MAX_BYTES = 64 * 1024**2
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _open_dir(parent_fd: int, name: str, owner: tuple[int, int] | None) -> int:
    """Open (creating, 0700) the folder ``name`` under ``parent_fd``, never through a symlink."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        if owner is not None:
            os.chown(name, *owner, dir_fd=parent_fd, follow_symlinks=False)
    return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)


def _read_regular(dir_fd: int, name: str) -> bytes | None:
    """The content of regular file ``name``; None if absent; b"\\0" marker for anything else (the user's)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError:  # a symlink (ELOOP) or something unreadable: the user's, left alone
        return b"\0"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"\0"
        return handle.read(_MAX_BYTES)


def _write(dir_fd: int, name: str, data: bytes, owner: tuple[int, int] | None) -> None:
    """Write ``name`` (0600) atomically: a new temporary file, then renamed over ``name``."""
    temporary = f".{name}.arena-new"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary, dir_fd=dir_fd)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if owner is not None:
            os.fchown(handle.fileno(), *owner)
    os.rename(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


def kernel_metadata(python_version: str) -> dict[str, dict[str, object]]:
    """The notebook metadata JupyterLab writes once the sandbox's kernel has reported itself.

    ``language_info`` is ipykernel's ``IPythonKernel.language_info``, whose ``version`` is the
    kernel interpreter's (``platform.python_version()`` there).

    Args:
        python_version: the version of the Python the sandbox's kernel runs, e.g. ``"3.11.2"``.
    """
    major = int(python_version.split(".")[0])
    language_info = {
        "codemirror_mode": {"name": "ipython", "version": major},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": f"ipython{major}",
        "version": python_version,
    }
    return {"kernelspec": dict(KERNELSPEC), "language_info": language_info}


def for_sandbox_kernel(data: bytes, python_version: str | None = None) -> bytes:
    """A notebook's JSON as JupyterLab leaves it once the sandbox's kernel started: it opens unmodified.

    The kernel's :func:`kernel_metadata` replaces the notebook's ``kernelspec`` and ``language_info``
    (a sandbox has no other kernel); the JSON is written as nbformat writes it (sorted keys, indent 1,
    a final newline), so saving the untouched notebook changes nothing either.

    Args:
        data: the notebook file's bytes.
        python_version: the kernel interpreter's version (default: this interpreter's, which is
            the kernel's in the sandbox image).

    Returns:
        The notebook's new bytes; ``data`` itself when it is not a notebook's JSON object.
    """
    try:
        notebook = json.loads(data)
    except ValueError:
        return data
    if not isinstance(notebook, dict) or not isinstance(notebook.setdefault("metadata", {}), dict):
        return data
    notebook["metadata"].update(kernel_metadata(python_version or platform.python_version()))
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _beside(name: str, digest: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{digest[:8]}{dot}{suffix}"


def _load_manifest(dir_fd: int) -> dict[str, str]:
    raw = _read_regular(dir_fd, _MANIFEST)
    try:
        manifest = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return {k: v for k, v in manifest.items() if isinstance(v, str)} if isinstance(manifest, dict) else {}


def _sync(dir_fd: int, name: str, published: bytes, manifest: dict[str, str], owner: tuple[int, int] | None) -> str:
    """Bring the copy ``name`` up to ``published``; returns the name written, or "" when nothing was."""
    digest = _digest(published)
    shipped = manifest.get(name)
    if digest == shipped:
        return ""
    current = _read_regular(dir_fd, name)
    manifest[name] = digest
    if current is None or _digest(current) in (shipped, digest):
        if current is not None and _digest(current) == digest:
            return ""
        _write(dir_fd, name, published, owner)
        return name
    target = _beside(name, digest)
    if _read_regular(dir_fd, target) is None:
        _write(dir_fd, target, published, owner)
        return target
    return ""


def _published(challenges_dir: Path, slugs: Iterable[str] | None) -> list[str]:
    if not challenges_dir.is_dir():
        return []
    wanted = None if slugs is None else set(slugs)
    return sorted(
        entry.name
        for entry in challenges_dir.iterdir()
        if _SLUG.match(entry.name)
        and (wanted is None or entry.name in wanted)
        and (entry / "starter.ipynb").is_file()
    )


def seed_starters(
    home: Path,
    challenges_dir: Path,
    slugs: Iterable[str] | None = None,
    owner: tuple[int, int] | None = None,
    python_version: str | None = None,
) -> list[Path]:
    """Copy or refresh the starter notebook and description of each challenge into ``home/starters/<slug>/``.

    Args:
        home: the competitor's home.
        challenges_dir: the published public challenge files (``<slug>/starter.ipynb``, ``description.md``).
        slugs: the open challenges (None: every challenge with a starter in ``challenges_dir``).
        owner: uid and gid the new files and folders get (None: the caller's own).
        python_version: the sandbox kernel's Python version (:func:`for_sandbox_kernel`; None: this
            interpreter's).

    Returns:
        The files written this time.
    """
    written: list[Path] = []
    challenges = _published(challenges_dir, slugs)
    if not challenges:
        return written
    home_fd = os.open(home, _DIR_FLAGS)
    try:
        top_fd = _open_dir(home_fd, STARTERS_FOLDER, owner)
    except OSError:  # "starters" is the user's own file or symlink: leave it
        os.close(home_fd)
        return written
    try:
        for slug in challenges:
            try:
                slug_fd = _open_dir(top_fd, slug, owner)
            except OSError:
                continue
            try:
                manifest = _load_manifest(slug_fd)
                for source, name in PUBLISHED_FILES.items():
                    path = challenges_dir / slug / source
                    if path.is_file():
                        published = path.read_bytes()
                        if name.endswith(".ipynb"):
                            published = for_sandbox_kernel(published, python_version)
                        done = _sync(slug_fd, name, published, manifest, owner)
                        if done:
                            written.append(home / STARTERS_FOLDER / slug / done)
                _write(slug_fd, _MANIFEST, json.dumps(manifest, indent=1).encode(), owner)
            finally:
                os.close(slug_fd)
    finally:
        os.close(top_fd)
        os.close(home_fd)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: seed the starters of ``--challenges`` into ``--home`` (as the calling user)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path.home())
    parser.add_argument("--challenges", type=Path, default=Path("/challenges"))
    parser.add_argument("--slugs", help="comma-separated open challenges (default: every published one)")
    args = parser.parse_args(argv)
    slugs = None if args.slugs is None else [slug for slug in args.slugs.split(",") if slug]
    try:
        for path in seed_starters(args.home, args.challenges, slugs):
            print(f"starter: {path}")
    except OSError as error:  # never keep the server from starting
        print(f"starters not refreshed: {error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
