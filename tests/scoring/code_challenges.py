"""Helpers of the code-submission tests: a code challenge published by hand, archives of a ``main.py``."""

from __future__ import annotations

import io
import tarfile
import textwrap
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from arena.db import Database
from arena.models import Challenge, Phase, utcnow
from arena.settings import Settings
from challenges import assign_split
from challenges.held_out import held_out_features_path, write_scoring_side

__all__ = ["ROWS", "SENTINEL", "UID_BASE", "CodeChallenge", "archive_of", "code_settings", "publish_code_challenge"]

SENTINEL = "Zq9RealSentinel"
"""A recognisable value in every row of the real test features: it must never reach a competitor."""
ROWS = 30
UID_BASE = 32000
"""Enclave uids of these tests (apart from the default 30000 and the enclave tests' 31000)."""


@dataclass(frozen=True)
class CodeChallenge:
    """A published code challenge: its stored spec and its real test features."""

    spec: dict[str, Any]
    features: pd.DataFrame


def code_settings(settings: Settings, **changes: Any) -> Settings:
    """``settings`` with the enclave uids of these tests (and any other change)."""
    return settings.model_copy(update={"enclave_uid_base": UID_BASE, **changes})


def publish_code_challenge(
    db: Database,
    settings: Settings,
    slug: str = "people-code",
    *,
    wall_seconds: int = 60,
    limits: dict[str, int] | None = None,
) -> CodeChallenge:
    """A regression code challenge (target ``label`` = ``age`` / 2) with its real features and answers on the
    scoring side, as :func:`challenges.publish_challenge` lays them out (the synthetic replica is not needed here)."""
    ids = [f"T{index:05d}" for index in range(ROWS)]
    features = pd.DataFrame(
        {"person_id": ids, "age": range(20, 20 + ROWS), "nickname": [f"{SENTINEL}{index}" for index in range(ROWS)]}
    )
    answers = pd.DataFrame({"person_id": ids, "label": [age / 2 for age in features["age"]]})
    answers["split"] = assign_split(answers["person_id"], 0.5, 1)
    write_scoring_side(answers, settings.answers_dir / slug / "answers.parquet")
    write_scoring_side(features, held_out_features_path(settings, slug))
    spec = {
        "slug": slug,
        "title": f"Code challenge {slug}",
        "task": "regression",
        "id_column": "person_id",
        "target_column": "label",
        "metric": {"primary": "rmse", "secondary": ["mae"]},
        "datasets": ["people@1"],
        "split": {"public_fraction": 0.5, "seed": 1},
        "phases": [],
        "limits": limits or {"per_day": 50, "total": 100, "final_selection": 2, "team_size": 3},
        "submission": "code",
        "code": {"wall_seconds": wall_seconds, "memory_mb": 1024, "max_upload_mb": 5},
        "test_features": "test_features.parquet",
        "test_replica": "people_code_test",
    }
    with db.session() as session:
        challenge = Challenge(slug=slug, title=spec["title"], spec=spec, answers_digest="0" * 64)
        start = utcnow() - timedelta(days=1)
        challenge.phases.append(Phase(name="development", starts_at=start, ends_at=start + timedelta(days=7)))
        session.add(challenge)
    return CodeChallenge(spec, features)


def archive_of(folder: Path, main_py: str, files: dict[str, bytes] | None = None) -> Path:
    """Write ``main.py`` (dedented) and ``files`` into ``folder`` and pack it as ``<folder>.tar.gz``."""
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(textwrap.dedent(main_py))
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.iterdir()):
            archive.add(path, arcname=path.name)
    target = folder.with_name(folder.name + ".tar.gz")
    target.write_bytes(buffer.getvalue())
    return target
