"""Dataset cards as tables: the gates and each table's per-column quality, and the card's Markdown page.

A card is the JSON dict the synthetic room publishes with each dataset version
(``gates``: name → value, threshold, op, passed; ``tables``: table → scores and
``column_quality``). Missing parts give empty tables, never an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from arena.settings import Settings

__all__ = ["column_quality", "gates_frame", "read_card_markdown", "table_scores"]


def gates_frame(gates: dict[str, Any]) -> pd.DataFrame:
    """One row per gate: Gate, Value, Needs (``>= 0.8``), Passed."""
    rows = [
        (name, gate.get("value"), f"{gate.get('op', '')} {gate.get('threshold', '')}".strip(), bool(gate.get("passed")))
        for name, gate in gates.items()
    ]
    return pd.DataFrame(rows, columns=["Gate", "Value", "Needs", "Passed"])


def table_scores(card: dict[str, Any]) -> pd.DataFrame:
    """One row per table of the card: rows, diagnostic, quality and new-row synthesis scores."""
    keys = {"synthetic_rows": "Rows", "diagnostic": "Diagnostic", "quality": "Quality", "new_row_synthesis": "New rows"}
    tables = card.get("tables") or {}
    rows = [[table, *(info.get(key) for key in keys)] for table, info in tables.items()]
    return pd.DataFrame(rows, columns=["Table", *keys.values()])


def column_quality(card: dict[str, Any], table: str) -> pd.DataFrame:
    """Shape quality of each column of ``table`` (Column, Quality), as the card measured it."""
    scores = ((card.get("tables") or {}).get(table) or {}).get("column_quality") or {}
    return pd.DataFrame(list(scores.items()), columns=["Column", "Quality"])


def read_card_markdown(settings: Settings, name: str, version: int) -> str | None:
    """The published ``card.md`` of ``name@version``, or None when it is not there.

    ``name`` and ``version`` must come from a Dataset row (never straight from a request).
    """
    path: Path = settings.datasets_dir / name / str(version) / "card.md"
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
