"""Code mode in challenge.yaml, publishing its test set, and the datasets store taking synthetic replicas only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from challenge_bundles import base_spec, write_bundle
from pydantic import ValidationError
from sqlalchemy import select

from arena.db import Database
from arena.models import AuditEvent, Challenge, Dataset
from arena.settings import Settings
from challenges import BundleError, ChallengeSpec, load_bundle, publish_challenge
from challenges.held_out import check_datasets_store, held_out_features_path, migrate_test_sets
from synthetic import NotAReplicaError, publish_dataset

LEGACY_CARD = {"kind": "held_out_reference_features", "gates": {"source_id_overlap": {"value": 0, "passed": True}}}
"""The card make_example gave the real held-out features it published before code mode."""
CODE_KEYS = {"submission": "code", "test_features": "test_features.parquet", "test_replica": "people_test"}


def _people(rows: int, seed: int = 0) -> pd.DataFrame:
    """Person-like features: ids p0000…, a few categorical and numerical columns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "person_id": [f"p{i:04d}" for i in range(rows)],
            "age": rng.integers(18, 80, rows),
            "region": rng.choice(["north", "centre", "south"], rows),
            "urban": rng.random(rows) < 0.4,
            "hours": rng.normal(40, 8, rows).round(4),
            "savings": rng.lognormal(10, 1.5, rows).round(2),
        }
    )


def _code_bundle(folder: Path, features: pd.DataFrame | None = None, **changes: Any) -> Path:
    rows = 300
    answers = pd.DataFrame({"person_id": [f"p{i:04d}" for i in range(rows)], "income_band": [i % 4 for i in range(rows)]})
    write_bundle(folder, base_spec(**{**CODE_KEYS, **changes}), answers)
    (features if features is not None else _people(rows)).to_parquet(folder / "test_features.parquet", index=False)
    return folder


# --------------------------------------------------------------------------- spec


def test_code_mode_gets_default_limits_and_old_specs_dump_as_before() -> None:
    code = ChallengeSpec.model_validate(base_spec(**CODE_KEYS))
    old = ChallengeSpec.model_validate(base_spec())

    assert code.is_code and code.code is not None and code.code.model_dump() == {
        "wall_seconds": 600, "memory_mb": 2048, "cpus": 1.0, "pids": 256, "output_mb": 64, "scratch_mb": 512,
        "max_upload_mb": 100,
    }  # fmt: skip
    assert not old.is_code and old.model_dump(mode="json") == json.loads(json.dumps(base_spec()))
    assert "test_features" not in code.public_dict() and code.public_dict()["test_replica"] == "people_test"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"submission": "code"}, "submission: code needs test_features and test_replica"),
        ({**CODE_KEYS, "test_replica": None}, "submission: code needs test_replica"),
        ({"test_features": "f.parquet"}, "only apply to submission: code"),
        ({"code": {"wall_seconds": 10}}, "only apply to submission: code"),
        ({**CODE_KEYS, "code": {"wall_seconds": 0}}, "code.wall_seconds: Input should be greater than 0"),
        ({**CODE_KEYS, "code": {"gpu": 1}}, "code.gpu: unknown key"),
        ({**CODE_KEYS, "test_features": "../real.parquet"}, "escapes the bundle folder"),
        ({**CODE_KEYS, "test_replica": "people_test@2"}, "no @version"),
        ({**CODE_KEYS, "datasets": ["people@1", "people_test"]}, "also listed in datasets"),
        ({"submission": "notebook"}, "submission: Input should be 'predictions' or 'code'"),
    ],
)
def test_bad_code_mode_specs_are_refused_with_the_rule(tmp_path: Path, changes: dict, message: str) -> None:
    folder = write_bundle(tmp_path / "b", base_spec(**changes))

    with pytest.raises(BundleError) as refused:
        load_bundle(folder)

    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (_people(300).assign(income_band=1), "holds the target column 'income_band'"),
        (_people(300).drop(columns=["person_id"]), "id_column 'person_id' is missing"),
        (_people(299), "1 answer id(s) have no features row, 0 features id(s) have no answer"),
        (_people(300)[["person_id"]], "no feature column besides 'person_id'"),
    ],
    ids=["target", "no-id", "ids-differ", "no-feature"],
)
def test_bad_test_features_are_refused(tmp_path: Path, features: pd.DataFrame, message: str) -> None:
    with pytest.raises(BundleError) as refused:
        load_bundle(_code_bundle(tmp_path / "b", features))

    assert message in str(refused.value) and "p0" not in str(refused.value)


def test_spec_model_refuses_the_missing_keys_directly() -> None:
    with pytest.raises(ValidationError, match="test_features is the bundle file of the REAL held-out features"):
        ChallengeSpec.model_validate(base_spec(submission="code"))


# --------------------------------------------------------------------------- publishing


@pytest.fixture
def replica_people(db: Database) -> Database:
    """``people@1`` as a synthetic replica (its card's kind), the way the challenges tests reference it."""
    with db.session() as session:
        session.add(Dataset(name="people", version=1, checksum="0" * 64, rows=40, card={"kind": "synthetic_replica"}))
    return db


def test_publishing_a_code_bundle_hides_the_real_features_and_publishes_a_gated_replica(
    replica_people: Database, db_settings: Settings, tmp_path: Path
) -> None:
    db = replica_people
    bundle = load_bundle(_code_bundle(tmp_path / "b"))

    slug = publish_challenge(db, db_settings, bundle, actor="minh")
    again = publish_challenge(db, db_settings, bundle, actor="minh")

    real = pd.read_parquet(held_out_features_path(db_settings, slug))
    store = db_settings.datasets_dir / "people_test" / "1"
    replica = pd.read_parquet(store / "people_test.parquet")
    card = json.loads((store / "card.json").read_text())
    assert again == slug and sorted(p.name for p in (db_settings.datasets_dir / "people_test").iterdir()) == ["1", "latest"]
    assert real.equals(bundle.read_test_features()) and list(replica.columns) == list(real.columns)
    assert len(replica) == len(real) and not set(replica["person_id"]) & set(real["person_id"])
    assert card["kind"] == "synthetic_replica" and card["passed"] and f"challenge {slug!r}" in card["role"]
    assert held_out_features_path(db_settings, slug).stat().st_mode & 0o777 == 0o600
    public = json.loads((db_settings.challenges_dir / slug / "challenge.json").read_text())
    assert public["submission"] == "code" and public["test_replica"] == "people_test" and "test_features" not in public
    assert check_datasets_store(db_settings).ok


def test_the_store_refuses_real_rows_unless_declared_public(db: Database, db_settings: Settings) -> None:
    rows = {"people": _people(20)}

    with pytest.raises(NotAReplicaError, match="not a gated synthetic replica"):
        publish_dataset(db, db_settings, "people", rows, LEGACY_CARD)
    ref = publish_dataset(db, db_settings, "census", rows, {}, public_reason="the published 2019 census sample")

    card = json.loads((db_settings.datasets_dir / "census" / "1" / "card.json").read_text())
    assert ref == "census@1" and card["kind"] == "declared_public"
    assert "Reason: the published 2019 census sample" in (db_settings.datasets_dir / "census" / "1" / "card.md").read_text()
    with db.session() as session:
        declared = session.scalars(select(AuditEvent).where(AuditEvent.action == "dataset.declare_public")).all()
    assert [(event.object, event.detail["reason"]) for event in declared] == [("census@1", "the published 2019 census sample")]
    assert check_datasets_store(db_settings).ok


def _legacy_real_test_set(db: Database, settings: Settings, rows: pd.DataFrame) -> None:
    """``people_test@1`` as make_example published it before code mode: real rows, a held-out card."""
    folder = settings.datasets_dir / "people_test" / "1"
    folder.mkdir(parents=True)
    rows.to_parquet(folder / "people_test.parquet", index=False)
    card = LEGACY_CARD
    (folder / "card.json").write_text(json.dumps(card))
    (settings.datasets_dir / "people_test" / "latest").write_text("1\n")
    index = {"datasets": [{"name": "people_test", "version": 1, "tables": ["people_test"]}]}
    (settings.datasets_dir / "index.json").write_text(json.dumps(index))
    with db.session() as session:
        session.add(Dataset(name="people_test", version=1, checksum="1" * 64, rows=len(rows), card=card))


def test_predictions_bundles_naming_real_rows_are_refused(
    replica_people: Database, db_settings: Settings, tmp_path: Path
) -> None:
    _legacy_real_test_set(replica_people, db_settings, _people(50))
    bundle = load_bundle(write_bundle(tmp_path / "b", base_spec(datasets=["people@1", "people_test@1"])))

    with pytest.raises(BundleError, match="people_test@1 is not a gated synthetic replica nor declared public"):
        publish_challenge(replica_people, db_settings, bundle, actor="minh")


def test_migrating_a_deployment_moves_real_test_sets_to_the_scoring_side(
    replica_people: Database, db_settings: Settings
) -> None:
    db, real = replica_people, _people(300)
    _legacy_real_test_set(db, db_settings, real)
    spec = base_spec(datasets=["people@1", "people_test@1"])
    with db.session() as session:
        session.add(Challenge(slug=spec["slug"], title=spec["title"], spec=spec, answers_digest="0" * 64))
    before = check_datasets_store(db_settings)

    planned = migrate_test_sets(db, db_settings, "minh", dry_run=True)
    report = migrate_test_sets(db, db_settings, "minh")
    second = migrate_test_sets(db, db_settings, "minh")

    slug = spec["slug"]
    assert not before.ok and "people_test@1 (card kind 'held_out_reference_features')" in before.message
    assert planned.moved == report.moved == {"people_test@1": slug} and report.replicas == {slug: "people_test@2"}
    assert second.moved == {} and second.withdrawn == []
    assert pd.read_parquet(held_out_features_path(db_settings, slug)).equals(real)
    assert not (db_settings.datasets_dir / "people_test" / "1").exists()
    replica = pd.read_parquet(db_settings.datasets_dir / "people_test" / "2" / "people_test.parquet")
    assert len(replica) == len(real) and not set(replica["person_id"]) & set(real["person_id"])
    index = json.loads((db_settings.datasets_dir / "index.json").read_text())
    assert [(entry["name"], entry["version"]) for entry in index["datasets"]] == [("people_test", 2)]
    with db.session() as session:
        stored = session.scalar(select(Challenge).where(Challenge.slug == slug)).spec
        actions = session.scalars(select(AuditEvent.action)).all()
    assert stored["submission"] == "code" and stored["test_replica"] == "people_test"
    assert stored["datasets"] == ["people@1"] and ChallengeSpec.model_validate(stored).is_code
    assert "challenge.migrate_test_set" in actions
    assert check_datasets_store(db_settings).ok
