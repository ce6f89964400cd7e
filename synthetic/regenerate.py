"""Regenerate the PII columns of a sampled replica with the Vietnamese generators.

PII values are never learned: at fit time only a :class:`PiiPlan` is kept per column (its kind,
null share and, for identifiers, the textual prefix/width and how often a value repeats). After
sampling, fresh values are drawn — names and CCCD numbers consistent with the replica's own sex
and birth-date columns when the table has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic.metadata import TableSpec
from synthetic.sampling import (
    random_birth_codes,
    sample_cccd,
    sample_company_names,
    sample_full_names,
    sample_phones,
    sample_tax_codes,
)
from synthetic.vietnam import PROVINCES

__all__ = ["PiiPlan", "plan_pii", "regenerate_pii"]

_SEX_COLUMNS = ("sex", "gender", "gioi_tinh")
_SYNTHETIC_MARK = "S"  # synthetic identifiers carry it after the prefix, so they never equal a source id


@dataclass(frozen=True)
class PiiPlan:
    """How to regenerate one PII column (holds no source value)."""

    column: str
    kind: str
    null_share: float
    primary: bool = False
    prefix: str = ""
    width: int = 8
    distinct_share: float = 1.0


def plan_pii(frame: pd.DataFrame, spec: TableSpec) -> list[PiiPlan]:
    """Plans for the PII columns of ``frame`` as flagged in ``spec``."""
    plans = []
    for column in spec.pii_columns:
        values = frame[column]
        present = values.dropna().astype(str)
        prefix, width = "", 8
        if not present.empty:
            match = present.str.extract(r"^(\D*)(\d*)$")
            prefix = str(match[0].mode().iloc[0]) if match[0].notna().any() else ""
            width = max(int(match[1].dropna().str.len().median()) if match[1].notna().any() else 8, 4)
        plans.append(
            PiiPlan(
                column=column,
                kind=spec.columns[column].pii_kind or "text",
                null_share=float(values.isna().mean()),
                primary=column == spec.primary_key,
                prefix=re.sub(r"[^A-Za-z_-]", "", prefix)[:8],
                width=width,
                distinct_share=float(present.nunique() / len(present)) if len(present) else 1.0,
            )
        )
    return plans


def _male(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    for column in _SEX_COLUMNS:
        if column in frame.columns:
            text = frame[column].astype(str).str.strip().str.lower()
            return text.str.startswith("m").to_numpy() | (text == "nam").to_numpy()
    return rng.random(len(frame)) < 0.5


def _birth_year(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    if "birth_date" in frame.columns:
        years = pd.to_datetime(frame["birth_date"], errors="coerce").dt.year
    elif "birth_year" in frame.columns:
        years = pd.to_numeric(frame["birth_year"], errors="coerce")
    elif "age" in frame.columns:
        years = 2025 - pd.to_numeric(frame["age"], errors="coerce")
    else:
        years = pd.Series(np.nan, index=frame.index)
    fallback = rng.integers(1950, 2008, len(frame))
    return np.clip(np.where(years.isna(), fallback, years.fillna(0)).astype(int), 1900, 2199)


def _birth_codes(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    codes = random_birth_codes(rng, len(frame))
    if "province_code" in frame.columns:
        own = {p.code: p.cccd_codes[0] for p in PROVINCES}
        mapped = frame["province_code"].astype(str).map(own)
        codes = np.where(mapped.notna(), mapped, codes)
    return codes


def _identifiers(plan: PiiPlan, rng: np.random.Generator, n: int) -> np.ndarray:
    if plan.primary:
        serial = np.arange(1, n + 1)
    else:
        serial = rng.integers(1, max(2, round(n * plan.distinct_share)) + 1, n)
    digits = pd.Series(serial).astype(str).str.zfill(plan.width)
    return (plan.prefix + _SYNTHETIC_MARK + digits).to_numpy(dtype=object)


def _values(plan: PiiPlan, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    n = len(frame)
    if plan.kind == "id":
        return _identifiers(plan, rng, n)
    if plan.kind == "name":
        return sample_full_names(rng, _male(frame, rng))
    if plan.kind == "company":
        return sample_company_names(rng, n)
    if plan.kind == "cccd":
        return sample_cccd(rng, _birth_codes(frame, rng), _male(frame, rng), _birth_year(frame, rng))
    if plan.kind == "phone":
        return sample_phones(rng, n)
    if plan.kind == "tax_code":
        province = np.asarray([p.code for p in PROVINCES], dtype=object)[rng.integers(0, len(PROVINCES), n)]
        return sample_tax_codes(province, rng.integers(0, 100_000_000, n), int(rng.integers(0, 2**31)))
    if plan.kind == "email":
        return (pd.Series(rng.integers(0, 10**9, n)).astype(str).radd("user") + "@example.vn").to_numpy(dtype=object)
    return (pd.Series(rng.integers(0, 10**8, n)).astype(str).str.zfill(8).radd(f"{plan.column}-")).to_numpy(
        dtype=object
    )


def regenerate_pii(frame: pd.DataFrame, plans: list[PiiPlan], rng: np.random.Generator) -> pd.DataFrame:
    """Return ``frame`` with every planned PII column (re)generated, keeping each column's null share."""
    out = frame.copy()
    for plan in plans:
        values = _values(plan, out, rng)
        if plan.null_share > 0 and not plan.primary:
            values = np.where(rng.random(len(out)) < plan.null_share, None, values)
        out[plan.column] = values
    return out
