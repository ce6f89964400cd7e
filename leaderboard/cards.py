"""Dataset cards as tables: the gates and each table's per-column quality, and the card's Markdown page.

A card is the JSON dict the synthetic room publishes with each dataset version
(``gates``: name → value, threshold, op, passed; ``tables``: table → scores and
``column_quality``). Missing parts give empty tables, never an error.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from arena.settings import Settings
from synthetic import decided_on_note

__all__ = ["column_quality", "gates_frame", "privacy_in_plain_words", "read_card_markdown", "table_scores"]


def _needs(gate: dict[str, Any]) -> str:
    return f"{gate.get('op', '')} {gate.get('threshold', '')}".strip() + decided_on_note(gate)


def gates_frame(gates: dict[str, Any]) -> pd.DataFrame:
    """One row per gate: Gate, Value, Needs (``>= 0.8``, and what a risk gate was decided on), Passed."""
    rows = [
        (name, gate.get("value"), _needs(gate), bool(gate.get("passed")))
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


def privacy_in_plain_words(card: dict[str, Any]) -> tuple[list[str], pd.DataFrame]:
    """Sentences on the card's privacy guarantee, utility and attack risks, and the risks to plot.

    Returns:
        (sentences, risks) — ``risks`` has one row per measured attack and table: Attack, Risk,
        Lowest, Highest (the 95 % interval), Limit (the gate's maximum, when gated).
    """
    sentences = []
    mst = (card.get("generator") or {}).get("mst")
    if mst:
        privacy = mst["privacy"]
        sentences.append(
            f"Differentially private (MST): ε = {privacy['epsilon']:g}, δ = {privacy['delta']:g}. Adding or removing "
            f"any one person changes the chance of any replica by at most a factor of {math.exp(privacy['epsilon']):.1f} "
            f"(e^ε), except with probability δ."
        )
    else:
        sentences.append("Not differentially private: the privacy of this replica rests on its gates and attack risks.")
    rows = []
    limits = card.get("thresholds") or {}
    for table, info in (card.get("tables") or {}).items():
        utility = info.get("utility")
        if utility and utility.get("ratio") is not None:
            sentences.append(
                f"`{table}`: a model trained on the replica scores {utility['score_replica']:.3f} ({utility['metric']}, "
                f"predicting `{utility['target']}`) on real held-out rows, against {utility['score_real']:.3f} when "
                f"trained on the real rows: {utility['ratio']:.0%} as useful."
            )
        for attack, risk in (info.get("privacy_risks") or {}).items():
            if isinstance(risk, dict) and "risk" in risk:
                name = attack.replace("_", " ")
                rows.append(
                    [f"{table}: {name}", risk["risk"], risk["ci"][0], risk["ci"][1], limits.get(f"{attack}_risk_max")]
                )
                sentences.append(
                    f"`{table}`, {name}: an attacker holding the replica does {risk['risk']:.1%} better on the real "
                    f"people it was made from than on people it never saw (95 % interval {risk['ci'][0]:.1%}–{risk['ci'][1]:.1%})."
                )
    return sentences, pd.DataFrame(rows, columns=["Attack", "Risk", "Lowest", "Highest", "Limit"])


def read_card_markdown(settings: Settings, name: str, version: int) -> str | None:
    """The published ``card.md`` of ``name@version``, or None when it is not there.

    ``name`` and ``version`` must come from a Dataset row (never straight from a request).
    """
    path: Path = settings.datasets_dir / name / str(version) / "card.md"
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
