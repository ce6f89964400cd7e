"""What a judge reads of a submission: the stored file, opened read-only and in memory, never extracted.

- a code archive (``.zip`` or ``.tar.gz``: code submissions): its file list and the text of its
  files, ``main.py`` first;
- a notebook (``.ipynb``): its cells (markdown and code);
- a prediction table (CSV or Parquet): its first rows.

Sizes are capped (what is shown of a file, how many files): a judge's page never loads a large
archive into the app whole. The file is read from the content-addressed submissions store by its
digest, which comes from the Submission row (never from the request).
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from arena.settings import Settings
from scoring.store import submission_path

__all__ = ["MAX_FILES", "MAX_TEXT_BYTES", "SubmissionFile", "TextFile", "read_submission_file"]

MAX_FILES = 50
MAX_TEXT_BYTES = 200_000
_PREVIEW_ROWS = 10
_TEXT_SUFFIXES = {".py", ".txt", ".md", ".toml", ".cfg", ".yaml", ".yml", ".json", ".csv", ".ini", ".sh", ".r"}


@dataclass(frozen=True)
class TextFile:
    """One file of an archive: its path, size and (for a text file) its beginning."""

    path: str
    size: int
    text: str | None
    truncated: bool = False

    @property
    def language(self) -> str:
        """The language ``st.code`` highlights it as."""
        return {".py": "python", ".json": "json", ".md": "markdown", ".yaml": "yaml", ".yml": "yaml",
                ".toml": "toml", ".sh": "bash"}.get(Path(self.path).suffix.lower(), "text")  # fmt: skip


@dataclass(frozen=True)
class SubmissionFile:
    """What is shown of a stored submission file."""

    kind: str  # "code", "notebook", "table", "missing" or "unreadable"
    files: list[TextFile] = field(default_factory=list)
    cells: list[tuple[str, str]] = field(default_factory=list)  # (cell_type, source) of a notebook
    preview: pd.DataFrame | None = None
    note: str = ""


def _text(raw: bytes, path: str, size: int) -> TextFile:
    shown = raw[:MAX_TEXT_BYTES]
    is_text = Path(path).suffix.lower() in _TEXT_SUFFIXES or Path(path).name in {"Dockerfile", "Makefile"}
    try:
        text = shown.decode("utf-8") if is_text else None
    except UnicodeDecodeError:
        text = None
    return TextFile(path=path, size=size, text=text, truncated=size > MAX_TEXT_BYTES)


def _ordered(files: list[TextFile]) -> list[TextFile]:
    return sorted(files, key=lambda f: (Path(f.path).name != "main.py", f.path.count("/"), f.path))


def _zip_files(data: bytes) -> list[TextFile]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()][:MAX_FILES]
        return _ordered([_text(archive.open(m).read(MAX_TEXT_BYTES + 1), m.filename, m.file_size) for m in members])


def _tar_files(data: bytes) -> list[TextFile]:
    files = []
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for member in archive:
            if len(files) >= MAX_FILES:
                break
            if member.isfile():
                handle = archive.extractfile(member)
                raw = handle.read(MAX_TEXT_BYTES + 1) if handle is not None else b""
                files.append(_text(raw, member.name, member.size))
    return _ordered(files)


def _notebook_cells(data: bytes) -> list[tuple[str, str]]:
    document = json.loads(data)
    cells = []
    for cell in document.get("cells", []):
        source = cell.get("source", "")
        cells.append((str(cell.get("cell_type", "code")), "".join(source) if isinstance(source, list) else str(source)))
    return cells


def _table(data: bytes, filename: str) -> pd.DataFrame:
    if filename.lower().endswith(".parquet") or data[:4] == b"PAR1":
        return pd.read_parquet(io.BytesIO(data)).head(_PREVIEW_ROWS)
    return pd.read_csv(io.BytesIO(data), nrows=_PREVIEW_ROWS)


def read_submission_file(settings: Settings, digest: str, filename: str) -> SubmissionFile:
    """What can be shown of the submission stored under ``digest`` (uploaded as ``filename``)."""
    path = submission_path(settings, digest)
    try:
        data = path.read_bytes()
    except OSError:
        return SubmissionFile(kind="missing", note="The stored file is no longer in the submissions store.")
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            return SubmissionFile(kind="code", files=_zip_files(data))
        if filename.lower().endswith((".tar.gz", ".tgz", ".tar")):
            return SubmissionFile(kind="code", files=_tar_files(data))
        if filename.lower().endswith(".ipynb"):
            return SubmissionFile(kind="notebook", cells=_notebook_cells(data))
        return SubmissionFile(kind="table", preview=_table(data, filename))
    except Exception as error:  # a corrupt upload of any kind: say so, never fail the page
        return SubmissionFile(kind="unreadable", note=f"The stored file cannot be read: {type(error).__name__}.")
