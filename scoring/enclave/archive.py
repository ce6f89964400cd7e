"""Unpacking an uploaded code archive (``.zip`` or ``.tar.gz``) into a code folder, refusing anything odd.

Refused, each with a :class:`~scoring.errors.CodeArchiveError` naming the entry: absolute paths and
``..`` (zip-slip), symbolic and hard links, devices and fifos, more than ``max_files`` entries,
more than ``max_bytes`` unpacked (counted while writing, not trusted from the headers), an
expansion ratio over ``max_ratio`` (a zip bomb), and an archive without ``main.py``. Files are
written fresh (mode 0644, folders 0755): no owner, mode or time of the archive is kept. An archive
whose entries all sit in one folder (``mycode/main.py``) is unpacked from inside that folder.
"""

from __future__ import annotations

import gzip
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from scoring.errors import CodeArchiveError

__all__ = ["MAX_FILES", "MAX_RATIO", "unpack_code"]

MAX_FILES = 2000
"""Most entries an archive may hold."""
MAX_RATIO = 100
"""Most unpacked bytes per archive byte, once more than :data:`_RATIO_FLOOR` bytes are unpacked."""
_RATIO_FLOOR = 1024**2
_CHUNK = 1024**2
_IGNORED_TOP = {"__MACOSX"}


@dataclass(frozen=True)
class _Entry:
    """One entry of the archive: its checked path, whether it is a folder, its declared size, an opener."""

    path: PurePosixPath
    is_dir: bool
    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]


def _checked_path(name: str) -> PurePosixPath:
    if not name or "\0" in name or "\\" in name:
        raise CodeArchiveError(f"archive entry {name!r} has an empty name, a NUL or a backslash")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise CodeArchiveError(f"archive entry {name!r} is an absolute path")
    if any(part == ".." for part in path.parts):
        raise CodeArchiveError(f"archive entry {name!r} leaves the folder ('..')")
    if any(len(part.encode()) > 255 for part in path.parts):
        raise CodeArchiveError(f"archive entry {name[:80]!r}… has a name longer than 255 bytes")
    return PurePosixPath(*[part for part in path.parts if part != "."])


def _zip_entries(archive: zipfile.ZipFile) -> Iterator[_Entry]:
    for info in archive.infolist():
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            what = "a symbolic link" if kind == stat.S_IFLNK else "not a regular file or folder"
            raise CodeArchiveError(f"archive entry {info.filename!r} is {what}")
        if info.flag_bits & 0x1:
            raise CodeArchiveError(f"archive entry {info.filename!r} is encrypted")
        yield _Entry(_checked_path(info.filename), info.is_dir(), info.file_size, lambda info=info: archive.open(info))


def _tar_entries(archive: tarfile.TarFile) -> Iterator[_Entry]:
    for member in archive:
        if member.issym() or member.islnk():
            kind = "symbolic" if member.issym() else "hard"
            raise CodeArchiveError(f"archive entry {member.name!r} is a {kind} link")
        if not (member.isfile() or member.isdir()):
            raise CodeArchiveError(f"archive entry {member.name!r} is a device, fifo or other special file")

        def opener(member: tarfile.TarInfo = member) -> AbstractContextManager[IO[bytes]]:
            handle = archive.extractfile(member)
            assert handle is not None  # a regular file always has a reader
            return handle

        yield _Entry(_checked_path(member.name), member.isdir(), member.size, opener)


def _common_folder(entries: list[_Entry]) -> PurePosixPath | None:
    """The one folder every entry sits in, when ``main.py`` is not at the top but inside it."""
    paths = [entry.path for entry in entries if entry.path.parts]
    if not paths or any(path == PurePosixPath("main.py") for path in paths):
        return None
    tops = {path.parts[0] for path in paths}
    if len(tops) == 1 and any(len(path.parts) > 1 for path in paths):
        return PurePosixPath(next(iter(tops)))
    return None


def _write(entry: _Entry, target: Path, budget: int) -> int:
    """Copy one file's bytes to ``target`` (new file, 0644), stopping past ``budget``; return the bytes written."""
    written = 0
    with entry.open() as source, open(target, "xb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise CodeArchiveError(f"archive entry {str(entry.path)!r} unpacks past the size limit")
            sink.write(chunk)
    target.chmod(0o644)
    return written


def _unpack_entries(entries: Iterator[_Entry], dest: Path, max_bytes: int, archive_bytes: int, max_files: int) -> None:
    listed: list[_Entry] = []
    declared = 0
    for entry in entries:  # checked while listing: a tar is listed by decompressing it
        if entry.path.parts and entry.path.parts[0] in _IGNORED_TOP:
            continue
        listed.append(entry)
        declared += entry.size
        if len(listed) > max_files:
            raise CodeArchiveError(f"the archive holds more than {max_files} entries")
        if declared > max_bytes:
            raise CodeArchiveError(f"the archive unpacks to more than {max_bytes} bytes (the limit)")
    if declared > _RATIO_FLOOR and declared > MAX_RATIO * max(archive_bytes, 1):
        ratio = declared // max(archive_bytes, 1)
        raise CodeArchiveError(f"the archive expands {ratio} times (limit {MAX_RATIO}): a compression bomb")
    top = _common_folder(listed)
    seen: set[PurePosixPath] = set()
    total = 0
    for entry in listed:
        path = entry.path.relative_to(top) if top is not None else entry.path
        if not path.parts:
            continue
        if path in seen:
            raise CodeArchiveError(f"archive entry {str(entry.path)!r} appears twice")
        seen.add(path)
        target = dest.joinpath(*path.parts)
        for folder in reversed(target.parents[: len(path.parts) - (0 if entry.is_dir else 1)]):
            if folder.is_file():
                raise CodeArchiveError(f"archive entry {str(entry.path)!r} is inside a file of the archive")
            folder.mkdir(mode=0o755, exist_ok=True)
        if not entry.is_dir:
            if target.exists():
                raise CodeArchiveError(f"archive entry {str(entry.path)!r} is also a folder of the archive")
            total += _write(entry, target, max_bytes - total)
    if PurePosixPath("main.py") not in seen:
        raise CodeArchiveError("the archive has no main.py at its top (or inside its one folder)")


def unpack_code(archive: Path, dest: Path, max_bytes: int, *, max_files: int = MAX_FILES) -> Path:
    """Unpack ``archive`` into the new folder ``dest`` (see the module docstring for what is refused).

    Args:
        archive: The uploaded ``.zip`` or ``.tar.gz`` (recognised by its first bytes, not its name).
        dest: A folder that does not exist yet, or an empty one.
        max_bytes: Most bytes all files together may unpack to (the challenge's ``code.max_upload_mb``).
        max_files: Most entries the archive may hold.

    Returns:
        ``dest``, holding ``main.py`` and what sat beside it.

    Raises:
        CodeArchiveError: the archive is refused; the message names the entry and the rule. What was
            unpacked before the refusal is left in ``dest`` for the caller to delete.
    """
    dest.mkdir(mode=0o755, parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise CodeArchiveError(f"the code folder {dest} is not empty")
    archive_bytes = archive.stat().st_size
    with open(archive, "rb") as handle:
        magic = handle.read(4)
    try:
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
            with zipfile.ZipFile(archive) as opened:
                _unpack_entries(_zip_entries(opened), dest, max_bytes, archive_bytes, max_files)
        elif magic.startswith(b"\x1f\x8b"):
            with tarfile.open(archive, mode="r:gz") as opened:
                _unpack_entries(_tar_entries(opened), dest, max_bytes, archive_bytes, max_files)
        else:
            raise CodeArchiveError(f"{archive.name} is neither a .zip nor a .tar.gz archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise CodeArchiveError(f"{archive.name} is damaged or truncated: {error}") from None
    return dest
