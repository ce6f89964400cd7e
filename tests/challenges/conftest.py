"""Fixtures of the challenges tests: a valid bundle folder to spoil, and a published dataset."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from arena.db import Database
from arena.models import Dataset

BASE_SPEC: dict[str, Any] = {
    "slug": "household-income-band",
    "title": "Household income band",
    "description": "description.md",
    "task": "classification",
    "id_column": "person_id",
    "target_column": "income_band",
    "metric": {"primary": "f1_macro", "secondary": ["accuracy"]},
    "datasets": ["people@1"],
    "answers": "answers.parquet",
    "split": {"public_fraction": 0.3, "seed": 7},
    "phases": [
        {"name": "development", "start": "2026-12-01", "end": "2027-01-31"},
        {"name": "final", "start": "2027-02-01", "end": "2027-02-07"},
    ],
    "limits": {"per_day": 5, "total": 100, "final_selection": 2, "team_size": 5},
    "starter_notebook": "starter.ipynb",
}

BundleMaker = Callable[..., Path]


def _answers(rows: int = 40) -> pd.DataFrame:
    return pd.DataFrame({"person_id": [f"p{i:04d}" for i in range(rows)], "income_band": [i % 4 for i in range(rows)]})


@pytest.fixture
def answers_frame() -> Callable[..., pd.DataFrame]:
    """Build answers of ``rows`` people (ids p0000…) with four income bands."""
    return _answers


@pytest.fixture
def base_spec() -> dict[str, Any]:
    """A copy of the valid challenge.yaml content the bundles start from."""
    return json.loads(json.dumps(BASE_SPEC))


@pytest.fixture
def make_bundle(tmp_path: Path) -> BundleMaker:
    """Write a valid bundle folder; keyword ``spec`` updates the YAML, ``answers`` replaces the answers."""

    def make(spec: dict[str, Any] | None = None, answers: pd.DataFrame | None = None, name: str = "bundle") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        data = {**BASE_SPEC, **(spec or {})}
        (folder / "challenge.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        (folder / "description.md").write_text("# Predict the income band\n", encoding="utf-8")
        (folder / "starter.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}), encoding="utf-8")
        (answers if answers is not None else _answers()).to_parquet(folder / "answers.parquet", index=False)
        return folder

    return make


@pytest.fixture
def people_published(db: Database) -> Database:
    """The database with dataset ``people@1`` published."""
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40))
    return db
