"""Compute a challenge's metrics on each split of an aligned submission."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from scoring.errors import ScoringError, SubmissionError
from scoring.metrics import Metric, get_metric

__all__ = ["SPLITS", "compute_scores", "metric_names"]

SPLITS = ("public", "private")


def metric_names(spec: dict) -> list[str]:
    """Primary metric first, then the secondary ones, as named in a challenge spec."""
    return [spec["metric"]["primary"], *spec["metric"].get("secondary", [])]


def compute_scores(
    aligned: pd.DataFrame, names: Sequence[str], splits: Iterable[str] = SPLITS
) -> dict[str, dict[str, float]]:
    """Compute every metric on every requested split.

    Args:
        aligned: Output of :func:`scoring.validation.align_submission` (``y_true``, ``y_pred``, ``split``).
        names: Metric names.
        splits: ``public``, ``private`` and/or ``all`` (every row).

    Returns:
        ``{split: {metric: value}}``.

    Raises:
        ScoringError: a metric name is unknown.
        SubmissionError: a metric cannot be computed on these predictions (the message says which and why).
    """
    metrics = [get_metric(name) for name in names]
    y_true_all, y_pred_all = aligned["y_true"].to_numpy(), aligned["y_pred"].to_numpy()
    split_of_row = aligned["split"].to_numpy()
    result: dict[str, dict[str, float]] = {}
    for split in splits:
        if split == "all":
            y_true, y_pred = y_true_all, y_pred_all
        else:
            rows = split_of_row == split
            y_true, y_pred = y_true_all[rows], y_pred_all[rows]
        if len(y_true) == 0:
            raise SubmissionError(f"split {split!r} has no answers rows")
        result[split] = {
            name: _value(name, metric, y_true, y_pred, split) for name, metric in zip(names, metrics, strict=True)
        }
    return result


def _value(name: str, metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, split: str) -> float:
    """One metric on one split; a failure or a non-finite value becomes a :class:`SubmissionError`."""
    try:
        value = metric(y_true, y_pred)
    except (ScoringError, ValueError, TypeError) as error:
        raise SubmissionError(f"metric {name!r} cannot be computed on split {split!r}: {error}") from None
    if not np.isfinite(value):
        raise SubmissionError(f"metric {name!r} is not finite on split {split!r} ({value})")
    return value
