"""Fixtures of the challenges tests: a valid bundle folder to spoil, a published dataset, users,
and submissions scored through the scoring room's public API."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from challenge_bundles import answers_frame as shared_answers
from challenge_bundles import base_spec as shared_base_spec
from challenge_bundles import open_phases, write_bundle

from arena.accounts import create_user
from arena.db import Database
from arena.models import Dataset, Role, Submission
from arena.settings import Settings
from challenges import load_bundle, publish_challenge
from scoring import Worker, accept_submission

BundleMaker = Callable[..., Path]


@pytest.fixture
def answers_frame() -> Callable[..., pd.DataFrame]:
    """Build answers of ``rows`` people (ids p0000…) with four income bands."""
    return shared_answers


@pytest.fixture
def base_spec() -> dict[str, Any]:
    """A copy of the valid challenge.yaml content the bundles start from."""
    return shared_base_spec()


@pytest.fixture
def make_bundle(tmp_path: Path) -> BundleMaker:
    """Write a valid bundle folder; keyword ``spec`` updates the YAML, ``answers`` replaces the answers."""

    def make(spec: dict[str, Any] | None = None, answers: pd.DataFrame | None = None, name: str = "bundle") -> Path:
        return write_bundle(tmp_path / name, shared_base_spec(**(spec or {})), answers)

    return make


@pytest.fixture
def people_published(db: Database) -> Database:
    """The database with dataset ``people@1`` published."""
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
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
    return {"phases": open_phases()}


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
