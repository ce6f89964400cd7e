"""Quality and privacy gates of a replica, measured with SDMetrics against its source.

Gates (thresholds in :class:`GateThresholds`): SDMetrics DiagnosticReport score (validity and
structure, = 1.0), QualityReport score (column shapes and pair trends, ≥ 0.80), NewRowSynthesis
(share of synthetic rows that copy no source row, ≥ 0.99), identifying PII values shared with the
source (= 0), rare source categories leaking into the replica (= 0), and — when source rows were
held out — SDMetrics DCROverfittingProtection, corrected for the training set being larger than
the held-out one (replica rows must not sit closer to the training rows than chance would put
them, ≥ 0.25; a copy scores 0), and — for related tables — foreign keys without a parent
row (= 0). The result is a dataset card (see :mod:`synthetic.card`).

Three more families (see the README's "Privacy and utility on the card"): edge cases kept at
their real rates (:mod:`synthetic.edge_cases`, always); and, when real rows were held out, the
attack-based singling-out, linkability and inference risks (:mod:`synthetic.attacks`, the
held-out rows as the control) and — when a utility target is named — train-on-synthetic /
test-on-real utility (:mod:`synthetic.utility`).
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import sdmetrics
from pydantic import BaseModel, Field
from sdmetrics.reports import DiagnosticReport, QualityReport
from sdmetrics.single_table import DCROverfittingProtection, NewRowSynthesis

from synthetic.card import SYNTHETIC_REPLICA
from synthetic.attacks import attack_risks
from synthetic.edge_cases import edge_case_rates, worst_kept_ratio
from synthetic.errors import InputDataError
from synthetic.metadata import IDENTIFYING_KINDS, MetadataSpec, TableSpec
from synthetic.prepare import RARE_LABEL, merge_rare_categories, rare_categories
from synthetic.related import foreign_key_orphans
from synthetic.utility import MISSING_LABEL, model_frame, train_synthetic_test_real

__all__ = ["DP_DIAGNOSTIC_MIN", "DP_NEW_ROW_SYNTHESIS_MIN", "DP_TSTR_RATIO_MIN", "GateThresholds", "evaluate_replica"]

#: Diagnostic, new-row and TSTR pass marks of a differentially private replica (see :meth:`GateThresholds.for_synthesizer`).
DP_DIAGNOSTIC_MIN = 0.95
DP_NEW_ROW_SYNTHESIS_MIN = 0.95
DP_TSTR_RATIO_MIN = 0.4


class GateThresholds(BaseModel):
    """Pass marks of the gates (organisers may tighten or loosen them)."""

    diagnostic_min: float = Field(1.0, ge=0, le=1, description="SDMetrics DiagnosticReport score.")
    quality_min: float = Field(0.80, ge=0, le=1, description="SDMetrics QualityReport score.")
    new_row_synthesis_min: float = Field(0.99, ge=0, le=1, description="Share of synthetic rows copying no source row.")
    pii_overlap_max: int = Field(0, ge=0, description="Identifying PII values present in both source and replica.")
    rare_category_leaks_max: int = Field(0, ge=0, description="Rare source categories appearing in the replica.")
    rare_category_min_rows: int = Field(10, ge=1, description="A category with fewer source rows is rare.")
    dcr_overfitting_protection_min: float = Field(
        0.25,
        ge=0,
        le=1,
        description="Distance-to-closest-record overfitting protection (gated when rows are held out): "
        "min(1, share of replica rows not closer to a training row than to a held-out row ÷ the share "
        "expected by chance, held-out / (training + held-out)); SDMetrics DCROverfittingProtection "
        "when both sets have the same size. A copy of the training rows scores 0.",
    )
    foreign_key_orphans_max: int = Field(0, ge=0, description="Replica foreign keys with no parent row.")
    tstr_ratio_min: float = Field(
        0.5,
        ge=0,
        description="Train-on-synthetic / test-on-real: the baseline model's score when trained on the replica "
        "÷ its score when trained on the real rows, both on real held-out rows (gated when measured).",
    )
    singling_out_risk_max: float = Field(
        0.08, ge=0, le=1, description="Singling-out risk (Giomi et al. 2023; excess over the held-out control)."
    )
    linkability_risk_max: float = Field(
        0.05, ge=0, le=1, description="Linkability risk (Giomi et al. 2023; excess over the held-out control)."
    )
    inference_risk_max: float = Field(
        0.15, ge=0, le=1, description="Attribute-inference risk of the riskiest column (excess over the control)."
    )
    edge_case_ratio_min: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Worst (replica rate + 2 standard errors) ÷ real rate of missing values, uncommon "
        "categories and extreme values.",
    )

    @classmethod
    def for_synthesizer(cls, synthesizer: str) -> GateThresholds:
        """Default pass marks for a synthesizer.

        A differentially private one (``mst``) samples within the public bounds, which are wider
        than the real (private) minimum and maximum, so a few of its values fall outside the real
        range and its diagnostic (validity) score is just under 1; and its guarantee bounds what any
        row can reveal, so "new-row synthesis" only counts coincidences of common values, which
        fresh real rows show too (2–3 % of held-out people match a training person), so 0.95.
        Its noise and public bins cost utility: on the people table (target ``occupation``) MST at
        ε = 1 scored a train-on-synthetic/test-on-real ratio of 0.43–0.68 over 19 fits (median
        about 0.6), against 0.16 for a replica with independent columns, so its floor is 0.4.
        """
        if synthesizer == "mst":
            return cls(
                diagnostic_min=DP_DIAGNOSTIC_MIN,
                new_row_synthesis_min=DP_NEW_ROW_SYNTHESIS_MIN,
                tstr_ratio_min=DP_TSTR_RATIO_MIN,
            )
        return cls()


def _gate(value: float, threshold: float, op: str) -> dict[str, Any]:
    passed = value >= threshold if op == ">=" else value <= threshold
    return {"value": round(float(value), 6), "threshold": threshold, "op": op, "passed": bool(passed)}


def _pii_overlap(source: pd.DataFrame, synthetic: pd.DataFrame, spec: TableSpec) -> dict[str, int]:
    overlap = {}
    for column in spec.pii_columns:
        if spec.columns[column].pii_kind not in IDENTIFYING_KINDS or column not in synthetic.columns:
            continue
        real = set(source[column].dropna().astype(str))
        overlap[column] = int(synthetic[column].dropna().astype(str).isin(real).sum())
    return overlap


def _rare_leaks(synthetic: pd.DataFrame, rare: dict[str, list[str]]) -> dict[str, int]:
    return {
        column: int(synthetic[column].dropna().astype(str).isin(values).sum())
        for column, values in rare.items()
        if column in synthetic.columns
    }


def _reports(
    table: str, source: pd.DataFrame, synthetic: pd.DataFrame, meta: dict[str, Any]
) -> tuple[DiagnosticReport, QualityReport, float]:
    unified = {"tables": {table: meta}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diagnostic = DiagnosticReport()
        diagnostic.generate({table: source}, {table: synthetic}, unified, verbose=False)
        quality = QualityReport()
        quality.generate({table: source}, {table: synthetic}, unified, verbose=False)
        learned = [c for c, v in meta["columns"].items() if v["sdtype"] != "id"]
        new_rows = NewRowSynthesis.compute(
            source[learned], synthetic[learned], {"columns": {c: meta["columns"][c] for c in learned}}
        )
    return diagnostic, quality, float(new_rows)


def _score_or_none(score: Any) -> float | None:
    """A property score rounded to 4 places; None (JSON null) when SDMetrics has nothing to score.

    SDMetrics leaves out column pairs whose real association is too weak to measure; with no pair
    left, "Column Pair Trends" is NaN, which is not valid JSON (PostgreSQL refuses it).
    """
    return round(float(score), 4) if pd.notna(score) else None


def _column_quality(quality: QualityReport) -> dict[str, float]:
    details = quality.get_details("Column Shapes")
    return {
        str(row["Column"]): round(float(row["Score"]), 4) for _, row in details.iterrows() if pd.notna(row["Score"])
    }


def _distance_to_closest_record(
    table: str, source: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, meta: dict[str, Any]
) -> dict[str, float]:
    """SDMetrics DCROverfittingProtection: are replica rows closer to the training rows than to held-out ones?

    Every training row is compared (a subsample would let a copy of the rows left out pass for new
    rows). An honest replica's row is closer to a training row than to a held-out one with
    probability ``expected = training / (training + held-out)`` (the nearest real row is equally
    likely to be any of them), so the score is ``min(1, (1 - closer) / (1 - expected))``: 1 for an
    honest replica, 0 for a copy, and exactly SDMetrics' score when both sets have the same size.
    Categories that are not frequent in the training rows are mapped to ``RARE_LABEL`` in all
    three tables first, so held-out rows are not pushed away by values the model could never produce.
    """
    learned = [c for c, v in meta["columns"].items() if v["sdtype"] != "id"]
    frames = [source[learned].reset_index(drop=True).copy(), synthetic[learned].reset_index(drop=True).copy()]
    frames.append(holdout[learned].reset_index(drop=True).copy())
    for column in learned:
        if meta["columns"][column]["sdtype"] == "categorical":
            counts = frames[0][column].value_counts()
            keep = set(counts[counts >= 10].index)
            for frame in frames:
                frame[column] = frame[column].astype(object).where(frame[column].isin(keep), RARE_LABEL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = DCROverfittingProtection.compute_breakdown(
            *frames, {"tables": {table: {"columns": {c: meta["columns"][c] for c in learned}}}}, table
        )
    closer = float(result["synthetic_data_percentages"]["closer_to_training"])
    expected = len(source) / (len(source) + len(holdout))
    return {
        "score": round(min(1.0, (1.0 - closer) / (1.0 - expected)), 4),
        "closer_to_training": round(closer, 4),
        "closer_to_training_expected": round(expected, 4),
        "holdout_rows": len(holdout),
        "training_rows_compared": len(source),
    }


def _privacy_and_utility(
    source: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    spec: TableSpec,
    target: str | None,
    seed: int,
) -> dict[str, Any]:
    """Attack-based risks (held-out rows as the control) and, with a target, TSTR utility."""
    learned = [c for c, col in spec.columns.items() if not col.pii and col.sdtype != "id"]
    numeric = [c for c in learned if spec.columns[c].sdtype in ("numerical", "datetime")]
    frames = [model_frame(frame, spec, learned) for frame in (source, synthetic, holdout)]
    for frame in frames:  # the attacks compare values, so text missing values go back to missing
        for column in learned:
            if column not in numeric:
                frame[column] = frame[column].mask(frame[column] == MISSING_LABEL)
    result: dict[str, Any] = {}
    if len(learned) >= 2:  # the attacks need a secret and something known (linkability: two halves)
        result["privacy_risks"] = attack_risks(*frames, numeric=numeric, seed=seed)
    if target is not None and target in spec.columns:
        result["utility"] = train_synthetic_test_real(source, synthetic, holdout, spec, target)
    return result


def _evaluate_table(
    table: str,
    source: pd.DataFrame,
    synthetic: pd.DataFrame,
    spec: TableSpec,
    thresholds: GateThresholds,
    holdout: pd.DataFrame | None,
    target: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    missing = [c for c in spec.columns if c not in synthetic.columns]
    if missing:
        raise InputDataError(f"replica of table {table!r} lacks column(s) {missing}")
    rare = rare_categories(source, spec, thresholds.rare_category_min_rows)
    meta = spec.sdmetrics_dict()
    learned = list(meta["columns"])  # type: ignore[arg-type]
    prepared = merge_rare_categories(source[learned], rare)
    replica = merge_rare_categories(synthetic[learned].reset_index(drop=True), rare)  # a copied source row stays a copy
    diagnostic, quality, new_rows = _reports(table, prepared, replica, meta)
    pii = _pii_overlap(source, synthetic, spec)
    leaks = _rare_leaks(synthetic, rare)
    properties = quality.get_properties()
    dcr = (
        None
        if holdout is None or holdout.empty
        else _distance_to_closest_record(table, source, synthetic, holdout, meta)
    )
    edge_cases = edge_case_rates(prepared, replica, spec)
    worst_ratio, worst_case = worst_kept_ratio(edge_cases, len(replica))
    measured = (
        {} if holdout is None or holdout.empty else _privacy_and_utility(source, synthetic, holdout, spec, target, seed)
    )
    return {
        **measured,
        "edge_cases": edge_cases,
        "edge_case_worst": {"ratio": worst_ratio, "case": worst_case},
        "distance_to_closest_record": dcr,
        "source_rows": len(source),
        "synthetic_rows": len(synthetic),
        "columns": list(spec.columns),
        "pii_columns": spec.pii_columns,
        "diagnostic": float(diagnostic.get_score()),
        "quality": float(quality.get_score()),
        "quality_properties": {str(r["Property"]): _score_or_none(r["Score"]) for _, r in properties.iterrows()},
        "column_quality": _column_quality(quality),
        "new_row_synthesis": new_rows,
        "pii_overlap": pii,
        "rare_categories": {column: len(values) for column, values in rare.items()},
        "rare_category_leaks": leaks,
        "rare_label": RARE_LABEL,
    }


def _risk_gate(risks: list[dict[str, Any]], attack: str, limit: float) -> dict[str, Any]:
    """Gate on one attack's worst risk, judged on what its measurement can tell apart.

    A risk whose 95 % interval reaches further than the limit above the estimate cannot tell the
    limit from no risk at all (few targets, or a secret with a high base rate: the risk divides by
    one minus the control's success rate). The riskiest of several such estimates exceeds the limit
    by chance, so that risk is judged on its interval's lower bound: it fails only when a leak is
    established at 95 %. The gate says when it was.
    """
    judged = []
    for table_risks in risks:
        risk = table_risks[attack]
        if risk["ci"][1] - risk["risk"] <= limit:
            judged.append((risk["risk"], None))
        else:
            reason = (
                f"95 % interval lower bound: the interval reaches {risk['ci'][1] - risk['risk']:.2f} above the "
                f"estimate {risk['risk']:.2f} ({table_risks['targets']} targets)"
            )
            judged.append((risk["ci"][0], reason))
    value, reason = max(judged, key=lambda pair: pair[0])
    gate = _gate(value, limit, "<=")
    if reason is not None:
        gate["decided_on"] = reason
    return gate


def _privacy_and_utility_gates(tables: dict[str, Any], thresholds: GateThresholds) -> dict[str, dict[str, Any]]:
    """Gates on the edge cases, the attack risks and TSTR utility (worst table; those measured)."""
    gates = {
        "edge_cases_kept": _gate(
            min(t["edge_case_worst"]["ratio"] for t in tables.values()), thresholds.edge_case_ratio_min, ">="
        )
    }
    risks = [t["privacy_risks"] for t in tables.values() if "privacy_risks" in t]
    limits = {
        "singling_out": thresholds.singling_out_risk_max,
        "linkability": thresholds.linkability_risk_max,
        "inference": thresholds.inference_risk_max,
    }
    for attack, limit in limits.items():
        if risks:
            gates[f"{attack}_risk"] = _risk_gate(risks, attack, limit)
    ratios = [t["utility"]["ratio"] for t in tables.values() if "utility" in t]
    if ratios:
        gates["tstr_ratio"] = _gate(min(r if r is not None else 0.0 for r in ratios), thresholds.tstr_ratio_min, ">=")
    return gates


def evaluate_replica(
    source: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: MetadataSpec,
    *,
    thresholds: GateThresholds | None = None,
    holdout: dict[str, pd.DataFrame] | None = None,
    target: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Evaluate a replica against its source and return its dataset card.

    Args:
        source: Table name → source ("real") DataFrame.
        synthetic: Table name → replica DataFrame (same tables).
        metadata: The reviewed metadata the replica was fitted with.
        thresholds: Gate pass marks (defaults: :class:`GateThresholds`).
        holdout: Source rows kept out of fitting; when given, SDMetrics' distance-to-closest-record
            overfitting protection is measured per table and gated (worst table), and so are
            the singling-out, linkability and inference risks (the held-out rows as the control).
        target: A column to predict: with held-out rows, train-on-synthetic / test-on-real
            utility is measured on the tables that have it and gated (worst table).
        seed: Seed of the attacks (same seed → same risks).

    Returns:
        The card dict: ``gates`` (name → value, threshold, op, passed), ``passed``, per-table
        details (scores, per-column quality, PII overlap, rare categories) and the thresholds.

    Raises:
        InputDataError: A table is missing from the replica or metadata, or lacks columns.
    """
    thresholds = thresholds or GateThresholds()
    if set(source) != set(synthetic):
        raise InputDataError(f"source tables {sorted(source)} and replica tables {sorted(synthetic)} differ")
    tables = {}
    for table, frame in source.items():
        if table not in metadata.tables:
            raise InputDataError(f"table {table!r} is not described in the metadata")
        tables[table] = _evaluate_table(
            table, frame, synthetic[table], metadata.tables[table], thresholds, (holdout or {}).get(table), target, seed
        )
    worst = {
        "diagnostic": min(t["diagnostic"] for t in tables.values()),
        "quality": min(t["quality"] for t in tables.values()),
        "new_row_synthesis": min(t["new_row_synthesis"] for t in tables.values()),
        "pii_overlap": sum(sum(t["pii_overlap"].values()) for t in tables.values()),
        "rare_category_leaks": sum(sum(t["rare_category_leaks"].values()) for t in tables.values()),
    }
    gates = {
        "diagnostic": _gate(worst["diagnostic"], thresholds.diagnostic_min, ">="),
        "quality": _gate(worst["quality"], thresholds.quality_min, ">="),
        "new_row_synthesis": _gate(worst["new_row_synthesis"], thresholds.new_row_synthesis_min, ">="),
        "pii_overlap": _gate(worst["pii_overlap"], thresholds.pii_overlap_max, "<="),
        "rare_category_leaks": _gate(worst["rare_category_leaks"], thresholds.rare_category_leaks_max, "<="),
    }
    dcr = [t["distance_to_closest_record"]["score"] for t in tables.values() if t["distance_to_closest_record"]]
    if dcr:
        gates["dcr_overfitting_protection"] = _gate(min(dcr), thresholds.dcr_overfitting_protection_min, ">=")
    gates.update(_privacy_and_utility_gates(tables, thresholds))
    orphans = foreign_key_orphans(synthetic, metadata.relationships)
    if orphans:
        gates["foreign_key_orphans"] = _gate(sum(orphans.values()), thresholds.foreign_key_orphans_max, "<=")
    return {
        "kind": SYNTHETIC_REPLICA,
        "gates": gates,
        "passed": all(g["passed"] for g in gates.values()),
        "tables": tables,
        "foreign_key_orphans": orphans,
        "thresholds": thresholds.model_dump(),
        "sdmetrics_version": sdmetrics.__version__,
    }
