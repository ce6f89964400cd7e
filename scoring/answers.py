"""Read the hidden answers of a published challenge (scoring side only; every read is audited)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from arena.parquet import read_parquet
from arena.settings import Settings
from scoring.errors import ScoringError

__all__ = ["published_answers_path", "published_features_path", "read_published_answers"]


def published_answers_path(settings: Settings, slug: str) -> Path:
    """``<answers_dir>/<slug>/answers.parquet``."""
    return settings.answers_dir / slug / "answers.parquet"


def published_features_path(settings: Settings, slug: str) -> Path:
    """``<answers_dir>/<slug>/test_features.parquet``: a code challenge's real test features (enclave runs only)."""
    return settings.answers_dir / slug / "test_features.parquet"


def read_published_answers(settings: Settings, spec: dict) -> pd.DataFrame:
    """The published answers of a challenge, ids as strings.

    Raises:
        ScoringError: the file is missing, unreadable or lacks a required column.
    """
    path = published_answers_path(settings, spec["slug"])
    try:
        answers = read_parquet(path)
    except (OSError, pa.ArrowException) as error:
        raise ScoringError(f"answers of challenge {spec['slug']!r} cannot be read from {path}: {error}") from None
    for column in (spec["id_column"], spec["target_column"], "split"):
        if column not in answers.columns:
            raise ScoringError(f"answers file {path} has no column {column!r}")
    answers[spec["id_column"]] = answers[spec["id_column"]].astype(str)
    return answers
