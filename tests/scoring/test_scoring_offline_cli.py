"""Offline scoring of a bundle or a published challenge (same split either way), and the scoring CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from challenge_bundles import base_spec, write_bundle
from sklearn.metrics import mean_absolute_error, root_mean_squared_error
from typer.testing import CliRunner

from cli.score import register
from arena.db import Database
from arena.models import Dataset
from arena.settings import Settings
from challenges import assign_split, load_bundle, publish_challenge
from scoring import ScoringError, SubmissionError, score_offline


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(5)
    answers = pd.DataFrame({"enterprise_id": np.arange(100, 160), "revenue": rng.normal(10, 2, 60)})
    spec = base_spec(
        slug="revenue",
        title="Revenue",
        description="README.md",
        task="regression",
        id_column="enterprise_id",
        target_column="revenue",
        metric={"primary": "rmse", "secondary": ["mae"]},
        datasets=["enterprises@1"],
        answers="answers.csv",
        split={"public_fraction": 0.25, "seed": 9},
        phases=[{"name": "open", "start": "2026-01-01", "end": "2026-12-31"}],
    )
    folder = write_bundle(tmp_path / "bundle", spec, answers)
    return folder, answers


def _guess(answers: pd.DataFrame, path: Path) -> np.ndarray:
    guess = answers["revenue"].to_numpy() + np.linspace(-1, 1, len(answers))
    answers.assign(revenue=guess).to_parquet(path, index=False)
    return guess


def test_bundle_scores_match_sklearn_on_the_shared_split(bundle, tmp_path: Path) -> None:
    folder, answers = bundle
    guess = _guess(answers, tmp_path / "sub.parquet")
    result = score_offline(folder, tmp_path / "sub.parquet")
    public = assign_split(answers["enterprise_id"], 0.25, 9) == "public"
    truth = pd.read_csv(folder / "answers.csv")["revenue"]  # what the scorer reads (CSV-rounded)
    assert list(result) == ["public", "private", "all"] and public.sum() == 15
    assert result["public"]["rmse"] == root_mean_squared_error(truth[public], guess[public])
    assert result["private"]["mae"] == mean_absolute_error(truth[~public], guess[~public])
    assert result["all"]["rmse"] == root_mean_squared_error(truth, guess)


def test_offline_reports_bad_input(bundle, tmp_path: Path) -> None:
    folder, answers = bundle
    answers.iloc[:10].to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(SubmissionError, match="50 of 60 ids are missing"):
        score_offline(folder, tmp_path / "short.csv")
    with pytest.raises(ScoringError, match="unknown split 'dev'"):
        score_offline(folder, tmp_path / "short.csv", ["dev"])
    with pytest.raises(ScoringError, match="challenge folder .*nowhere does not exist"):
        score_offline(tmp_path / "nowhere", tmp_path / "short.csv")


def test_invalid_bundle_is_refused_naming_the_row(bundle, tmp_path: Path) -> None:
    folder, answers = bundle
    _guess(answers, tmp_path / "sub.parquet")
    pd.concat([answers, answers.head(1)]).to_csv(folder / "answers.csv", index=False)
    with pytest.raises(ScoringError, match=r"answers\.csv: row 61: duplicate id '100' in 'enterprise_id'"):
        score_offline(folder, tmp_path / "sub.parquet")


def test_bundle_scores_offline_exactly_as_once_published(
    bundle, db: Database, db_settings: Settings, tmp_path: Path
) -> None:
    folder, answers = bundle
    _guess(answers, tmp_path / "sub.parquet")
    with db.session() as session:
        session.add(Dataset(name="enterprises", version=1, checksum="0" * 64, rows=60, card={"kind": "synthetic_replica"}))
    slug = publish_challenge(db, db_settings, load_bundle(folder), actor="organiser")

    offline = score_offline(folder, tmp_path / "sub.parquet")
    published = score_offline(slug, tmp_path / "sub.parquet", settings=db_settings)

    assert slug == "revenue"
    for split in ("public", "private", "all"):
        assert published[split] == offline[split], split
    assert offline["public"] != offline["private"]


def test_published_slug_is_scored_from_the_answers_store(settings: Settings, tmp_path: Path) -> None:
    answers = pd.DataFrame({"id": ["a", "b", "c", "d"], "y": [0, 1, 1, 0]})
    answers["split"] = assign_split(answers["id"], 0.5, 1)
    (settings.answers_dir / "tiny").mkdir(parents=True)
    answers.to_parquet(settings.answers_dir / "tiny" / "answers.parquet")
    (settings.challenges_dir / "tiny").mkdir(parents=True)
    spec = {
        "slug": "tiny",
        "task": "classification",
        "id_column": "id",
        "target_column": "y",
        "metric": {"primary": "accuracy", "secondary": []},
    }
    (settings.challenges_dir / "tiny" / "challenge.json").write_text(json.dumps(spec))
    answers.assign(y=[0, 1, 0, 0]).to_csv(tmp_path / "p.csv", index=False)
    assert score_offline("tiny", tmp_path / "p.csv", ["all"], settings=settings) == {"all": {"accuracy": 0.75}}


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> typer.Typer:
    monkeypatch.setenv("ARENA_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    return app


def test_cli_score_prints_json(cli: typer.Typer, bundle, tmp_path: Path) -> None:
    folder, answers = bundle
    _guess(answers, tmp_path / "sub.parquet")
    result = CliRunner().invoke(
        cli, ["score", str(folder), str(tmp_path / "sub.parquet"), "--split", "public", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) == {"public"}


def test_cli_queue_status_on_an_empty_queue(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["queue-status", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "queued": 0,
        "scoring": 0,
        "scored": 0,
        "failed": 0,
        "oldest_queued_age_seconds": None,
    }
