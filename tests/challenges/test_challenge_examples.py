"""The worked examples, built end to end on real reference data and real replicas, then published."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from sklearn.metrics import f1_score, root_mean_squared_error
from sqlalchemy import select

from arena.db import Database
from arena.models import Dataset
from arena.settings import Settings
from challenges import ChallengeError, answers_path, load_bundle, make_example, publish_challenge
from challenges.held_out import held_out_features_path

IDENTIFIERS = {"full_name", "cccd", "phone", "household_id", "employer_id", "birth_date", "monthly_income_vnd",
               "product_id", "enterprise_id", "commune_code", "revenue_vnd", "tax_code", "name", "founded"}
EXAMPLE_CASES = {
    "household-income-band": (
        {"none", "low", "middle", "high"}.issubset, lambda truth, pred: f1_score(truth, pred, average="macro")
    ),
    "product-demand": (lambda values: min(values) >= 0, root_mean_squared_error),
    "enterprise-revenue": (lambda values: min(values) > 0, root_mean_squared_error),
}


def _dataset(settings: Settings, ref: str) -> pd.DataFrame:
    name, version = ref.split("@")
    return pd.read_parquet(settings.datasets_dir / name / version / f"{name}.parquet")


@pytest.mark.parametrize(("name", "case"), EXAMPLE_CASES.items(), ids=EXAMPLE_CASES.keys())
def test_example_end_to_end(
    db: Database, db_settings: Settings, tmp_path: Path, name: str, case: tuple[Callable, Callable]
) -> None:
    targets_ok, primary_metric = case

    folder = make_example(name, 7, tmp_path / "examples", db, db_settings, people=400)
    bundle = load_bundle(folder)
    slug = publish_challenge(db, db_settings, bundle, actor="test")

    spec = bundle.spec
    (train_ref,), test_ref = spec.datasets, f"{spec.test_replica}@1"
    train, test = _dataset(db_settings, train_ref), _dataset(db_settings, test_ref)
    real_test = pd.read_parquet(held_out_features_path(db_settings, slug))
    answers = pd.read_parquet(answers_path(db_settings, slug))
    with db.session() as session:
        published = {f"{n}@{v}" for n, v in session.execute(select(Dataset.name, Dataset.version))}
    assert slug == name and spec.is_code and published == {train_ref, test_ref}
    assert spec.target_column in train.columns and spec.target_column not in test.columns
    assert list(test.columns) == list(real_test.columns) and len(test) == len(real_test)
    assert not IDENTIFIERS & (set(train.columns) | set(test.columns) | set(real_test.columns))
    assert set(answers[spec.id_column]) == set(real_test[spec.id_column])
    assert not set(answers[spec.id_column]) & (set(train[spec.id_column]) | set(test[spec.id_column]))
    assert targets_ok(set(answers[spec.target_column]))
    train_name, train_version = train_ref.split("@")
    card = json.loads((db_settings.datasets_dir / train_name / train_version / "card.json").read_text())
    table_card = card["tables"][train_name]
    utility, risks = table_card["utility"], table_card["privacy_risks"]
    assert card["passed"] and card["generator"]["held_out_rows"] == {train_name: len(answers)}
    assert utility["target"] == spec.target_column and utility["test_rows"] == len(answers)
    assert risks["targets"] == len(answers) and {"singling_out", "linkability", "inference"} <= set(risks)
    card_page = (db_settings.datasets_dir / train_name / train_version / "card.md").read_text()
    assert "train on synthetic, test on real" in card_page and "attack risks" in card_page
    notebook = nbformat.reads((folder / "starter.ipynb").read_text(), as_version=4)
    nbformat.validate(notebook)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert "from arena_client import load, smoke_test, submit_code" in sources[0]
    assert f'load("{train_ref.split("@")[0]}")' in sources[0]
    assert f'smoke_test(code_dir, challenge="{name}")' in sources[-2]
    assert f'submit_code(code_dir, challenge="{name}")' in sources[-1]
    namespace: dict = {"train": train, "test": test, "Path": Path}
    for source in sources[1:4]:  # the baseline cells, exactly as competitors get them, writing into a temp home
        exec(source.replace("Path.home()", f"Path({str(tmp_path)!r})"), namespace)  # noqa: S102
    code_dir = tmp_path / f"{name}-code"
    main: dict = {"__file__": str(code_dir / "main.py")}
    exec((code_dir / "main.py").read_text(), main)  # noqa: S102 - main.py as the enclave imports it
    predicted = main["predict"](real_test)
    scored = predicted.merge(answers, on=spec.id_column, suffixes=("_pred", ""))
    documented = re.search(rf"{spec.metric.primary} \*\*([0-9.]+)\*\*", (folder / "description.md").read_text())
    assert documented is not None and len(scored) == len(answers)
    recomputed = primary_metric(scored[spec.target_column], scored[f"{spec.target_column}_pred"])
    assert recomputed == pytest.approx(float(documented[1]), abs=1e-4)
    public_spec = json.loads((db_settings.challenges_dir / slug / "challenge.json").read_text())
    assert public_spec["datasets"] == [train_ref] and public_spec["test_replica"] == spec.test_replica
    assert "test_features" not in public_spec and "answers" not in public_spec
    for path in (answers_path(db_settings, slug), held_out_features_path(db_settings, slug)):
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700


def test_held_out_ids_are_not_reference_ids(db: Database, db_settings: Settings, tmp_path: Path) -> None:
    folder = make_example("household-income-band", 3, tmp_path, db, db_settings, people=300)

    answers = load_bundle(folder).read_answers()

    reference = pd.read_parquet(db_settings.reference_dir / "household-income-band-3" / "people.parquet")
    assert not set(answers["person_id"]) & set(reference["person_id"])
    assert answers["person_id"].str.fullmatch(r"T\d{9}").all()


def test_enterprise_example_scales_the_reference_people(db: Database, db_settings: Settings, tmp_path: Path) -> None:
    folder = make_example("enterprise-revenue", 3, tmp_path, db, db_settings, people=300)

    answers = load_bundle(folder).read_answers()

    reference = db_settings.reference_dir / "enterprise-revenue-3"
    assert len(pd.read_parquet(reference / "people.parquet", columns=["person_id"])) == 300 * 20
    enterprises = len(pd.read_parquet(reference / "enterprises.parquet", columns=["enterprise_id"]))
    assert enterprises >= 100 and len(answers) == round(enterprises * 0.3)


def test_unknown_example(db: Database, db_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ChallengeError, match="unknown example 'nope' \\(known: household-income-band, product-demand"):
        make_example("nope", 1, tmp_path, db, db_settings)
