"""Privacy of a worked example: the replica copies no reference row or identifier, and the hidden
answers reach neither the sandbox-visible stores nor any API response to a competitor."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from reliability_kit import SERVICE, ScriptedHub, auth
from sqlalchemy import select

from arena.accounts import create_user
from arena.db import Database
from arena.models import Score
from arena.settings import Settings
from challenges import answers_path, load_bundle, make_example, publish_challenge
from challenges.examples import people_features
from sandboxes import ensure_sandbox_env
from scoring import Worker, create_app
from scoring.auth import hub_authenticator

SLUG, SEED, PEOPLE = "household-income-band", 5, 600
IDENTIFYING = ("cccd", "phone", "tax_code", "email")  # synthetic's IDENTIFYING_KINDS, plus every *_id key


@dataclass
class Example:
    settings: Settings
    db: Database
    reference: dict[str, pd.DataFrame]
    answers: pd.DataFrame
    client: TestClient


def _published_tables(settings: Settings) -> Iterator[tuple[Path, pd.DataFrame]]:
    for path in sorted(settings.datasets_dir.rglob("*.parquet")):
        yield path, pd.read_parquet(path)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    """The household-income-band example built, published and scored once (SQLite)."""
    root = tmp_path_factory.mktemp("privacy")
    settings = Settings(data_dir=root / "var", embedded_worker=False, _env_file=None)
    db = Database.from_settings(settings)
    db.migrate()
    with db.session() as session:
        create_user(session, "minh", "organiser", None, actor="test")
        create_user(session, "lan", "competitor", None, actor="test")
    folder = make_example(SLUG, SEED, root / "bundles", db, settings, people=PEOPLE)
    publish_challenge(db, settings, load_bundle(folder), actor="minh")
    reference = {p.stem: pd.read_parquet(p) for p in (settings.reference_dir / f"{SLUG}-{SEED}").glob("*.parquet")}
    answers = pd.read_parquet(answers_path(settings, SLUG))
    app = create_app(settings, authenticate=hub_authenticator(ScriptedHub()), db=db, prefix=SERVICE)
    with TestClient(app) as client:
        yield Example(settings, db, reference, answers, client)
    db.dispose()


def test_replica_has_no_exact_copy_of_a_reference_row(example: Example) -> None:
    tables = {p.parent.parent.name: frame for p, frame in _published_tables(example.settings)}
    replica = tables["people_train"]
    source = people_features(
        {name: example.settings.reference_dir / f"{SLUG}-{SEED}" / f"{name}.parquet" for name in example.reference}
    )
    # Identifiers are fresh by construction (checked below): compare on every other shared column.
    shared = [c for c in replica.columns if c in source.columns and c != "person_id"]
    assert len(shared) >= 8 and len(replica) > 100
    copies = replica[shared].astype(str).merge(source[shared].astype(str).drop_duplicates(), how="inner")
    assert len(copies) == 0, f"{len(copies)} replica rows equal a reference row on {shared}"


def test_no_reference_identifier_is_published(example: Example) -> None:
    secrets: set[str] = set()
    for frame in example.reference.values():
        for column in frame.columns:
            if column.endswith("_id") or column in IDENTIFYING:
                secrets |= set(frame[column].dropna().astype(str))
    assert len(secrets) > PEOPLE
    for path, frame in _published_tables(example.settings):
        for column in frame.columns:
            leaked = frame[column].dropna().astype(str).isin(secrets)
            assert not leaked.any(), f"{path.name}:{column} holds {int(leaked.sum())} reference identifiers"


def test_answers_are_in_no_sandbox_visible_file(example: Example) -> None:
    answers = example.answers.astype({"person_id": str, "income_band": str})
    assert not any(
        p in answers_path(example.settings, SLUG).parents
        for p in (example.settings.datasets_dir, example.settings.challenges_dir)
    )
    assert answers_path(example.settings, SLUG).parent.stat().st_mode & 0o077 == 0
    ids = set(answers["person_id"])
    pairs = set(zip(answers["person_id"], answers["income_band"], strict=True))
    visible = [
        p for d in (example.settings.datasets_dir, example.settings.challenges_dir) for p in d.rglob("*") if p.is_file()
    ]
    assert any(p.suffix == ".parquet" for p in visible) and any(p.name == "challenge.json" for p in visible)
    for path in visible:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            if {"person_id", "income_band"} <= set(frame.columns):
                rows = zip(frame["person_id"].astype(str), frame["income_band"].astype(str), strict=True)
                assert not pairs & set(rows), f"{path} holds answer pairs"
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [i for i in ids if i in text], f"{path} names answer ids"


def _code_returning(guess: pd.DataFrame) -> bytes:
    """A code folder (main.py + guess.csv) whose predict returns the guess, packed as .tar.gz."""
    main_py = (
        b"from pathlib import Path\nimport pandas as pd\n\n"
        b"def predict(features):\n    return pd.read_csv(Path(__file__).parent / 'guess.csv')\n"
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("main.py", main_py), ("guess.csv", guess.to_csv(index=False).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.skipif(os.geteuid() != 0, reason="the example is a code challenge: its enclave needs root")
def test_competitor_api_shows_no_answer_and_no_private_score(example: Example) -> None:
    answers, client = example.answers, example.client
    guess = answers[["person_id", "income_band"]].copy()
    spoiled = answers["split"].eq("private") & (answers.index % 3 == 0)  # private scores: irregular, below 1
    labels = sorted(answers["income_band"].unique())
    following = dict(zip(labels, labels[1:] + labels[:1], strict=True))
    guess.loc[spoiled, "income_band"] = guess.loc[spoiled, "income_band"].map(following)
    # The example is a code challenge: the guess rides in the submitted folder and predict returns it.
    posted = client.post(
        f"{SERVICE}/api/challenges/{SLUG}/submissions",
        headers=auth("lan"),
        files={"file": ("code.tar.gz", _code_returning(guess))},
    )
    assert posted.status_code == 202, posted.text
    ensure_sandbox_env(example.settings)
    enclave = example.settings.model_copy(update={"enclave_uid_base": 32500})  # apart from other tests' enclave uids
    assert Worker(example.db, enclave, "privacy").run_once().error is None
    with example.db.session() as session:
        private = {s.metric: s.value for s in session.scalars(select(Score).where(Score.split == "private"))}
        public = {s.metric: s.value for s in session.scalars(select(Score).where(Score.split == "public"))}
    digits = example.settings.score_display_digits
    hidden = {str(round(v, digits)) for m, v in private.items() if round(v, digits) != round(public[m], digits)}
    hidden = {h for h in hidden if len(h) >= 5}  # distinctive values only (not 0.0 or 1.0)
    assert hidden, "the test needs private scores that differ from the public ones"
    private_rows = answers[answers["split"] == "private"]
    base = f"{SERVICE}/api/challenges"
    responses = {
        url: client.get(url, headers=auth("lan"))
        for url in (
            base,
            f"{base}/{SLUG}/submissions",
            f"{base}/{SLUG}/submissions/{posted.json()['id']}",
            f"{base}/{SLUG}/leaderboard?board=public",
            f"{base}/{SLUG}/leaderboard?board=private",
            f"{SERVICE}/health",
            f"{SERVICE}/metrics",
        )
    }
    assert responses[f"{base}/{SLUG}/leaderboard?board=private"].status_code == 403
    for url, response in responses.items():
        assert response.status_code in (200, 403), url
        text = response.text
        assert not [i for i in private_rows["person_id"].astype(str) if i in text], f"{url} names private ids"
        numbers = json.dumps(response.json()) if "json" in response.headers["content-type"] else text
        assert not [h for h in hidden if h in numbers], f"{url} shows a private score"
