"""Score a submission without the service: against a challenge bundle folder or a published slug."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

from arena.settings import Settings
from scoring.answers import read_published_answers
from scoring.compute import compute_scores, metric_names
from scoring.errors import ScoringError
from scoring.splits import assign_splits
from scoring.validation import align_submission, read_submission

__all__ = ["ALL_SPLITS", "score_offline"]

ALL_SPLITS = ("public", "private", "all")


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise ScoringError(f"answers file {path} cannot be read: {error}") from None


def _bundle(directory: Path) -> tuple[dict, pd.DataFrame]:
    """Spec and split answers of a bundle folder (split by :func:`assign_splits`)."""
    spec_file = directory / "challenge.yaml"
    try:
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScoringError(f"{spec_file}: cannot be read as YAML ({error})") from None
    try:
        answers = _read_table(directory / spec["answers"])
        id_column, split = spec["id_column"], spec["split"]
        if id_column not in answers.columns or spec["target_column"] not in answers.columns:
            raise ScoringError(
                f"answers file {spec['answers']} lacks column {id_column!r} or {spec['target_column']!r}"
            )
        answers[id_column] = answers[id_column].astype(str)
        answers["split"] = assign_splits(answers[id_column], split["public_fraction"], split["seed"])
    except (KeyError, TypeError) as error:
        raise ScoringError(f"{spec_file}: missing or malformed key {error}") from None
    return spec, answers


def _published(settings: Settings, slug: str) -> tuple[dict, pd.DataFrame]:
    """Spec (public ``challenge.json``) and answers of a published challenge."""
    spec_file = settings.challenges_dir / slug / "challenge.json"
    if not spec_file.is_file():
        raise ScoringError(f"{slug!r} is neither a challenge bundle folder nor a published challenge ({spec_file})")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    spec.setdefault("slug", slug)
    return spec, read_published_answers(settings, spec)


def score_offline(
    challenge: Path | str,
    submission: Path | str,
    splits: Iterable[str] = ALL_SPLITS,
    *,
    settings: Settings | None = None,
) -> dict[str, dict[str, float]]:
    """Score a submission file locally, with the same validation and metrics as the service.

    Args:
        challenge: A bundle folder (with ``challenge.yaml``; answers split by :func:`assign_splits`)
            or the slug of a challenge published under ``settings``.
        submission: CSV or Parquet prediction file.
        splits: Any of ``public``, ``private``, ``all``.
        settings: Needed only to resolve a published slug.

    Returns:
        ``{split: {metric: value}}`` for each requested split, primary metric first.

    Raises:
        ScoringError: the challenge cannot be found or read, or an unknown split.
        SubmissionError: the submission is invalid (message names the problem).
    """
    splits = list(dict.fromkeys(splits))
    unknown = [s for s in splits if s not in ALL_SPLITS]
    if unknown:
        raise ScoringError(f"unknown split {unknown[0]!r}; choose from {', '.join(ALL_SPLITS)}")
    path = Path(challenge)
    if path.is_dir():
        spec, answers = _bundle(path)
    elif settings is not None:
        spec, answers = _published(settings, str(challenge))
    else:
        raise ScoringError(f"challenge folder {path} does not exist")
    submission = Path(submission)
    if not submission.is_file():
        raise ScoringError(f"submission file {submission} does not exist")
    aligned = align_submission(read_submission(submission, spec["id_column"]), answers, spec)
    return compute_scores(aligned, metric_names(spec), splits)
