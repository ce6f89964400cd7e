"""What a judge reads of a submission: code archives (main.py first), notebooks, tables; never a crash."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile

from arena.settings import Settings
from leaderboard.submission_files import read_submission_file
from scoring.store import submission_path


def _store(settings: Settings, digest: str, data: bytes) -> None:
    path = submission_path(settings, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_a_code_archive_lists_its_files_main_py_first(settings: Settings) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("code/utils.py", "def helper():\n    return 1\n")
        archive.writestr("code/main.py", "def predict(features):\n    return features\n")
        archive.writestr("code/model.pkl", b"\x80\x04binary")
    _store(settings, "a" * 64, buffer.getvalue())

    shown = read_submission_file(settings, "a" * 64, "code.zip")

    assert shown.kind == "code"
    assert [f.path for f in shown.files] == ["code/main.py", "code/model.pkl", "code/utils.py"]
    assert shown.files[0].language == "python" and "def predict" in (shown.files[0].text or "")
    assert shown.files[1].text is None  # binary: listed, not shown


def test_a_tarball_a_notebook_and_a_table(settings: Settings) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        content = b"def predict(f):\n    return f\n"
        info = tarfile.TarInfo("main.py")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    _store(settings, "b" * 64, buffer.getvalue())
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# Idea"]}, {"cell_type": "code", "source": "x = 1"}]}
    _store(settings, "c" * 64, json.dumps(notebook).encode())
    _store(settings, "d" * 64, b"person_id,income_band\np1,low\np2,high\n")

    tarball = read_submission_file(settings, "b" * 64, "code.tar.gz")
    cells = read_submission_file(settings, "c" * 64, "work.ipynb")
    table = read_submission_file(settings, "d" * 64, "predictions.csv")

    assert [f.path for f in tarball.files] == ["main.py"]
    assert cells.cells == [("markdown", "# Idea"), ("code", "x = 1")]
    assert table.preview is not None and list(table.preview["income_band"]) == ["low", "high"]


def test_missing_or_corrupt_files_are_explained(settings: Settings) -> None:
    _store(settings, "e" * 64, b"PK\x03\x04 not really")

    assert read_submission_file(settings, "0" * 64, "x.csv").kind == "missing"
    assert read_submission_file(settings, "e" * 64, "code.tar.gz").kind == "unreadable"
