"""The dataset card of a replica: a JSON-able dict (from :func:`synthetic.evaluate_replica`) and its
Markdown page (gate table, per-table scores, per-column quality, privacy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "DECLARED_PUBLIC",
    "SYNTHETIC_REPLICA",
    "is_declared_public",
    "is_synthetic_replica",
    "render_card_markdown",
    "write_card",
]

SYNTHETIC_REPLICA = "synthetic_replica"
"""``kind`` of the card of a gated synthetic replica (set by :func:`synthetic.evaluate_replica`)."""
DECLARED_PUBLIC = "declared_public"
"""``kind`` of the card of a dataset its organiser declared public (reason in ``public_reason``)."""
_REPLICA_GATES = frozenset({"diagnostic", "quality", "new_row_synthesis", "pii_overlap"})


def is_synthetic_replica(card: dict[str, Any]) -> bool:
    """Whether a card is the card of a gated synthetic replica.

    Cards written before cards had a ``kind`` count when they hold the replica gates of
    :func:`synthetic.evaluate_replica`.
    """
    kind = card.get("kind")
    if kind is not None:
        return kind == SYNTHETIC_REPLICA
    gates = card.get("gates")
    return isinstance(gates, dict) and _REPLICA_GATES <= set(gates)


def is_declared_public(card: dict[str, Any]) -> bool:
    """Whether a card records that the organiser declared the dataset public (with a reason)."""
    return card.get("kind") == DECLARED_PUBLIC and bool(str(card.get("public_reason") or "").strip())


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" if isinstance(value, float) and not value.is_integer() else str(value)


def _dcr_line(dcr: dict[str, Any] | None) -> str:
    if not dcr:
        return "- distance to closest record: not measured (no held-out rows)"
    return (
        f"- distance to closest record (vs {dcr['holdout_rows']} held-out rows): overfitting protection "
        f"{_fmt(dcr['score'])}, {dcr['closer_to_training']:.0%} of replica rows closer to a training row"
        + (f" (by chance: {dcr['closer_to_training_expected']:.0%})" if "closer_to_training_expected" in dcr else "")
    )


def render_card_markdown(card: dict[str, Any], title: str = "Synthetic replica") -> str:
    """Render a card as a Markdown page."""
    verdict = "PASSED" if card.get("passed") else "FAILED"
    lines = [f"# {title}", "", f"**Gates: {verdict}**", ""]
    if card.get("kind"):
        kind = {SYNTHETIC_REPLICA: "synthetic replica", DECLARED_PUBLIC: "declared public"}.get(card["kind"], card["kind"])
        lines += [f"Kind: **{kind}**", ""]
    if card.get("public_reason"):
        lines += [f"> Declared public by the organiser. Reason: {card['public_reason']}", ""]
    if card.get("override_reason"):
        lines += [f"> Published despite failing gates. Override reason: {card['override_reason']}", ""]
    lines += ["| Gate | Value | Needs | Result |", "|---|---|---|---|"]
    for name, gate in card.get("gates", {}).items():
        result = "pass" if gate["passed"] else "**FAIL**"
        lines.append(f"| {name} | {_fmt(gate['value'])} | {gate['op']} {_fmt(gate['threshold'])} | {result} |")
    for table, info in card.get("tables", {}).items():
        lines += [
            "",
            f"## Table `{table}`",
            "",
            f"- rows: {info['synthetic_rows']} synthetic (source: {info['source_rows']})",
            f"- diagnostic score: {_fmt(info['diagnostic'])}; quality score: {_fmt(info['quality'])} "
            + ", ".join(f"({k}: {_fmt(v)})" for k, v in info.get("quality_properties", {}).items()),
            f"- new-row synthesis: {_fmt(info['new_row_synthesis'])}",
            _dcr_line(info.get("distance_to_closest_record")),
            "- PII columns (never learned, regenerated): "
            + (", ".join(f"`{c}`" for c in info["pii_columns"]) or "none"),
            "- rare categories merged into `"
            + info.get("rare_label", "(other)")
            + "`: "
            + (", ".join(f"`{c}` ({n})" for c, n in info.get("rare_categories", {}).items()) or "none"),
            "",
            "| Column | Shape quality |",
            "|---|---|",
        ]
        lines += [f"| {column} | {_fmt(score)} |" for column, score in info.get("column_quality", {}).items()]
    generator = card.get("generator")
    if generator:
        lines += ["", "## Generator", "", "```json", json.dumps(generator, indent=2, ensure_ascii=False), "```"]
    return "\n".join(lines) + "\n"


def write_card(card: dict[str, Any], out_dir: Path, title: str = "Synthetic replica") -> tuple[Path, Path]:
    """Write ``card.json`` and ``card.md`` into ``out_dir``; return both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "card.json"
    md_path = out_dir / "card.md"
    json_path.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_card_markdown(card, title), encoding="utf-8")
    return json_path, md_path
