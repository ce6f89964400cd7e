"""Compute a challenge's metrics on each split of an aligned submission."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from scoring.errors import SubmissionError
from scoring.metrics import get_metric

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
        SubmissionError: a metric cannot be computed on these predictions (the message says which and why).
    """
    result: dict[str, dict[str, float]] = {}
    for split in splits:
        rows = aligned if split == "all" else aligned[aligned["split"] == split]
        if rows.empty:
            raise SubmissionError(f"split {split!r} has no answers rows")
        y_true, y_pred = rows["y_true"].to_numpy(), rows["y_pred"].to_numpy()
        values: dict[str, float] = {}
        for name in names:
            try:
                value = get_metric(name)(y_true, y_pred)
            except (ValueError, TypeError) as error:
                raise SubmissionError(f"metric {name!r} cannot be computed on split {split!r}: {error}") from None
            if not np.isfinite(value):
                raise SubmissionError(f"metric {name!r} is not finite on split {split!r} ({value})")
            values[name] = value
        result[split] = values
    return result
