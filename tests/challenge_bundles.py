"""The valid challenge bundle the challenges and reliability tests start from (one copy for both).

Importable as ``challenge_bundles``: ``tests/`` is on ``sys.path`` because ``tests/conftest.py`` is
the rootdir conftest.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

__all__ = ["BASE_SPEC", "answers_frame", "base_spec", "open_phases", "write_bundle"]

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
"""A valid challenge.yaml (its phases are in the future: submissions are not accepted yet)."""


def base_spec(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`BASE_SPEC` with top-level keys replaced by ``changes``."""
    return {**copy.deepcopy(BASE_SPEC), **changes}


def open_phases() -> list[dict[str, str]]:
    """One ``development`` phase open now (from yesterday to 30 days from today, UTC)."""
    today = datetime.now(UTC).date()
    start, end = today - timedelta(days=1), today + timedelta(days=30)
    return [{"name": "development", "start": start.isoformat(), "end": end.isoformat()}]


def answers_frame(rows: int = 40) -> pd.DataFrame:
    """Answers of ``rows`` people (ids p0000…) with four income bands (row n has band n % 4)."""
    return pd.DataFrame({"person_id": [f"p{i:04d}" for i in range(rows)], "income_band": [i % 4 for i in range(rows)]})


def write_bundle(folder: Path, spec: dict[str, Any], answers: pd.DataFrame | None = None) -> Path:
    """Write a bundle folder: ``challenge.yaml`` of ``spec``, description, starter notebook and answers.

    Args:
        folder: The bundle folder (created with its parents if needed).
        spec: The challenge.yaml content.
        answers: The answers (CSV or Parquet after the suffix of ``spec["answers"]``); default :func:`answers_frame`.

    Returns:
        ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    (folder / spec["description"]).write_text(f"# {spec['title']}\n", encoding="utf-8")
    if spec.get("starter_notebook"):  # without one, the platform generates it when publishing
        (folder / spec["starter_notebook"]).write_text(json.dumps({"cells": [], "nbformat": 4}), encoding="utf-8")
    frame, target = (answers if answers is not None else answers_frame()), folder / spec["answers"]
    if target.suffix == ".csv":
        frame.to_csv(target, index=False)
    else:
        frame.to_parquet(target, index=False)
    return folder
