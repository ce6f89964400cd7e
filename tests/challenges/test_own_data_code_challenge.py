"""An organiser's own table, with the CLI only, becomes a code challenge scored on its real rows.

scikit-learn's diabetes sample (442 real patients) is written to CSV; ``arena synth detect /
replicate / publish`` make the training replica; a bundle carries the real held-out features and
answers; ``arena challenge publish`` keeps them on the scoring side and makes the synthetic test
replica through the same gates. A competitor's code, trained on the replica, is then run in the
enclave on the real rows and scored against the real answers.
"""

from __future__ import annotations

import json
import os
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_diabetes
from sqlalchemy import select
from typer.testing import CliRunner

from arena.accounts import create_user
from arena.db import Database
from arena.models import Role, Score, SubmissionState
from arena.settings import Settings
from challenges import assign_split
from cli.challenge import app as challenge_cli
from cli.synth import app as synth_cli
from sandboxes import ensure_sandbox_env
from scoring import Worker, accept_submission

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the enclave needs root")

MAIN_PY = """
    import json
    from pathlib import Path

    import pandas as pd

    MODEL = json.loads((Path(__file__).parent / "model.json").read_text())

    def predict(features):
        score = sum(features[column] * weight for column, weight in MODEL["weights"].items()) + MODEL["intercept"]
        return pd.DataFrame({"patient_id": features["patient_id"], "progression": score})
"""


def _invoke(app, args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"{args}: {result.output} {result.exception!r}"
    return result.output


def _bundle(folder: Path, test: pd.DataFrame) -> Path:
    folder.mkdir()
    spec = {
        "slug": "diabetes-progression",
        "title": "Diabetes progression in a year",
        "description": "description.md",
        "task": "regression",
        "id_column": "patient_id",
        "target_column": "progression",
        "metric": {"primary": "rmse", "secondary": ["mae"]},
        "datasets": ["diabetes_train"],
        "answers": "answers.csv",
        "split": {"public_fraction": 0.4, "seed": 5},
        "phases": [{"name": "open", "start": "2020-01-01", "end": "2099-12-31"}],
        "limits": {"per_day": 5, "total": 20, "final_selection": 1, "team_size": 3},
        "starter_notebook": "starter.ipynb",
        "submission": "code",
        "code": {"wall_seconds": 120, "memory_mb": 1024},
        "test_features": "test_features.csv",
        "test_replica": "diabetes_test",
    }
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec))
    (folder / "description.md").write_text("# Diabetes progression\n")
    (folder / "starter.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    test.drop(columns=["progression"]).to_csv(folder / "test_features.csv", index=False)
    test[["patient_id", "progression"]].to_csv(folder / "answers.csv", index=False)
    return folder


def test_an_organisers_own_table_becomes_a_code_challenge_with_the_cli(
    db: Database, db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_sandbox_env(db_settings)
    settings = db_settings.model_copy(update={"enclave_uid_base": 33000})
    monkeypatch.setenv("ARENA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ARENA_DATABASE_URL", settings.db_url)
    with db.session() as session:
        create_user(session, "olga", Role.organiser, None)
        create_user(session, "lan", Role.competitor, None)
    real = load_diabetes(as_frame=True, scaled=False).frame.rename(columns={"target": "progression"})
    real.insert(0, "patient_id", [f"D{number:04d}" for number in np.random.default_rng(1).permutation(len(real))])
    order = np.random.default_rng(2).permutation(len(real))
    train, test = real.iloc[order[130:]], real.iloc[order[:130]]
    train.to_csv(tmp_path / "diabetes.csv", index=False)

    _invoke(synth_cli, ["detect", str(tmp_path / "diabetes.csv"), "--out", str(tmp_path / "meta.yaml")])
    _invoke(synth_cli, ["replicate", str(tmp_path / "diabetes.csv"), "--metadata", str(tmp_path / "meta.yaml"),
                        "--rows", str(len(train)), "--out", str(tmp_path / "replica"), "--seed", "3"])  # fmt: skip
    _invoke(synth_cli, ["publish", str(tmp_path / "replica"), "--name", "diabetes_train"])
    bundle = _bundle(tmp_path / "bundle", test)
    _invoke(challenge_cli, ["validate", str(bundle)])
    published = _invoke(challenge_cli, ["publish", str(bundle), "--actor", "olga"])

    replica_train = pd.read_parquet(settings.datasets_dir / "diabetes_train" / "1" / "diabetes_train.parquet")
    replica_test = pd.read_parquet(settings.datasets_dir / "diabetes_test" / "1" / "diabetes_test.parquet")
    features = [column for column in replica_test.columns if column != "patient_id"]
    x = np.column_stack([replica_train[features].to_numpy(float), np.ones(len(replica_train))])
    weights, *_ = np.linalg.lstsq(x, replica_train["progression"].to_numpy(float), rcond=None)
    code = tmp_path / "code"
    code.mkdir()
    (code / "main.py").write_text(textwrap.dedent(MAIN_PY))
    model = {"weights": dict(zip(features, weights[:-1].tolist(), strict=True)), "intercept": float(weights[-1])}
    (code / "model.json").write_text(json.dumps(model))
    archive = tmp_path / "code.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for name in ("main.py", "model.json"):
            packed.write(code / name, arcname=name)
    with archive.open("rb") as stream:
        accept_submission(db, settings, "diabetes-progression", "lan", stream, "code.zip")
    done = Worker(db, settings, "w").run_once()

    errors = test["progression"].to_numpy(float) - (test[features].to_numpy(float) @ weights[:-1] + weights[-1])
    split = assign_split(test["patient_id"].reset_index(drop=True), 0.4, 5).to_numpy()
    expected = {name: float(np.sqrt(np.mean(errors[split == name] ** 2))) for name in ("public", "private")}
    with db.session() as session:
        rows = session.scalars(select(Score).where(Score.submission_id == done.id, Score.metric == "rmse")).all()
        scores = {row.split: row.value for row in rows}
    assert "challenge 'diabetes-progression' published" in published
    assert (done.state, done.outcome) == (SubmissionState.scored, "ok")
    assert scores == pytest.approx(expected, rel=1e-6)  # scored on the real held-out rows
    assert not set(replica_test["patient_id"].astype(str)) & set(real["patient_id"])
    assert not set(replica_train["patient_id"].astype(str)) & set(real["patient_id"])
    assert (settings.answers_dir / "diabetes-progression" / "test_features.parquet").stat().st_mode & 0o777 == 0o600
