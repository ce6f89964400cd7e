"""The store sweep removes what a crash left (abandoned uploads, files no submission names) and nothing else."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import typer
from typer.testing import CliRunner

from arena.db import Database
from arena.settings import Settings
from cli import score as score_cli
from scoring import accept_submission, sweep_store
from scoring.store import StoredFile, staging_dir, submission_path

HOUR = 3600


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _aged(path: Path, seconds: float) -> Path:
    when = time.time() - seconds
    os.utime(path, (when, when))
    return path


def _staging(settings: Settings, name: str, age: float = 0) -> Path:
    folder = staging_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"person_id,label\np0000,")
    return _aged(path, age)


def _stored(settings: Settings, content: bytes, age: float) -> Path:
    upload = StoredFile(settings)
    upload.write(content)
    return _aged(submission_path(settings, upload.commit()), age)


def test_sweep_removes_abandoned_uploads_and_unreferenced_files_only(
    db: Database, db_settings: Settings, publish, users, predictions
) -> None:
    answers = publish()["answers"]
    host = socket.gethostname()
    accepted = accept_submission(db, db_settings, "churn", "alice", predictions(answers).open("rb"), "s.csv")
    referenced = _aged(submission_path(db_settings, accepted.file_digest), 2 * HOUR)
    dead_writer = _staging(db_settings, f"upload-{host}-{_dead_pid()}-abc123")
    live_writer = _staging(db_settings, f"upload-{host}-{os.getppid()}-def456")
    other_host_young = _staging(db_settings, "upload-elsewhere-42-ghi789")
    other_host_old = _staging(db_settings, "upload-elsewhere-43-jkl012", age=2 * HOUR)
    orphan_old = _stored(db_settings, b"id,label\n1,0\n", age=2 * HOUR)
    orphan_young = _stored(db_settings, b"id,label\n2,0\n", age=60)

    report = sweep_store(db, db_settings)

    assert sorted(report.staging) == sorted([dead_writer, other_host_old])
    assert report.unreferenced == [orphan_old]
    assert report.removed == 3
    for kept in (referenced, live_writer, other_host_young, orphan_young):
        assert kept.exists(), kept
    for gone in (dead_writer, other_host_old, orphan_old):
        assert not gone.exists(), gone


def test_sweep_store_command_reports_what_it_removed(
    db: Database, db_settings: Settings, monkeypatch, tmp_path: Path
) -> None:
    abandoned = _staging(db_settings, f"upload-{socket.gethostname()}-{_dead_pid()}-xyz")
    monkeypatch.setenv("ARENA_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("ARENA_DATABASE_URL", db_settings.db_url)
    monkeypatch.chdir(tmp_path)

    app = typer.Typer()
    score_cli.register(app)

    result = CliRunner().invoke(app, ["sweep-store"])

    assert result.exit_code == 0, result.output
    assert f"removed {abandoned}" in result.output
    assert "1 abandoned upload(s), 0 unreferenced file(s) removed" in result.output
    assert not abandoned.exists()


def test_sweep_of_an_empty_store_removes_nothing(db: Database, db_settings: Settings) -> None:
    report = sweep_store(db, db_settings)

    assert report.removed == 0 and report.staging == [] and report.unreferenced == []


def test_an_upload_in_progress_in_this_process_is_kept(db: Database, db_settings: Settings) -> None:
    upload = StoredFile(db_settings)
    upload.write(io.BytesIO(b"person_id,label\n").read())

    report = sweep_store(db, db_settings)

    assert report.removed == 0
    assert len(list(staging_dir(db_settings).iterdir())) == 1
    upload.discard()
