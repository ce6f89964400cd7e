"""MST: a differentially private synthesizer (McKenna, Miklau, Sheldon; winner of the NIST 2018 challenge).

Steps, on discrete columns (see :mod:`synthetic.discretize`), the budget ρ split in thirds:

1. **One-way marginals**, every column's counts with Gaussian noise (ρ/3 in all). Cells whose
   noisy count is below three noise standard deviations are merged into one tail cell (post-
   processing: it costs nothing and keeps the model small); a value of the tail is drawn
   uniformly among its cells when sampling.
2. **A maximum spanning tree** over the columns, chosen privately (ρ/3): the weight of a pair is
   the L1 distance between its true two-way counts and what the noisy one-way marginals predict
   under independence (sensitivity 1); the tree is grown edge by edge (Kruskal), each edge chosen
   by the exponential mechanism among the pairs that join two components.
3. **Two-way marginals** of the tree's edges with Gaussian noise (ρ/3).
4. **Estimation and sampling** with mbi (private-pgm): a graphical model fitted to all noisy
   marginals by mirror descent, then sampled. Both are post-processing.

The noise and the accounting come from OpenDP through :class:`synthetic.dp_accounting.ZcdpAccountant`;
the noise is drawn from OpenDP's cryptographic generator, so it is not replayable from the seed
(a seeded noise would void the guarantee); only the sampling of the fitted model is seeded.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import jax.numpy as jnp
import numpy as np
import pandas as pd
from mbi import Domain, LinearMeasurement, MarkovRandomField, estimation

from synthetic.discretize import ColumnDomain, decode_columns, encode_columns
from synthetic.dp_accounting import ZcdpAccountant

__all__ = ["DEFAULT_ESTIMATION_ITERS", "MstModel"]

DEFAULT_ESTIMATION_ITERS = 1000
_SUPPORT_SIGMAS = 3.0  # a noisy count below this many noise standard deviations joins the tail cell


@dataclass
class _Compression:
    """Which cells of a column kept their own cell after the noisy one-way count; the rest are the tail."""

    kept: np.ndarray  # old cells kept, in order (new code = position)
    tail: np.ndarray  # old cells merged into the tail cell (new code = len(kept))
    missing: int  # the missing cell: a tail value is drawn among the others when there are others

    @property
    def size(self) -> int:
        return len(self.kept) + (1 if len(self.tail) else 0)

    def compress(self, codes: np.ndarray, old_size: int) -> np.ndarray:
        mapping = np.full(old_size, len(self.kept), dtype=np.int64)
        mapping[self.kept] = np.arange(len(self.kept))
        return mapping[codes]

    def expand(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(len(codes), dtype=np.int64)
        inside = codes < len(self.kept)
        out[inside] = self.kept[codes[inside]]
        if len(self.tail):
            present = self.tail[self.tail != self.missing]
            out[~inside] = rng.choice(present if len(present) else self.tail, size=int((~inside).sum()))
        return out


def _one_way(
    codes: np.ndarray, domain: ColumnDomain, sigma: float, accountant: ZcdpAccountant
) -> tuple[_Compression, LinearMeasurement, np.ndarray]:
    """Noisy counts of one column, its compression, the measurement re-expressed over it and the
    compressed noisy counts (the tail cell's is the sum of its cells')."""
    noisy = accountant.gaussian(np.bincount(codes, minlength=domain.size), sigma, "one-way marginals")
    support = noisy >= _SUPPORT_SIGMAS * sigma
    compression = _Compression(np.flatnonzero(support), np.flatnonzero(~support), domain.size - 1)
    if not len(compression.tail):
        return compression, LinearMeasurement(noisy, (domain.column,), sigma), noisy
    # The tail cell's noisy count is the sum of its cells' (variance m·σ²): scaled by 1/√m it has σ again.
    scale = 1.0 / math.sqrt(len(compression.tail))
    values = np.append(noisy[support], noisy[~support].sum() * scale)
    weights = jnp.asarray(np.append(np.ones(len(compression.kept)), scale))
    measurement = LinearMeasurement(values, (domain.column,), sigma, query=lambda factor: factor.datavector() * weights)
    return compression, measurement, np.append(noisy[support], noisy[~support].sum())


def _pair_counts(a: np.ndarray, b: np.ndarray, size_a: int, size_b: int) -> np.ndarray:
    return np.bincount(a * size_b + b, minlength=size_a * size_b).astype(float)


def _spanning_tree(
    codes: dict[str, np.ndarray],
    sizes: dict[str, int],
    one_way: dict[str, np.ndarray],
    rho: float,
    accountant: ZcdpAccountant,
) -> list[tuple[str, str]]:
    """The private maximum spanning tree's edges (exponential mechanism per edge, Kruskal order)."""
    columns = list(codes)
    total = max(1.0, float(np.median([values.sum() for values in one_way.values()])))
    shares = {
        c: values / values.sum() if values.sum() > 0 else np.full(len(values), 1 / len(values))
        for c, values in one_way.items()
    }
    weights = {}
    for a, b in itertools.combinations(columns, 2):
        expected = np.outer(shares[a], shares[b]).ravel() * total
        weights[a, b] = float(np.abs(_pair_counts(codes[a], codes[b], sizes[a], sizes[b]) - expected).sum())
    component = {column: column for column in columns}

    def root(column: str) -> str:
        while component[column] != column:
            column = component[column]
        return column

    epsilon = math.sqrt(8.0 * rho / (len(columns) - 1))
    edges = []
    for _ in range(len(columns) - 1):
        candidates = [pair for pair in weights if root(pair[0]) != root(pair[1])]
        chosen = candidates[
            accountant.exponential(np.array([weights[p] for p in candidates]), epsilon, "spanning tree")
        ]
        component[root(chosen[0])] = root(chosen[1])
        edges.append(chosen)
    return edges


class MstModel:
    """A fitted MST model of a table's learnable columns (use :meth:`fit`)."""

    def __init__(
        self,
        domains: list[ColumnDomain],
        compressions: dict[str, _Compression],
        model: MarkovRandomField,
        edges: list[tuple[str, str]],
        accountant: ZcdpAccountant,
    ) -> None:
        self.domains = domains
        self.compressions = compressions
        self.model = model
        self.edges = edges
        self.accountant = accountant

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        domains: list[ColumnDomain],
        epsilon: float,
        delta: float,
        *,
        iters: int = DEFAULT_ESTIMATION_ITERS,
    ) -> MstModel:
        """Fit MST on ``frame``'s columns named by ``domains`` under (ε, δ)-DP.

        Args:
            frame: The source rows (PII already left out).
            domains: Public domain of each column to learn.
            epsilon: Privacy loss ε (> 0).
            delta: δ (0 < δ < 1; take it well below 1 / rows).
            iters: Mirror-descent iterations of the estimation.

        Raises:
            InputDataError: ε or δ out of range.
        """
        accountant = ZcdpAccountant(epsilon, delta)
        codes = encode_columns(frame, domains)
        columns = [d.column for d in domains]
        share = accountant.rho / 3 if len(columns) > 1 else accountant.rho
        sigma_one = math.sqrt(len(columns) / (2 * share))
        compressions, measurements, one_way = {}, [], {}
        for domain in domains:
            compression, measurement, counts = _one_way(codes[domain.column], domain, sigma_one, accountant)
            compressions[domain.column] = compression
            codes[domain.column] = compression.compress(codes[domain.column], domain.size)
            measurements.append(measurement)
            one_way[domain.column] = np.clip(counts, 0, None)
        sizes = {column: compressions[column].size for column in columns}
        edges: list[tuple[str, str]] = []
        if len(columns) > 1:
            edges = _spanning_tree(codes, sizes, one_way, share, accountant)
            sigma_two = math.sqrt((len(columns) - 1) / (2 * share))
            for a, b in edges:
                counts = _pair_counts(codes[a], codes[b], sizes[a], sizes[b])
                noisy = accountant.gaussian(counts, sigma_two, "two-way marginals")
                measurements.append(LinearMeasurement(noisy, (a, b), sigma_two))
        domain = Domain(columns, [sizes[c] for c in columns])
        model = estimation.mirror_descent(domain, measurements, iters=iters)
        return cls(domains, compressions, model, edges, accountant)

    def sample(self, rows: int, seed: int) -> pd.DataFrame:
        """``rows`` synthetic rows (same seed → same rows) in the source's value space."""
        state = np.random.get_state()
        np.random.seed(
            np.random.SeedSequence([seed, 17]).generate_state(1)[0]
        )  # mbi samples with numpy's global generator
        try:
            sampled = self.model.synthetic_data(rows).to_dict()
        finally:
            np.random.set_state(state)
        rng = np.random.default_rng([seed, 19])
        order = rng.permutation(rows)  # mbi's rounding emits rows grouped by value
        codes = {
            d.column: self.compressions[d.column].expand(np.asarray(sampled[d.column], dtype=np.int64)[order], rng)
            for d in self.domains
        }
        return decode_columns(codes, self.domains, rng)

    def describe(self) -> dict[str, Any]:
        """What the card records: the privacy accounting, the domains and the tree."""
        return {
            "method": "MST (McKenna, Miklau, Sheldon 2021; NIST 2018 DP synthetic data challenge)",
            "mbi_version": version("mbi"),
            "privacy": self.accountant.describe(),
            "domains": {d.column: d.describe() for d in self.domains},
            "data_derived_domains": [d.column for d in self.domains if d.data_derived],
            "tree": [list(edge) for edge in self.edges],
        }
