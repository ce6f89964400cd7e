"""Public discrete domains of a table's columns, for a differentially private replica.

MST works on discrete columns whose domains are public: a domain taken from the data would leak
it. A numerical or datetime column is cut into ``bins`` equal bins between the organiser's public
``bounds`` from the metadata review (values outside are clipped to them), plus one cell for
exactly the lower bound (so a column with many zeros, such as incomes, keeps them rather than
spreading them over the first bin) and one cell for a missing value. A categorical column's cells
are its reviewed ``categories`` (plus ``RARE_LABEL`` for any other value), or — when the review
lists none — the values present in the data (the card then says the domain is data-derived);
a boolean's are False and True. Every column has a missing cell, whether or not the data has
nulls, so missing values are learned at their (noisy) real rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthetic.errors import InputDataError
from synthetic.metadata import TableSpec
from synthetic.prepare import RARE_LABEL

__all__ = ["DEFAULT_BINS", "ColumnDomain", "column_domains", "decode_columns", "encode_columns"]

DEFAULT_BINS = 20
_DAY = pd.Timedelta(days=1)
_EPOCH = pd.Timestamp("1970-01-01")


@dataclass(frozen=True)
class ColumnDomain:
    """The cells of one column: labels (categorical, boolean) or bin edges (numerical, datetime)."""

    column: str
    kind: str
    labels: tuple[Any, ...] = ()
    edges: tuple[float, ...] = ()
    integer: bool = False
    data_derived: bool = False

    @property
    def size(self) -> int:
        """Number of cells: labels or (lower bound, bins), plus the missing cell."""
        return (len(self.labels) if not self.edges else len(self.edges)) + 1

    def describe(self) -> dict[str, Any]:
        """What the card records about this column's domain."""
        if self.edges:
            low, high = self.edges[0], self.edges[-1]
            if self.kind == "datetime":
                low, high = str((_EPOCH + low * _DAY).date()), str((_EPOCH + high * _DAY).date())
            return {"kind": self.kind, "bounds": [low, high], "bins": len(self.edges) - 1}
        return {"kind": self.kind, "categories": len(self.labels), "from_data": self.data_derived}


def _bounds(column: str, spec: TableSpec, kind: str) -> tuple[float, float]:
    bounds = spec.columns[column].bounds
    if bounds is None:
        raise InputDataError(
            f"column {column!r} ({kind}) has no public bounds in the metadata: a differentially private "
            f"replica needs `bounds: [low, high]` (and optionally `bins: N`, default {DEFAULT_BINS}) for it "
            "in the reviewed metadata.yaml; they must come from public knowledge, not from the data"
        )
    try:
        low, high = (
            (float(bounds[0]), float(bounds[1]))
            if kind == "numerical"
            else tuple((pd.Timestamp(value) - _EPOCH) / _DAY for value in bounds)
        )
    except (TypeError, ValueError) as error:
        raise InputDataError(f"column {column!r}: bounds {list(bounds)} are not {kind} values: {error}") from error
    if not low < high:
        raise InputDataError(f"column {column!r}: bounds {list(bounds)} must be increasing")
    return low, high


def column_domains(frame: pd.DataFrame, spec: TableSpec, columns: list[str]) -> list[ColumnDomain]:
    """The public domain of each of ``columns`` (see the module docstring).

    Raises:
        InputDataError: A numerical or datetime column without bounds, or with bad bounds.
    """
    domains = []
    for column in columns:
        col = spec.columns[column]
        if col.sdtype in ("numerical", "datetime"):
            low, high = _bounds(column, spec, col.sdtype)
            edges = tuple(np.linspace(low, high, (col.bins or DEFAULT_BINS) + 1).tolist())
            integer = pd.api.types.is_integer_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
            domains.append(ColumnDomain(column, col.sdtype, edges=edges, integer=bool(integer)))
        elif col.sdtype == "boolean":
            domains.append(ColumnDomain(column, "boolean", labels=(False, True)))
        elif col.categories:
            domains.append(ColumnDomain(column, "categorical", labels=(*dict.fromkeys(col.categories), RARE_LABEL)))
        else:
            values = tuple(sorted(frame[column].dropna().astype(str).unique()))
            domains.append(ColumnDomain(column, "categorical", labels=values, data_derived=True))
    return domains


def _numbers(values: pd.Series, domain: ColumnDomain) -> np.ndarray:
    if domain.kind == "datetime":
        return ((pd.to_datetime(values) - _EPOCH) / _DAY).to_numpy(dtype=float)
    return pd.to_numeric(values).to_numpy(dtype=float)


def _encode(values: pd.Series, domain: ColumnDomain) -> np.ndarray:
    missing = domain.size - 1
    if domain.edges:
        numbers = np.clip(_numbers(values, domain), domain.edges[0], domain.edges[-1])
        bins = len(domain.edges) - 1
        width = (domain.edges[-1] - domain.edges[0]) / bins
        inner = 1 + np.minimum(bins - 1, np.floor((numbers - domain.edges[0]) / width)).astype(np.int64, copy=False)
        codes = np.where(numbers == domain.edges[0], 0, inner)
        return np.where(np.isnan(numbers), missing, codes).astype(np.int64)
    if domain.kind == "boolean":
        codes = values.map({False: 0, True: 1}).to_numpy(dtype=float)
        return np.where(np.isnan(codes), missing, codes).astype(np.int64)
    index = {label: code for code, label in enumerate(domain.labels)}
    other = index.get(RARE_LABEL, missing)
    text = values.astype(str)
    codes = text.map(index).fillna(other).to_numpy(dtype=np.int64)
    return np.where(values.isna().to_numpy(), missing, codes)


def encode_columns(frame: pd.DataFrame, domains: list[ColumnDomain]) -> dict[str, np.ndarray]:
    """Column → cell codes (0 … size-1) of ``frame``'s values."""
    return {domain.column: _encode(frame[domain.column], domain) for domain in domains}


def _decode(codes: np.ndarray, domain: ColumnDomain, rng: np.random.Generator) -> pd.Series:
    missing = codes == domain.size - 1
    if domain.edges:
        edges = np.asarray(domain.edges)
        bin_of = np.clip(codes - 1, 0, len(edges) - 2)
        numbers = edges[bin_of] + rng.random(len(codes)) * (edges[bin_of + 1] - edges[bin_of])
        numbers = np.where(codes == 0, edges[0], numbers)
        if domain.integer or domain.kind == "datetime":
            numbers = np.clip(np.floor(numbers), np.ceil(edges[0]), np.floor(edges[-1]))
        numbers = np.where(missing, np.nan, numbers)
        if domain.kind == "datetime":
            return pd.Series(pd.to_datetime(numbers, unit="D", origin=_EPOCH))
        if domain.integer and not missing.any():
            return pd.Series(numbers.astype(np.int64))
        return pd.Series(numbers)
    labels = np.asarray([*domain.labels, None], dtype=object)
    return pd.Series(labels[codes], dtype=object)


def decode_columns(codes: dict[str, np.ndarray], domains: list[ColumnDomain], rng: np.random.Generator) -> pd.DataFrame:
    """A DataFrame of values for cell codes: a value drawn uniformly within its bin, labels as they are."""
    return pd.DataFrame({domain.column: _decode(codes[domain.column], domain, rng) for domain in domains})
