"""Helpers shared by the reliability tests: the bad-input corpus, the valid base bundle, a scripted
hub behind HubAuth's interface, the served app and the in-process CLI runner."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from challenge_bundles import base_spec as shared_base_spec
from challenge_bundles import open_phases
from challenge_bundles import write_bundle as write_shared_bundle
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tornado.web import HTTPError

from arena.db import Database
from arena.models import Score, Submission
from arena.settings import Settings
from cli import main
from scoring import Worker

CORPUS_DIR = Path(__file__).parent.parent / "corpus"
SLUG = "household-income-band"
SERVICE = "/services/scoring"


def _load_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("arena_test_corpus", CORPUS_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()


def base_spec() -> dict[str, Any]:
    """A valid challenge.yaml whose development phase is open now (4 submissions a day, 10 in all)."""
    limits = {"per_day": 4, "total": 10, "final_selection": 2, "team_size": 3}
    return shared_base_spec(slug=SLUG, phases=open_phases(), limits=limits)


def write_bundle(folder: Path, spec: dict[str, Any] | None = None) -> Path:
    """Write the valid base bundle (answers: the corpus' 40 people) into ``folder``."""
    return write_shared_bundle(folder, spec or base_spec(), corpus.good_frame())


ROLES = {
    "minh": "organiser",
    "root": "admin",
    "hoa": "judge",
    "lan": "competitor",
    "tuan": "competitor",
    "other": "competitor",
}
SCOPE = "access:services!service=scoring"
LEADERBOARD_TOKEN = "tok-board"
"""The leaderboard service's own token (a service, not a user: it may name an acting user)."""


class ScriptedHub:
    """Stands in for the hub's REST API behind HubAuth's interface (``user_for_token`` etc.)."""

    api_url = "http://127.0.0.1:8081/hub/api"
    access_scopes = frozenset({SCOPE})

    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, Any] | None] = {
            f"tok-{name}": {"name": name, "scopes": [SCOPE]} for name in ROLES
        }
        self.tokens["tok-expired"] = None  # the hub answers 404 for an expired token: HubAuth returns None
        self.tokens["tok-noscope"] = {"name": "lan", "scopes": ["read:users"]}
        self.tokens["tok-stranger"] = {"name": "stranger", "scopes": [SCOPE]}  # hub user, no arena account
        self.tokens[LEADERBOARD_TOKEN] = {"kind": "service", "name": "leaderboard", "scopes": [SCOPE]}

    def user_for_token(self, token: str, use_cache: bool = True, *, sync: bool = True) -> dict[str, Any] | None:
        if token == "tok-hubdown":
            raise HTTPError(502, "Failed to connect to Hub API")
        return self.tokens.get(token)

    def check_scopes(self, required: Any, model: dict[str, Any]) -> set[str]:
        return set(required) & set(model.get("scopes", []))


def auth(name: str) -> dict[str, str]:
    """Authorization header with the token of ``name`` (a ROLES user or a ScriptedHub special)."""
    return {"Authorization": f"token tok-{name}"}


@dataclass
class Service:
    """A published challenge, its database and settings, and a client of the scoring app."""

    db: Database
    settings: Settings
    client: TestClient
    bundle: Path

    def submit(self, user: str, content: bytes, filename: str = "s.csv") -> Any:
        return self.client.post(
            f"{SERVICE}/api/challenges/{SLUG}/submissions",
            files={"file": (filename, content, "application/octet-stream")},
            headers=auth(user),
        )

    def work(self) -> Submission | None:
        return Worker(self.db, self.settings, "reliability").run_once()

    def counts(self) -> dict[str, int]:
        """Rows of every table that must never lose anything, and stored files."""
        with self.db.session() as session:
            rows = {
                model.__name__: session.scalar(select(func.count()).select_from(model)) for model in (Submission, Score)
            }
        stored = [p for p in self.settings.submissions_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"]
        rows["files"] = len(stored)
        rows["staging"] = len(list((self.settings.submissions_dir / "tmp").glob("*")))
        return rows


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str
) -> tuple[int, str, str]:
    """Run ``arena ARGS`` in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("ARENA_DATA_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setattr(sys, "argv", ["arena", *args])
    with pytest.raises(SystemExit) as exited:
        main()
        sys.exit(0)
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err
