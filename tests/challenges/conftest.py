"""Fixtures of the challenges tests: a valid bundle folder to spoil, a published dataset, users,
and submissions scored through the scoring room's public API."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from arena.accounts import create_user
from arena.db import Database
from arena.models import Dataset, Role, Submission
from arena.settings import Settings
from challenges import load_bundle, publish_challenge
from scoring import Worker, accept_submission

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


USERS = {
    "minh": Role.organiser,
    "root-admin": Role.admin,
    "hoa": Role.judge,
    "lan": Role.competitor,
    "tuan": Role.competitor,
}


@pytest.fixture
def users(people_published: Database) -> Database:
    """The database with ``people@1`` and the users of :data:`USERS` (organiser minh, admin root-admin,
    judge hoa, competitors lan and tuan)."""
    with people_published.session() as session:
        for name, role in USERS.items():
            create_user(session, name, role, None, actor="test")
    return people_published


@pytest.fixture
def open_spec() -> dict[str, Any]:
    """challenge.yaml changes giving a phase open now (submissions are accepted)."""
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=1), today + timedelta(days=30)
    return {"phases": [{"name": "development", "start": start.isoformat(), "end": end.isoformat()}]}


@pytest.fixture
def published_open(make_bundle: BundleMaker, open_spec: dict[str, Any], users: Database, db_settings: Settings) -> str:
    """Slug of the base bundle with a phase open now, published by organiser minh."""
    return publish_challenge(users, db_settings, load_bundle(make_bundle(open_spec)), actor="minh")


Scorer = Callable[[str, str, pd.DataFrame], Submission]


@pytest.fixture
def submit_scored(db: Database, db_settings: Settings) -> Scorer:
    """Submit ``predictions`` as ``user`` to ``slug`` and score it with a real worker."""

    def submit(slug: str, user: str, predictions: pd.DataFrame) -> Submission:
        stream = io.BytesIO(predictions.to_csv(index=False).encode())
        accepted = accept_submission(db, db_settings, slug, user, stream, f"{user}.csv")
        scored = Worker(db, db_settings, "test-worker").run_once()
        assert scored is not None and scored.id == accepted.id, "the worker scored another submission"
        return scored

    return submit
