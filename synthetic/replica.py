"""A synthetic replica of a source table: fit a synthesizer, sample, regenerate PII.

Two synthesizers: an SDV GaussianCopula (the default), or MST (``synthesizer="mst"``), which is
differentially private at the (ε, δ) given (see :mod:`synthetic.mst`). PII columns are dropped
before fitting (the model never sees them) and regenerated after sampling; rare categories are
merged before fitting (for MST: in categorical columns whose values the review does not list).
Related tables are replicated by :class:`synthetic.RelatedReplica` (HMA).
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sdv
from rdt.transformers import OneHotEncoder
from sdv.single_table import GaussianCopulaSynthesizer

from synthetic.calibrate import calibrate_categories, category_shares
from synthetic.discretize import column_domains
from synthetic.errors import InputDataError, SyntheticError
from synthetic.io import validate_table
from synthetic.metadata import MetadataSpec, TableSpec
from synthetic.mst import MstModel
from synthetic.prepare import holds_text, merge_rare_categories, one_hot_columns, rare_categories
from synthetic.regenerate import PiiPlan, plan_pii, regenerate_pii

__all__ = ["DEFAULT_DELTA", "DEFAULT_RARE_MIN_ROWS", "SYNTHESIZERS", "Replica"]

DEFAULT_RARE_MIN_ROWS = 10
SYNTHESIZERS = ("gaussian_copula", "mst")
#: δ of a DP replica when none is given (well below 1 / rows for any national table).
DEFAULT_DELTA = 1e-9
_FORMAT = 1


class Replica:
    """A fitted synthetic replica of one table (use :meth:`fit` or :meth:`load`)."""

    def __init__(
        self,
        table: str,
        metadata: MetadataSpec,
        synthesizer: GaussianCopulaSynthesizer | MstModel,
        plans: list[PiiPlan],
        rare: dict[str, list[str]],
        columns: list[str],
        source_rows: int,
        shares: dict[str, dict[str, float]] | None = None,
    ) -> None:
        self.table = table
        self.metadata = metadata
        self.synthesizer = synthesizer
        self.plans = plans
        self.rare = rare
        self.columns = columns
        self.source_rows = source_rows
        self.shares = shares or {}

    @classmethod
    def fit(
        cls,
        tables: dict[str, pd.DataFrame],
        metadata: MetadataSpec,
        *,
        rare_min_rows: int = DEFAULT_RARE_MIN_ROWS,
        distribution: str = "gaussian_kde",
        synthesizer: str = "gaussian_copula",
        epsilon: float | None = None,
        delta: float = DEFAULT_DELTA,
    ) -> Replica:
        """Fit a replica of the (single) table in ``tables``.

        Args:
            tables: Table name → source DataFrame (exactly one table for now).
            metadata: Reviewed metadata naming that table; its PII columns are never learned.
            rare_min_rows: Categories with fewer source rows are merged before fitting.
            distribution: GaussianCopula marginal distribution (``gaussian_kde`` follows skewed,
                zero-inflated columns such as incomes; ``beta`` is faster on large tables).
            synthesizer: ``gaussian_copula`` or ``mst`` (differentially private).
            epsilon: ε of an MST replica (required for it).
            delta: δ of an MST replica.

        Raises:
            InputDataError: Not exactly one table, the table/columns disagree with the metadata,
                an empty table, an all-null column or a non-unique primary key; an unknown
                synthesizer, MST without ε, or a numerical column without public bounds for MST.
        """
        if synthesizer not in SYNTHESIZERS:
            raise InputDataError(f"unknown synthesizer {synthesizer!r} (known: {', '.join(SYNTHESIZERS)})")
        if synthesizer == "mst" and epsilon is None:
            raise InputDataError("the mst synthesizer needs a privacy budget: give epsilon (e.g. --epsilon 1)")
        table, frame, spec = _single_table(tables, metadata)
        learnable = [c for c in frame.columns if not spec.columns[c].pii]
        rare = rare_categories(frame, spec, rare_min_rows)
        if synthesizer == "mst":
            rare = {column: values for column, values in rare.items() if not spec.columns[column].categories}
        prepared = merge_rare_categories(frame[learnable], rare)
        if synthesizer == "mst":
            model: GaussianCopulaSynthesizer | MstModel = MstModel.fit(
                prepared,
                column_domains(prepared, spec, learnable),
                float(epsilon),
                delta,  # type: ignore[arg-type]
            )
            shares = {}
        else:
            model = _fitted_copula(table, prepared, metadata, distribution)
            text = [c for c in learnable if spec.columns[c].sdtype == "categorical" and holds_text(prepared[c])]
            shares = category_shares(prepared, text)
        plans = plan_pii(frame, spec)
        return cls(table, metadata, model, plans, rare, list(frame.columns), len(frame), shares)

    def sample(self, rows: int, seed: int) -> dict[str, pd.DataFrame]:
        """Sample ``rows`` synthetic rows (same seed → same rows) with fresh PII values.

        Returns:
            Table name → synthetic DataFrame with the source's columns in the source's order.
        """
        if rows < 1:
            raise InputDataError(f"rows must be at least 1 (got {rows})")
        if isinstance(self.synthesizer, MstModel):
            learned = self.synthesizer.sample(rows, seed)
        else:
            self.synthesizer._set_random_state(seed)  # SDV 2.0: the only way to seed one sample() call
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                learned = self.synthesizer.sample(num_rows=rows)
            if isinstance(learned, dict):  # SDV 2.x returns {table: frame}
                learned = learned[self.table]
            learned = calibrate_categories(
                learned.reset_index(drop=True), self.shares, np.random.default_rng([seed, 5])
            )
        frame = regenerate_pii(learned.reset_index(drop=True), self.plans, np.random.default_rng([seed, 7]))
        return {self.table: frame[self.columns]}

    def describe(self) -> dict[str, Any]:
        """What the replica is (for the dataset card)."""
        model = (
            {"synthesizer": "MST", "mst": self.synthesizer.describe()}
            if isinstance(self.synthesizer, MstModel)
            else {"synthesizer": "GaussianCopulaSynthesizer", "sdv_version": sdv.__version__}
        )
        return {
            "table": self.table,
            **model,
            "source_rows": self.source_rows,
            "pii_regenerated": {plan.column: plan.kind for plan in self.plans},
            "rare_categories_merged": {column: len(values) for column, values in self.rare.items()},
            "category_rates_calibrated": sorted(self.shares),
        }

    def save(self, path: Path) -> Path:
        """Save the fitted replica to ``path`` (a pickle; load it only from trusted places)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            pickle.dump({"format": _FORMAT, "replica": self}, handle)
        return path

    @classmethod
    def load(cls, path: Path) -> Replica:
        """Load a replica written by :meth:`save`.

        Raises:
            SyntheticError: The file is missing or not a saved replica.
        """
        path = Path(path)
        try:
            with path.open("rb") as handle:
                payload = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError) as error:
            raise SyntheticError(f"cannot load replica from {path}: {error}") from error
        if (
            not isinstance(payload, dict)
            or payload.get("format") != _FORMAT
            or not isinstance(payload.get("replica"), cls)
        ):
            raise SyntheticError(f"{path} is not a saved replica (format {_FORMAT})")
        return payload["replica"]


def _single_table(tables: dict[str, pd.DataFrame], metadata: MetadataSpec) -> tuple[str, pd.DataFrame, TableSpec]:
    """The one table to fit, checked against its metadata (columns, nulls, key, something to learn)."""
    if len(tables) != 1:
        raise InputDataError(
            f"a replica is fitted on exactly one table for now (got {len(tables)}: {', '.join(tables)})"
        )
    ((table, frame),) = tables.items()
    spec = metadata.tables.get(table)
    if spec is None:
        raise InputDataError(f"table {table!r} is not described in the metadata (has: {', '.join(metadata.tables)})")
    missing = [c for c in spec.columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in spec.columns]
    if missing or extra:
        raise InputDataError(f"table {table!r} does not match its metadata: missing {missing}, undescribed {extra}")
    validate_table(frame, table, key=spec.primary_key)
    if all(spec.columns[c].pii for c in frame.columns):
        raise InputDataError(f"table {table!r}: every column is PII, nothing to learn")
    return table, frame, spec


def _fitted_copula(
    table: str, prepared: pd.DataFrame, metadata: MetadataSpec, distribution: str
) -> GaussianCopulaSynthesizer:
    """A GaussianCopula fitted on the prepared (PII-free, rare-merged) table."""
    spec = metadata.tables[table]
    synthesizer = GaussianCopulaSynthesizer(
        metadata.to_sdv(table),
        enforce_min_max_values=True,
        default_distribution="norm",  # one-hot and label codes
        numerical_distributions={
            column: distribution
            for column in prepared.columns
            if spec.columns[column].sdtype in ("numerical", "datetime")
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer.auto_assign_transformers({table: prepared})
        synthesizer.update_transformers({column: OneHotEncoder() for column in one_hot_columns(prepared, spec)})
        synthesizer.fit({table: prepared})
    return synthesizer
