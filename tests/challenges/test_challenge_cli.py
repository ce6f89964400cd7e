"""``arena challenge``: validate, publish, list, close through the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arena.cli.challenge import app
from arena.db import Database
from arena.models import Dataset
from arena.settings import Settings
from challenges import BundleError

BundleMaker = Callable[..., Path]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_settings: Settings) -> Settings:
    """Point the CLI's settings at the test data dir and database, with ``people@1`` published."""
    monkeypatch.setenv("ARENA_DATA_DIR", str(db_settings.data_dir))
    monkeypatch.setenv("ARENA_DATABASE_URL", db_settings.db_url)
    db = Database(db_settings.db_url)
    db.migrate()
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40))
    db.dispose()
    return db_settings


def test_validate_publish_list_close(make_bundle: BundleMaker, cli_env: Settings) -> None:
    runner, folder = CliRunner(), str(make_bundle())

    validated = runner.invoke(app, ["validate", folder])
    published = runner.invoke(app, ["publish", folder])
    listed = runner.invoke(app, ["list"])
    closed = runner.invoke(app, ["close", "household-income-band"])

    assert validated.exit_code == 0 and "'household-income-band' is valid (40 answer rows" in validated.output
    assert published.exit_code == 0 and "published" in published.output
    assert listed.output.startswith("household-income-band\tv1\tpublished\tclassification\t")
    assert closed.exit_code == 0 and "closed at" in closed.output


def test_bad_bundle_raises_arena_error(make_bundle: BundleMaker, cli_env: Settings) -> None:
    folder = make_bundle({"split": {"public_fraction": 2, "seed": 1}})

    result = CliRunner().invoke(app, ["validate", str(folder)])

    assert isinstance(result.exception, BundleError)
    assert "public_fraction 2.0 must be strictly between 0 and 1" in str(result.exception)


def test_make_example_and_publish(cli_env: Settings, tmp_path: Path) -> None:
    out = tmp_path / "examples"

    result = CliRunner().invoke(
        app, ["make-example", "household-income-band", "--seed", "5", "--people", "300", "--out", str(out), "--publish"]
    )

    assert result.exit_code == 0, result.output
    assert f"example bundle written to {out / 'household-income-band'}" in result.output
    assert "challenge 'household-income-band' published" in result.output
    assert (cli_env.challenges_dir / "household-income-band" / "starter.ipynb").is_file()
