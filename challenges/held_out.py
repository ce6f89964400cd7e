"""The test set of a code challenge: real features on the scoring side, a gated synthetic replica in the store.

In code mode the held-out features are real rows: they go next to the hidden answers
(``<answers_dir>/<slug>/test_features.parquet``, folder 0700, file 0600) where only the enclave
run of a competitor's code reads them. What sandboxes see under the spec's ``test_replica`` name
is a synthetic replica of them, made and gated like any replica (:func:`synthetic.replicate`).

:func:`migrate_test_sets` moves a deployment published before code mode onto this layout: real
``*_test`` datasets leave the store for the scoring side and are replaced by gated replicas.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

import synthetic
from arena.db import Database, audit
from arena.health import CheckResult
from arena.models import Challenge, Dataset
from arena.parquet import read_parquet
from arena.settings import Settings
from challenges.errors import ChallengeError

__all__ = [
    "TEST_FEATURES_FILE",
    "check_datasets_store",
    "MigrationReport",
    "migrate_test_sets",
    "publish_test_replica",
    "real_datasets",
    "held_out_features_path",
    "write_scoring_side",
]

TEST_FEATURES_FILE = "test_features.parquet"


def held_out_features_path(settings: Settings, slug: str) -> Path:
    """Where the real test features of code challenge ``slug`` live (scoring side only)."""
    return settings.answers_dir / slug / TEST_FEATURES_FILE


def write_scoring_side(frame: pd.DataFrame, path: Path) -> None:
    """Write a table of real rows on the scoring side: folders 0700, the file 0600, atomically."""
    for folder in (path.parent.parent, path.parent):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    partial = path.with_name(path.name + ".partial")
    frame.to_parquet(partial, index=False)
    partial.chmod(0o600)
    os.replace(partial, path)


def publish_test_replica(
    db: Database,
    settings: Settings,
    name: str,
    features: pd.DataFrame,
    *,
    slug: str,
    seed: int,
    actor: str,
    override_reason: str | None = None,
) -> str:
    """Fit, gate and publish a synthetic replica of real test features as the next version of ``name``.

    The replica has as many rows as the features and the same columns; its id column is
    regenerated (fresh ids, never a real one). It passes the same gates as any replica.

    Args:
        override_reason: Publish despite failing gates (the spec's ``test_replica_override_reason``;
            stored on the card and audited).

    Returns:
        ``"name@version"``.

    Raises:
        GateFailedError: the replica fails a gate and no override reason was given (nothing is published).
    """
    tables = {name: features.reset_index(drop=True)}
    metadata = synthetic.detect_metadata(tables)
    replica, card = synthetic.replicate(tables, metadata, len(features), seed)
    card["role"] = f"synthetic replica of the held-out test features of challenge {slug!r}"
    return synthetic.publish_dataset(db, settings, name, replica, card, override_reason=override_reason, actor=actor)


def real_datasets(db: Database) -> list[Dataset]:
    """Every published dataset version whose card is neither a synthetic replica's nor declared public."""
    with db.session() as session:
        rows = session.scalars(select(Dataset).order_by(Dataset.name, Dataset.version)).all()
    return [
        row
        for row in rows
        if not (row.card or {}).get("withdrawn")
        and not synthetic.is_synthetic_replica(row.card or {})
        and not synthetic.is_declared_public(row.card or {})
    ]


@dataclass
class MigrationReport:
    """What :func:`migrate_test_sets` did (or, with ``dry_run``, would do)."""

    moved: dict[str, str] = field(default_factory=dict)
    """Real dataset ``name@version`` → challenge slug whose scoring side now holds its rows."""
    replicas: dict[str, str] = field(default_factory=dict)
    """Challenge slug → the synthetic replica published in place of its real test set."""
    withdrawn: list[str] = field(default_factory=list)
    """Real dataset versions no challenge uses, taken out of the store (kept on the scoring side)."""


def _referencing(db: Database, name: str) -> list[Challenge]:
    with db.session() as session:
        rows = session.scalars(select(Challenge).order_by(Challenge.slug)).all()
    return [row for row in rows if any(ref.partition("@")[0] == name for ref in row.spec.get("datasets", []))]


def _read_store_table(settings: Settings, row: Dataset) -> pd.DataFrame:
    folder = settings.datasets_dir / row.name / str(row.version)
    tables = sorted(folder.glob("*.parquet"))
    if len(tables) != 1:
        raise ChallengeError(
            f"dataset {row.name}@{row.version}: expected one table in {folder}, found {len(tables)}; migrate it by hand"
        )
    return read_parquet(tables[0])


def _remove_from_store(db: Database, settings: Settings, row: Dataset) -> None:
    """Delete a version's files from the store and from index.json; its database row stays, marked withdrawn."""
    with db.session() as session:
        stored = session.get(Dataset, row.id)
        stored.card = {**(stored.card or {}), "withdrawn": True}
    store = settings.datasets_dir
    shutil.rmtree(store / row.name / str(row.version), ignore_errors=True)
    index_path = store / "index.json"
    if index_path.is_file():
        index = json.loads(index_path.read_text(encoding="utf-8"))
        index["datasets"] = [
            entry for entry in index["datasets"] if (entry["name"], entry["version"]) != (row.name, row.version)
        ]
        partial = index_path.with_name(".index.json.tmp")
        partial.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        partial.chmod(0o644)
        os.replace(partial, index_path)


def _code_spec(spec: dict[str, Any], name: str) -> dict[str, Any]:
    datasets = [ref for ref in spec.get("datasets", []) if ref.partition("@")[0] != name]
    return {
        **spec,
        "datasets": datasets,
        "submission": "code",
        "code": spec.get("code") or {},
        "test_features": TEST_FEATURES_FILE,
        "test_replica": name,
    }


def _migrate_one(db: Database, settings: Settings, row: Dataset, actor: str, report: MigrationReport) -> None:
    ref = f"{row.name}@{row.version}"
    frame = _read_store_table(settings, row)
    challenges = _referencing(db, row.name)
    if not challenges:
        write_scoring_side(frame, settings.answers_dir / "_withdrawn" / f"{row.name}@{row.version}.parquet")
        _remove_from_store(db, settings, row)
        with db.session() as session:
            audit(session, actor, "dataset.withdraw", ref, reason="real rows in the datasets store", rows=len(frame))
        report.withdrawn.append(ref)
        return
    for challenge in challenges:
        spec = challenge.spec
        if spec["id_column"] not in frame.columns:
            raise ChallengeError(f"{ref}: has no id column {spec['id_column']!r} of challenge {challenge.slug!r}")
        write_scoring_side(frame, held_out_features_path(settings, challenge.slug))
        replica = publish_test_replica(
            db, settings, row.name, frame, slug=challenge.slug, seed=spec["split"]["seed"], actor=actor
        )
        with db.session() as session:
            stored = session.get(Challenge, challenge.id)
            stored.spec = _code_spec(spec, row.name)
            audit(
                session, actor, "challenge.migrate_test_set", challenge.slug,
                real_dataset=ref, replica=replica, rows=len(frame),
            )  # fmt: skip
        public = settings.challenges_dir / challenge.slug / "challenge.json"
        if public.is_file():
            shown = {key: value for key, value in _code_spec(spec, row.name).items()
                     if key not in ("answers", "test_features")}  # fmt: skip
            public.write_text(json.dumps(shown, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        report.moved[ref], report.replicas[challenge.slug] = challenge.slug, replica
    _remove_from_store(db, settings, row)


def migrate_test_sets(db: Database, settings: Settings, actor: str, *, dry_run: bool = False) -> MigrationReport:
    """Take every real dataset out of the store; a challenge's real test set becomes a code-mode test set.

    For each published dataset version whose card is not a gated synthetic replica (nor
    declared public): when challenges list it in ``datasets``, its rows move to each such
    challenge's scoring side as the real test features, a gated synthetic replica of them is
    published under the same name (next version), and the challenge switches to code mode
    (``test_replica`` = that name). A real dataset no challenge uses is withdrawn (its rows kept
    on the scoring side under ``_withdrawn/``). The real version's files leave the store and its
    index; every step is audited.

    Args:
        db: The platform database.
        settings: Where the stores live.
        actor: The organiser or admin migrating (audit log).
        dry_run: Only report what would be done.

    Returns:
        What was (or would be) moved, replaced and withdrawn.

    Raises:
        ChallengeError: a real dataset does not hold one table with the challenge's id column.
        GateFailedError: a replica fails its gates (that dataset stays as it was).
    """
    report = MigrationReport()
    for row in real_datasets(db):
        if dry_run:
            users = _referencing(db, row.name)
            ref = f"{row.name}@{row.version}"
            if users:
                report.moved.update({ref: challenge.slug for challenge in users})
            else:
                report.withdrawn.append(ref)
            continue
        _migrate_one(db, settings, row, actor, report)
    return report


def _store_problem(folder: Path) -> str | None:
    card_path = folder / "card.json"
    if not card_path.is_file():
        return "no card.json"
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except ValueError:
        return "card.json is not JSON"
    if synthetic.is_synthetic_replica(card) or synthetic.is_declared_public(card):
        return None
    return f"card kind {card.get('kind') or 'unknown'!r}"


def check_datasets_store(settings: Settings) -> CheckResult:
    """Every version folder in the datasets store (what sandboxes mount) has a synthetic replica's card or a public declaration."""
    store = settings.datasets_dir
    if not store.is_dir():
        return CheckResult("datasets", True, f"{store} does not exist yet: nothing published")
    versions = sorted(path for path in store.glob("*/*") if path.is_dir() and path.name.isdigit())
    problems = [f"{folder.parent.name}@{folder.name} ({why})" for folder in versions if (why := _store_problem(folder))]
    if problems:
        return CheckResult(
            "datasets",
            False,
            f"{len(problems)} dataset version(s) in {store} are not synthetic replicas: {', '.join(problems)}; "
            "sandboxes see them: run `arena challenge migrate-test-sets --actor ORGANISER`",
        )
    return CheckResult("datasets", True, f"{len(versions)} dataset version(s), each a synthetic replica or declared public")
