"""One way to show a number everywhere in the app (scores, means, review marks)."""

from __future__ import annotations

import math

__all__ = ["DEFAULT_DIGITS", "format_score"]

DEFAULT_DIGITS = 4


def format_score(value: float | None, digits: int | None = None) -> str:
    """``value`` with ``digits`` decimals (None: :data:`DEFAULT_DIGITS`); ``—`` for a missing value.

    Every number of a column gets the same decimals (``0.5500`` next to ``0.5411``, never ``0.55``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.{DEFAULT_DIGITS if digits is None else digits}f}"
