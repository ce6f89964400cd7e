"""Reliability fixtures: a valid base bundle, the big corpus entries, and a published challenge
served by the real scoring app with the real hub authenticator over a scripted hub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reliability_kit import ROLES, SERVICE, ScriptedHub, Service, corpus, write_bundle

from arena.accounts import create_user
from arena.db import Database
from arena.models import Dataset
from arena.settings import Settings
from challenges import load_bundle, publish_challenge
from scoring import create_app
from scoring.auth import hub_authenticator


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A valid bundle folder (not published)."""
    return write_bundle(tmp_path / "bundle")


@pytest.fixture(scope="session")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Generator of the big entries (each made once per session, in a temporary folder)."""
    folder = tmp_path_factory.mktemp("big-corpus")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = corpus.write_big(folder, name)
        return made[name]

    return get


@pytest.fixture
def service(db: Database, db_settings: Settings, tmp_path: Path) -> Iterator[Service]:
    """The base bundle published by organiser minh, users of ROLES, the app with the scripted hub."""
    settings = db_settings.model_copy(update={"embedded_worker": False, "submission_max_bytes": 4 * 1024**2})
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
        for name, role in ROLES.items():
            create_user(session, name, role, None, actor="test")
    folder = write_bundle(tmp_path / "published-bundle")
    publish_challenge(db, settings, load_bundle(folder), actor="minh")
    app = create_app(settings, authenticate=hub_authenticator(ScriptedHub()), db=db, prefix=SERVICE)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(db, settings, client, folder)
