"""The one rule that splits answer ids into the public and private boards.

Both the challenges room (when publishing answers) and offline scoring call
:func:`assign_splits`, so a bundle scored offline sees exactly the published split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scoring.errors import ScoringError

__all__ = ["assign_splits"]


def assign_splits(ids: Sequence[Any] | np.ndarray, public_fraction: float, seed: int) -> np.ndarray:
    """Assign each id to ``"public"`` or ``"private"``, deterministically.

    Rule: sort the ids as strings, permute positions with ``numpy.random.default_rng(seed)``,
    and make the first ``floor(n * public_fraction + 0.5)`` permuted ids public. The result
    depends only on the set of ids, the fraction and the seed, never on input order.

    Args:
        ids: The answer ids (any type; compared as strings), unique.
        public_fraction: Share of ids on the public board, strictly between 0 and 1.
        seed: Seed of the permutation.

    Returns:
        Array of ``"public"`` / ``"private"`` aligned with ``ids``.

    Raises:
        ScoringError: duplicate ids or a fraction outside (0, 1).
    """
    if not 0.0 < public_fraction < 1.0:
        raise ScoringError(f"public_fraction {public_fraction} must be strictly between 0 and 1")
    keys = np.asarray([str(i) for i in ids], dtype=object)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    if len(sorted_keys) > 1 and (sorted_keys[1:] == sorted_keys[:-1]).any():
        duplicate = sorted_keys[1:][sorted_keys[1:] == sorted_keys[:-1]][0]
        raise ScoringError(f"answer ids must be unique; {duplicate!r} appears more than once")
    n = len(keys)
    n_public = int(np.floor(n * public_fraction + 0.5))
    permutation = np.random.default_rng(seed).permutation(n)
    sorted_split = np.full(n, "private", dtype=object)
    sorted_split[permutation[:n_public]] = "public"
    result = np.empty(n, dtype=object)
    result[order] = sorted_split
    return result
