"""Malformed challenge bundles: a clear error from ``arena challenge validate``/``publish``, nothing published."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bundle_mutations import MUTATIONS
from reliability_kit import run_cli, write_bundle
from sqlalchemy import func, select

from arena.accounts import create_user
from arena.db import Database
from arena.models import Challenge, Dataset
from arena.settings import Settings

SUBPROCESS_CASES = ["yaml syntax error", "zip with path traversal"]


@pytest.fixture
def spoiled(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """The base bundle with one mutation of MUTATIONS applied (path to pass to the CLI, expected fragment)."""
    mutate, expected = MUTATIONS[request.param]
    return mutate(write_bundle(tmp_path / "bundle")), expected


def test_there_are_enough_mutations() -> None:
    assert len(MUTATIONS) >= 20


def test_valid_base_bundle_validates(tmp_path: Path, monkeypatch, capsys) -> None:
    code, out, err = run_cli(
        monkeypatch, capsys, tmp_path, "challenge", "validate", "--no-store", str(write_bundle(tmp_path / "bundle"))
    )
    assert code == 0 and "is valid (40 answer rows" in out, err


def test_unpublished_dataset_is_named(tmp_path: Path, monkeypatch, capsys) -> None:
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "challenge", "validate", str(write_bundle(tmp_path / "b")))
    assert code == 2 and "'people@1' is not published" in err and "Traceback" not in err


@pytest.mark.parametrize("spoiled", sorted(MUTATIONS), indirect=True)
def test_validate_names_the_problem(spoiled: tuple[Path, str], tmp_path: Path, monkeypatch, capsys) -> None:
    path, expected = spoiled
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "challenge", "validate", "--no-store", str(path))
    assert code == 2 and err.startswith("error: "), out + err
    assert "Traceback" not in err and expected.lower() in err.lower(), err


@pytest.mark.parametrize("spoiled", SUBPROCESS_CASES, indirect=True)
def test_publish_through_the_console_script_refuses_and_publishes_nothing(
    spoiled: tuple[Path, str], tmp_path: Path
) -> None:
    path, expected = spoiled
    data = tmp_path / "var"
    db = Database.from_settings(Settings(data_dir=data, _env_file=None))
    db.migrate()
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
        create_user(session, "minh", "organiser", None, actor="test")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cli import main; main()",
            "challenge",
            "publish",
            str(path),
            "--actor",
            "minh",
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"ARENA_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and expected.lower() in result.stderr.lower()
    with db.session() as session:
        assert session.scalar(select(func.count(Challenge.id))) == 0
    db.dispose()
    assert not (data / "challenges").exists() or not any((data / "challenges").iterdir())
    assert not (data / "answers").exists() or not any((data / "answers").iterdir())
