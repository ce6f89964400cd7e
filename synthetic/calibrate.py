"""Category rates of a GaussianCopula replica brought back to the source's.

A copula models a one-hot encoded category as a normal variable and decodes the largest, so an
uncommon category (3 % of the rows, say) comes out at a third of its rate or vanishes: code
written on the replica never meets it, and breaks on the real data. After sampling, each
categorical column's counts are set to the source's shares (missing values included): rows of
over-represented values, picked at random, take the under-represented ones. Only that surplus
of rows moves, so the dependencies the copula learned hold for every other row. The shares are
of the prepared source (rare categories already merged), so no rare value can come back. Not
used for differentially private replicas: the exact source shares are not private.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["calibrate_categories", "category_shares"]

_MISSING = "\0missing"  # stands for a missing value while counting


def category_shares(prepared: pd.DataFrame, columns: list[str]) -> dict[str, dict[str, float]]:
    """Column → value → share of the rows (missing values as their own value)."""
    return {
        column: {
            str(k): float(v)
            for k, v in prepared[column].astype(object).fillna(_MISSING).value_counts(normalize=True).items()
        }
        for column in columns
    }


def _target_counts(shares: dict[str, float], rows: int) -> dict[str, int]:
    """Counts in proportion to ``shares`` summing to ``rows`` (largest remainders)."""
    exact = {value: share * rows for value, share in shares.items()}
    counts = {value: int(np.floor(x)) for value, x in exact.items()}
    for value in sorted(exact, key=lambda v: exact[v] - counts[v], reverse=True)[: rows - sum(counts.values())]:
        counts[value] += 1
    return counts


def calibrate_categories(
    frame: pd.DataFrame, shares: dict[str, dict[str, float]], rng: np.random.Generator
) -> pd.DataFrame:
    """``frame`` with each column of ``shares`` holding its values at those shares (see the module)."""
    out = frame.copy()
    for column, column_shares in shares.items():
        values = out[column].astype(object).where(out[column].notna(), _MISSING).astype(str).to_numpy(dtype=object)
        target = _target_counts(column_shares, len(values))
        surplus = []
        for value in sorted(set(values)):
            where = np.flatnonzero(values == value)
            extra = len(where) - target.get(value, 0)
            if extra > 0:
                surplus.append(rng.choice(where, size=extra, replace=False))
        if not surplus:
            continue
        moved = rng.permutation(np.concatenate(surplus))
        deficit = [v for v in sorted(target) for _ in range(max(0, target[v] - int((values == v).sum())))]
        values[moved] = np.asarray(deficit, dtype=object)[rng.permutation(len(deficit))]
        labels = pd.Series(values, index=out.index, dtype=object)
        out[column] = labels.where(labels != _MISSING, None)
    return out
