"""Preparing a source table for fitting: suppress rare categories (k-anonymity of categories).

Categories with fewer than ``min_rows`` rows in the source are merged into one ``RARE_LABEL``
value before a synthesizer sees them, so a replica can never reveal that a rare value exists.
The merge depends only on the source, so evaluation applies exactly the same one. Only text
columns can take ``RARE_LABEL``: a categorical column of numbers (or booleans, dates) with rare
values is refused with a clear error rather than turned into mixed text and numbers that no
Parquet schema accepts (the metadata review marks integer columns numerical for that reason).
"""

from __future__ import annotations

import pandas as pd

from synthetic.errors import InputDataError
from synthetic.metadata import TableSpec

__all__ = ["ONE_HOT_MAX", "RARE_LABEL", "holds_text", "merge_rare_categories", "one_hot_columns", "rare_categories"]

RARE_LABEL = "(other)"
#: Categorical columns with at most this many values are one-hot encoded before a copula sees them.
ONE_HOT_MAX = 30


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
    """Replace every rare value (see :func:`rare_categories`) by ``RARE_LABEL``.

    Raises:
        InputDataError: A rare value sits in a column that does not hold text (``RARE_LABEL``
            would put a string into a numeric, boolean or date column).
    """
    out = frame.copy()
    for column, values in rare.items():
        mask = out[column].astype(str).isin(values) & out[column].notna()
        if mask.any() and not holds_text(out[column]):
            raise InputDataError(
                f"column {column!r} ({out[column].dtype}) is categorical with {len(values)} rare value(s) "
                f"(e.g. {values[0]!r}) that cannot be merged into {RARE_LABEL!r} without mixing text into "
                "a non-text column: mark it numerical in the metadata review, or store it as text"
            )
        if mask.any():
            out[column] = out[column].astype(object).where(~mask, RARE_LABEL)
    return out


def one_hot_columns(prepared: pd.DataFrame, spec: TableSpec) -> list[str]:
    """The categorical columns of a prepared table with at most :data:`ONE_HOT_MAX` values.

    One-hot codes let a Gaussian copula carry category-specific dependencies (age ↔ occupation,
    occupation ↔ income…), which a single code per category ordered by frequency loses.
    """
    return [
        column
        for column in prepared.columns
        if spec.columns[column].sdtype == "categorical" and prepared[column].nunique() <= ONE_HOT_MAX
    ]


def holds_text(values: pd.Series) -> bool:
    """True when every non-null value is a string (numbers, booleans and dates are not)."""
    return bool(values.dropna().astype(object).map(lambda value: isinstance(value, str)).all())
