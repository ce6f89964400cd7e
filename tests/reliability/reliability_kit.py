"""Helpers shared by the reliability tests: the bad-input corpus, the valid base bundle, a scripted
hub behind HubAuth's interface, the served app, the in-process CLI runner and the known bugs."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tornado.web import HTTPError

from arena.cli import main
from arena.db import Database
from arena.models import Score, Submission
from arena.settings import Settings
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
    """A valid challenge.yaml whose development phase is open now."""
    today = datetime.now(UTC).date()
    return {
        "slug": SLUG,
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
            {
                "name": "development",
                "start": (today - timedelta(days=1)).isoformat(),
                "end": (today + timedelta(days=30)).isoformat(),
            },
        ],
        "limits": {"per_day": 4, "total": 10, "final_selection": 2, "team_size": 3},
        "starter_notebook": "starter.ipynb",
    }


def write_bundle(folder: Path, spec: dict[str, Any] | None = None) -> Path:
    """Write the valid base bundle (answers: the corpus' 40 people) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec or base_spec()), encoding="utf-8")
    (folder / "description.md").write_text("# Predict the income band\n", encoding="utf-8")
    (folder / "starter.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}), encoding="utf-8")
    corpus.good_frame().to_parquet(folder / "answers.parquet", index=False)
    return folder


ROLES = {
    "minh": "organiser",
    "root": "admin",
    "hoa": "judge",
    "lan": "competitor",
    "tuan": "competitor",
    "other": "competitor",
}
SCOPE = "access:services!service=scoring"


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

    def user_for_token(self, token: str, sync: bool = True) -> dict[str, Any] | None:
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


DUPLICATE_COLUMNS_BUG = (
    "a CSV whose header repeats a column name (e.g. person_id,income_band,income_band, or b'\\np0000,p0000\\n') "
    "crashes scoring/validation.py _read_csv_arrow (`frame[column].dtype` is a DataFrame for a repeated name) "
    "with AttributeError instead of a SubmissionError: a traceback from `arena score`, "
    "'internal error while scoring: AttributeError …' from the worker"
)
KNOWN_BUGS = {"duplicate_column_names.csv": DUPLICATE_COLUMNS_BUG}
TWO_LINE_BUG = (
    "the SubmissionError message embeds the parser's own message with its trailing newline "
    "('… (Error tokenizing data …\\n)' / '… (Couldn't deserialize thrift …\\n)'), so `arena score` prints a "
    "two-line error; the Parquet one also names the absolute path of the stored file"
)
CLI_BUGS = {**KNOWN_BUGS, "ragged_rows.csv": TWO_LINE_BUG, "parquet_corrupt_footer.parquet": TWO_LINE_BUG}


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
