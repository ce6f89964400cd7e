"""Edge cases kept: missing values, uncommon categories and extreme values at the real rates.

Code developed on a replica must meet what real data holds: nulls, the odd category, the long
tail. For each learned column this measures, in the real training rows and in the replica:

- ``missing``: the share of missing values;
- ``uncommon``: the share of rows holding a category rarer than ``UNCOMMON_SHARE`` of the real
  rows (rare categories count as their merged label, as the replica sees them);
- ``extreme``: the share of numbers (or dates) outside the real rows' 1st–99th percentiles.

The gate takes the worst ``(replica rate + 2 standard errors) / real rate`` (capped at 1) over
the cases the real rows have, so a replica that smooths an edge case away fails it while a
replica whose rate misses by sampling chance alone does not (the standard error is that of a
rate at the real rate measured on as many rows as the replica has: √(real · (1 − real) / rows)).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from synthetic.metadata import TableSpec

__all__ = ["UNCOMMON_SHARE", "edge_case_rates", "worst_kept_ratio"]

UNCOMMON_SHARE = 0.05
_TAILS = (0.01, 0.99)


def _numbers(values: pd.Series, sdtype: str) -> pd.Series:
    if sdtype == "datetime":
        return (pd.to_datetime(values) - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return pd.to_numeric(values, errors="coerce").astype(float)


def edge_case_rates(
    source: pd.DataFrame, synthetic: pd.DataFrame, spec: TableSpec
) -> dict[str, dict[str, list[float]]]:
    """Column → case → [real rate, replica rate], for the cases the real rows have (see the module)."""
    rates: dict[str, dict[str, list[float]]] = {}
    for column, col in spec.columns.items():
        if col.pii or col.sdtype == "id" or column not in synthetic.columns:
            continue
        real, fake = source[column], synthetic[column]
        cases = {"missing": [float(real.isna().mean()), float(fake.isna().mean())]}
        if col.sdtype in ("numerical", "datetime"):
            numbers, replica = _numbers(real, col.sdtype).dropna(), _numbers(fake, col.sdtype).dropna()
            if len(numbers):
                low, high = numbers.quantile(_TAILS[0]), numbers.quantile(_TAILS[1])
                outside = [float(((v < low) | (v > high)).mean()) if len(v) else 0.0 for v in (numbers, replica)]
                cases["extreme"] = outside
        elif col.sdtype in ("categorical", "boolean"):
            shares = real.dropna().astype(str).value_counts(normalize=True)
            uncommon = set(shares[shares < UNCOMMON_SHARE].index)
            cases["uncommon"] = [
                float(v.dropna().astype(str).isin(uncommon).sum() / max(len(v), 1)) for v in (real, fake)
            ]
        kept = {case: [round(r, 6), round(s, 6)] for case, (r, s) in cases.items() if r > 0}
        if kept:
            rates[column] = kept
    return rates


def worst_kept_ratio(rates: dict[str, dict[str, list[float]]], replica_rows: int) -> tuple[float, str | None]:
    """The smallest ``(replica + 2 standard errors) / real`` rate ratio (capped at 1) and where it is (``column.case``)."""
    worst, where = 1.0, None
    for column, cases in rates.items():
        for case, (real, replica) in cases.items():
            allowance = 2.0 * math.sqrt(real * (1.0 - real) / max(replica_rows, 1))
            ratio = float(np.clip((replica + allowance) / real, 0.0, 1.0))
            if ratio < worst:
                worst, where = ratio, f"{column}.{case}"
    return round(worst, 6), where
