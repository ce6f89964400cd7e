"""Attack-based privacy risk of a replica: singling out, linkability and attribute inference.

The method of Giomi et al., "A Unified Framework for Quantifying Privacy Risk in Synthetic Data"
(PETS 2023; the anonymeter method, implemented here). Each attack uses the replica only, and is
run twice: against real rows the replica was fitted on (the targets) and against real rows kept
out of fitting (the control). Success on the control is what the replica teaches about anyone
of the population; only the excess on the targets is a privacy leak:

    risk = (target success rate - control success rate) / (1 - control success rate)

Rates are Wilson score estimates at 95 % confidence, the risk's error is propagated from both,
and the risk and its interval are bound to [0, 1]. The targets are a random sample of the
training rows as large as the control, so both attacks face the same number of rows (at most
``MAX_ATTACKS`` each).

- **Singling out**: predicates of three columns read off replica rows (``col == value``; for a
  number, ``col <= value`` below the replica's median, ``>= value`` above) that match exactly
  one replica row; one succeeds when it matches exactly one real row.
- **Linkability**: the columns are split into two halves (an attacker holding two datasets);
  a real row is linked when both halves have the same nearest replica row.
- **Attribute inference**: for each column as the secret, the attacker knows the other columns
  and guesses the secret from the nearest replica row; a guess is right when equal (numbers:
  within 5 % of the true value). The card keeps the riskiest column.

Nearest rows use a Gower-like L1 distance: numbers scaled by their range, categories one-hot
(a different category costs 1), a missing value its own indicator. The attacks use at most
``MAX_REPLICA_ROWS`` replica rows (a random sample) to keep evaluation time bounded.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.neighbors import NearestNeighbors

__all__ = ["CONFIDENCE", "MAX_ATTACKS", "MAX_REPLICA_ROWS", "attack_risks", "risk_from_counts", "wilson_rate"]

CONFIDENCE = 0.95
MAX_REPLICA_ROWS = 20_000
MAX_ATTACKS = 1000
_QUERY_COLUMNS = 3
_ATTEMPTS_PER_QUERY = 20
_RELATIVE_TOLERANCE = 0.05


def wilson_rate(successes: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score estimate of a success rate and its error at ``confidence``."""
    z = float(norm.ppf(0.5 * (1.0 + confidence)))
    denominator = total + z * z
    rate = (successes + 0.5 * z * z) / denominator
    error = (z / denominator) * math.sqrt(successes * (total - successes) / total + 0.25 * z * z)
    return rate, error


def risk_from_counts(target_successes: int, control_successes: int, attacks: int) -> dict[str, Any]:
    """The risk of an attack (excess success on targets over control) with its confidence interval."""
    attack, attack_error = wilson_rate(target_successes, attacks)
    control, control_error = wilson_rate(control_successes, attacks)
    residual = (attack - control) / (1.0 - control)
    error = math.sqrt(
        (attack_error / abs(1.0 - control)) ** 2 + (control_error * (attack - 1.0) / (1.0 - control) ** 2) ** 2
    )

    def bound(value: float) -> float:
        return round(min(max(value, 0.0), 1.0), 6)

    return {
        "risk": bound(residual),
        "ci": [bound(residual - error), bound(residual + error)],
        "attack_rate": round(attack, 6),
        "control_rate": round(control, 6),
        "attacks": attacks,
    }


def _range(values: pd.Series) -> tuple[float, float]:
    """(low, span) of a numeric column; (0, 1) when it has no spread or no value."""
    low, high = float(values.min()), float(values.max())
    if not (math.isfinite(low) and math.isfinite(high)) or high == low:
        return (low if math.isfinite(low) else 0.0), 1.0
    return low, high - low


class _Encoder:
    """Rows → points for the Gower-like L1 distance (fitted on all three tables' columns)."""

    def __init__(self, frames: list[pd.DataFrame], numeric: list[str]) -> None:
        joined = pd.concat(frames, ignore_index=True)
        self.numeric = numeric
        self.ranges = {c: _range(pd.to_numeric(joined[c])) for c in numeric}
        self.categories = {
            c: sorted(joined[c].dropna().astype(str).unique()) for c in joined.columns if c not in numeric
        }

    def points(self, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
        parts = []
        for column in columns:
            values = frame[column]
            if column in self.ranges:
                low, span = self.ranges[column]
                numbers = pd.to_numeric(values).to_numpy(dtype=float)
                parts.append(np.nan_to_num((numbers - low) / span)[:, None])
                parts.append(np.isnan(numbers)[:, None].astype(float))
            else:
                codes = pd.Categorical(values.astype(str).where(values.notna()), categories=self.categories[column])
                one_hot = np.zeros((len(values), len(self.categories[column]) + 1))
                one_hot[np.arange(len(values)), np.asarray(codes.codes)] = 0.5  # code -1 (missing) → last column
                parts.append(one_hot)
        return np.hstack(parts)


def _nearest(encoder: _Encoder, replica: pd.DataFrame, queries: pd.DataFrame, columns: list[str]) -> np.ndarray:
    index = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(encoder.points(replica, columns))
    return index.kneighbors(encoder.points(queries, columns), return_distance=False)[:, 0]


_MISSING = "\0missing"


def _columns(frame: pd.DataFrame, numeric: list[str]) -> dict[str, np.ndarray]:
    """Column → values to compare: floats (NaN missing) or text (``_MISSING`` for missing)."""
    return {
        c: pd.to_numeric(frame[c]).to_numpy(dtype=float)
        if c in numeric
        else frame[c].astype(object).where(frame[c].notna(), _MISSING).astype(str).to_numpy()
        for c in frame.columns
    }


def _matches(columns: dict[str, np.ndarray], query: list[tuple[str, Any, str]]) -> int:
    """Rows matching every condition of ``query``."""
    mask = None
    for column, value, op in query:
        values = columns[column]
        if op == "<=":
            hit = values <= value
        elif op == ">=":
            hit = values >= value
        elif op == "isnan":
            hit = np.isnan(values)
        else:
            hit = values == value
        mask = hit if mask is None else mask & hit
    return int(mask.sum()) if mask is not None else 0


def _singling_out_queries(
    replica: dict[str, np.ndarray], numeric: list[str], attacks: int, rng: np.random.Generator
) -> list[list[tuple[str, Any, str]]]:
    medians = {c: float(np.nanmedian(replica[c])) if (~np.isnan(replica[c])).any() else 0.0 for c in numeric}
    names = sorted(replica)
    rows = len(next(iter(replica.values())))
    queries, seen = [], set()
    for _ in range(attacks * _ATTEMPTS_PER_QUERY):
        if len(queries) == attacks:
            break
        row = int(rng.integers(rows))
        chosen = sorted(rng.choice(names, size=min(_QUERY_COLUMNS, len(names)), replace=False).tolist())
        query = []
        for c in chosen:
            value = replica[c][row]
            if c not in numeric:
                query.append((c, value, "=="))
            elif np.isnan(value):
                query.append((c, value, "isnan"))
            else:
                query.append((c, float(value), "<=" if value < medians[c] else ">="))
        key = repr(query)
        if key not in seen and _matches(replica, query) == 1:
            seen.add(key)
            queries.append(query)
    return queries


def _singling_out(
    targets: pd.DataFrame, control: pd.DataFrame, replica: pd.DataFrame, numeric: list[str], rng: np.random.Generator
) -> dict[str, Any]:
    queries = _singling_out_queries(_columns(replica, numeric), numeric, len(control), rng)
    if not queries:
        return {"risk": 0.0, "ci": [0.0, 0.0], "attacks": 0, "note": "no predicate singles out a replica row"}
    on_targets, on_control = _columns(targets, numeric), _columns(control, numeric)
    hits_targets = sum(_matches(on_targets, q) == 1 for q in queries)
    hits_control = sum(_matches(on_control, q) == 1 for q in queries)
    return risk_from_counts(hits_targets, hits_control, len(queries))


def _linkability(
    targets: pd.DataFrame, control: pd.DataFrame, replica: pd.DataFrame, encoder: _Encoder
) -> dict[str, Any]:
    columns = list(replica.columns)
    halves = (columns[: len(columns) // 2], columns[len(columns) // 2 :])

    def links(rows: pd.DataFrame) -> int:
        first, second = (_nearest(encoder, replica, rows, half) for half in halves)
        return int((first == second).sum())

    return {**risk_from_counts(links(targets), links(control), len(targets)), "halves": [list(h) for h in halves]}


def _guessed(truth: pd.Series, guess: pd.Series, numeric: bool) -> np.ndarray:
    both_missing = (truth.isna() & guess.isna()).to_numpy()
    if numeric:
        real, guessed = truth.to_numpy(dtype=float), guess.to_numpy(dtype=float)
        close = np.abs(guessed - real) <= _RELATIVE_TOLERANCE * np.abs(real)
        return both_missing | np.nan_to_num(close, nan=0).astype(bool)
    same = (truth.astype(str) == guess.astype(str)).to_numpy() & truth.notna().to_numpy() & guess.notna().to_numpy()
    return both_missing | same


def _inference(
    targets: pd.DataFrame, control: pd.DataFrame, replica: pd.DataFrame, encoder: _Encoder, numeric: list[str]
) -> dict[str, Any]:
    by_secret = {}
    for secret in replica.columns:
        aux = [c for c in replica.columns if c != secret]
        counts = []
        for rows in (targets, control):
            guess = replica[secret].iloc[_nearest(encoder, replica, rows, aux)].reset_index(drop=True)
            counts.append(int(_guessed(rows[secret].reset_index(drop=True), guess, secret in numeric).sum()))
        by_secret[secret] = risk_from_counts(counts[0], counts[1], len(targets))
    worst = max(by_secret, key=lambda c: by_secret[c]["risk"])
    return {**by_secret[worst], "secret": worst, "risk_by_secret": {c: r["risk"] for c, r in by_secret.items()}}


def attack_risks(
    train: pd.DataFrame, synthetic: pd.DataFrame, control: pd.DataFrame, numeric: list[str], seed: int = 0
) -> dict[str, Any]:
    """Singling-out, linkability and inference risks of ``synthetic`` (see the module docstring).

    Args:
        train: Real rows the replica was fitted on (the targets), learned columns only.
        synthetic: The replica, same columns.
        control: Real rows kept out of fitting, same columns.
        numeric: The numerical columns (datetimes given as numbers).
        seed: Picks the targets, the replica sample and the predicates (same seed → same risks).

    Returns:
        ``{"singling_out": …, "linkability": …, "inference": …}``, each with ``risk``, ``ci``
        (95 %), the target and control success rates and the number of attacks.
    """
    rng = np.random.default_rng([seed, 23])
    control = control.reset_index(drop=True)
    size = min(len(control), len(train), MAX_ATTACKS)
    targets = train.iloc[rng.choice(len(train), size=size, replace=False)].reset_index(drop=True)
    control = control.iloc[rng.choice(len(control), size=size, replace=False)].reset_index(drop=True)
    if len(synthetic) > MAX_REPLICA_ROWS:
        synthetic = synthetic.iloc[rng.choice(len(synthetic), size=MAX_REPLICA_ROWS, replace=False)]
    replica = synthetic.reset_index(drop=True)
    encoder = _Encoder([targets, control, replica], numeric)
    return {
        "singling_out": _singling_out(targets, control, replica, numeric, rng),
        "linkability": _linkability(targets, control, replica, encoder),
        "inference": _inference(targets, control, replica, encoder, numeric),
        "targets": size,
        "replica_rows_used": len(replica),
        "confidence": CONFIDENCE,
    }
