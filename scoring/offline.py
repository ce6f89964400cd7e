"""Score a submission without the service: against a challenge bundle (folder or .zip) or a published slug.

A bundle is read through ``challenges.load_bundle`` (validated spec and answers) and split by
``challenges.assign_split``, the very rule publishing applies, so offline scores of a bundle equal
the scores of the same bundle once published.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from arena.settings import Settings
from challenges import BundleError, assign_split, load_bundle
from scoring.answers import read_published_answers
from scoring.compute import compute_scores, metric_names
from scoring.errors import ScoringError
from scoring.validation import DEFAULT_MAX_COLUMNS, align_submission, read_submission

__all__ = ["ALL_SPLITS", "score_offline"]

ALL_SPLITS = ("public", "private", "all")


def _bundle(path: Path) -> tuple[dict, pd.DataFrame]:
    """Validated spec and answers of a bundle (folder or .zip), split exactly as publishing splits them."""
    try:
        bundle = load_bundle(path)
        spec = bundle.spec
        answers = bundle.read_answers()
        answers["split"] = assign_split(answers[spec.id_column], spec.split.public_fraction, spec.split.seed)
    except BundleError as error:
        raise ScoringError(f"challenge bundle {path}: {error}") from None
    answers[spec.id_column] = answers[spec.id_column].astype(str)
    return spec.model_dump(mode="json"), answers


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
        challenge: A bundle folder or ``.zip`` (validated by ``challenges.load_bundle``; answers
            split by ``challenges.assign_split``) or the slug of a challenge published under ``settings``.
        submission: CSV or Parquet prediction file.
        splits: Any of ``public``, ``private``, ``all``.
        settings: Needed to resolve a published slug; also gives ``submission_max_columns``.

    Returns:
        ``{split: {metric: value}}`` for each requested split, primary metric first.

    Raises:
        ScoringError: the challenge cannot be found or read (an invalid bundle: the message names
            the file, key or row), or an unknown split.
        SubmissionError: the submission is invalid (message names the problem).
    """
    splits = list(dict.fromkeys(splits))
    unknown = [s for s in splits if s not in ALL_SPLITS]
    if unknown:
        raise ScoringError(f"unknown split {unknown[0]!r}; choose from {', '.join(ALL_SPLITS)}")
    path = Path(challenge)
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"):
        spec, answers = _bundle(path)
    elif settings is not None:
        spec, answers = _published(settings, str(challenge))
    else:
        raise ScoringError(f"challenge folder {path} does not exist")
    submission = Path(submission)
    if not submission.is_file():
        raise ScoringError(f"submission file {submission} does not exist")
    limit = settings.submission_max_columns if settings is not None else DEFAULT_MAX_COLUMNS
    aligned = align_submission(read_submission(submission, spec["id_column"], limit), answers, spec)
    return compute_scores(aligned, metric_names(spec), splits)
