"""Preparing a source table for fitting: suppress rare categories (k-anonymity of categories).

Categories with fewer than ``min_rows`` rows in the source are merged into one ``RARE_LABEL``
value before a synthesizer sees them, so a replica can never reveal that a rare value exists.
The merge depends only on the source, so evaluation applies exactly the same one.
"""

from __future__ import annotations

import pandas as pd

from synthetic.metadata import TableSpec

__all__ = ["RARE_LABEL", "merge_rare_categories", "rare_categories"]

RARE_LABEL = "(other)"


def rare_categories(frame: pd.DataFrame, spec: TableSpec, min_rows: int) -> dict[str, list[str]]:
    """Categorical (non-PII) columns → their values with fewer than ``min_rows`` rows."""
    rare: dict[str, list[str]] = {}
    for column, col in spec.columns.items():
        if col.pii or col.sdtype != "categorical" or column not in frame.columns:
            continue
        counts = frame[column].dropna().astype(str).value_counts()
        few = sorted(counts[counts < min_rows].index)
        if few:
            rare[column] = few
    return rare


def merge_rare_categories(frame: pd.DataFrame, rare: dict[str, list[str]]) -> pd.DataFrame:
    """Replace every rare value (see :func:`rare_categories`) by ``RARE_LABEL``."""
    out = frame.copy()
    for column, values in rare.items():
        mask = out[column].astype(str).isin(values) & out[column].notna()
        if mask.any():
            out[column] = out[column].astype(object).where(~mask, RARE_LABEL)
    return out
