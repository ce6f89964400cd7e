"""The dataset card of a replica: a JSON-able dict (from :func:`synthetic.evaluate_replica`) and its
Markdown page (gate table, per-table scores, per-column quality, privacy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "DECLARED_PUBLIC",
    "SYNTHETIC_REPLICA",
    "decided_on_note",
    "is_declared_public",
    "is_synthetic_replica",
    "render_card_markdown",
    "summarise_card",
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


def _privacy_lines(generator: dict[str, Any] | None) -> list[str]:
    """The differential-privacy statement of an MST replica (none for other synthesizers)."""
    mst = (generator or {}).get("mst")
    if not mst:
        return []
    privacy = mst["privacy"]
    lines = [
        "",
        "## Differential privacy",
        "",
        (
            f"- **(ε = {privacy['epsilon']:g}, δ = {privacy['delta']:g})-differentially private** (MST); "
            f"ρ-zCDP budget {privacy['rho_budget']:.6g}, spent {privacy['rho_spent']:.6g} "
            f"(ε spent {privacy['epsilon_spent']:.4f})"
        ),
        f"- accountant: {privacy['accountant']}",
        "- budget by step: "
        + "; ".join(
            f"{step}: {info['measurements']} × {info['mechanism']}, ρ {info['rho']:.4g}"
            for step, info in privacy["steps"].items()
        ),
        "- public domains (from the metadata review): "
        + ", ".join(
            f"`{c}` [{d['bounds'][0]}, {d['bounds'][1]}] in {d['bins']} bins"
            if "bounds" in d
            else f"`{c}` {d['categories']} values"
            for c, d in mst["domains"].items()
        ),
    ]
    if mst.get("data_derived_domains"):
        lines.append(
            "- categories taken from the data (not covered by the guarantee; list them in the review to cover them): "
            + ", ".join(f"`{c}`" for c in mst["data_derived_domains"])
        )
    return lines


def _risk_lines(info: dict[str, Any]) -> list[str]:
    """Utility (TSTR), attack risks and edge-case rates of one table."""
    lines = []
    utility = info.get("utility")
    if utility:
        lines.append(
            f"- train on synthetic, test on real (`{utility['target']}`, {utility['metric']} on {utility['test_rows']} "
            f"held-out real rows): replica {_fmt(utility['score_replica'])}, real {_fmt(utility['score_real'])}, "
            f"ratio {_fmt(utility['ratio'])}"
        )
    risks = info.get("privacy_risks")
    if risks:
        lines.append(f"- attack risks (excess over {risks['targets']} held-out control rows, 95 % interval):")
        for attack in ("singling_out", "linkability", "inference"):
            risk = risks[attack]
            where = f", riskiest secret `{risk['secret']}`" if "secret" in risk else ""
            lines.append(
                f"  - {attack.replace('_', ' ')}: {_fmt(risk['risk'])} [{_fmt(risk['ci'][0])}, {_fmt(risk['ci'][1])}]{where}"
            )
    edge = info.get("edge_cases")
    if edge:
        lines.append(
            "- edge cases, real → replica rate: "
            + "; ".join(
                f"`{c}` {case} {r:.1%} → {s:.1%}" for c, cases in edge.items() for case, (r, s) in cases.items()
            )
        )
    return lines


def decided_on_note(gate: dict[str, Any]) -> str:
    """What a risk gate was judged on, as a suffix to its Needs (empty when judged on the estimate)."""
    return f" (on the {gate['decided_on']})" if gate.get("decided_on") else ""


def summarise_card(card: dict[str, Any]) -> str:
    """One line of a card for a console: gates, then each table's quality, utility and attack risks."""
    failing = [name for name, gate in card.get("gates", {}).items() if not gate.get("passed")]
    parts = ["gates passed" if not failing else "gates FAILED: " + ", ".join(failing)]
    for table, info in card.get("tables", {}).items():
        words = [f"quality {info['quality']:.2f}"]
        if info.get("utility"):
            ratio = info["utility"]["ratio"]
            words.append("train-on-synthetic/test-on-real ratio " + ("n/a" if ratio is None else f"{ratio:.2f}"))
        risks = info.get("privacy_risks")
        if risks:
            words.append(
                "attack risks "
                + ", ".join(f"{attack.replace('_', ' ')} {risks[attack]['risk']:.2f}"
                            for attack in ("singling_out", "linkability", "inference"))
            )
        parts.append(f"{table}: " + "; ".join(words))
    return " · ".join(parts)


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
        needs = f"{gate['op']} {_fmt(gate['threshold'])}{decided_on_note(gate)}"
        lines.append(f"| {name} | {_fmt(gate['value'])} | {needs} | {result} |")
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
            *_risk_lines(info),
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
    lines += _privacy_lines(generator)
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
