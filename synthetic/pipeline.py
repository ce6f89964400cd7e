"""The replicate step end to end: fit → sample → evaluate → card, and the folder it is written to.

A replica folder holds ``<table>.parquet`` files plus ``card.json``/``card.md``; it is what
:func:`synthetic.publish_dataset` publishes (via :func:`read_replica_dir`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from synthetic.card import write_card
from synthetic.errors import InputDataError
from synthetic.gates import GateThresholds, evaluate_replica
from synthetic.holdout import split_holdout
from synthetic.io import read_table, source_name
from synthetic.metadata import MetadataSpec
from synthetic.related import RelatedReplica
from synthetic.replica import DEFAULT_DELTA, Replica

__all__ = ["read_replica_dir", "read_tables", "replicate", "write_replica_dir"]


def read_tables(paths: list[Path], *, memory_budget_bytes: int | None = None) -> dict[str, pd.DataFrame]:
    """Read CSV/Parquet files or ``<SQLAlchemy URL>#<table>`` sources into ``{name: DataFrame}``.

    A file's table name is its stem, a SQL table's its name (names must differ); see
    :func:`synthetic.read_table` for ``memory_budget_bytes``.
    """
    tables: dict[str, pd.DataFrame] = {}
    for path in paths:
        name = source_name(path)
        if name in tables:
            raise InputDataError(f"two inputs are named {name!r}: table names come from file names")
        tables[name] = read_table(path, memory_budget_bytes=memory_budget_bytes)
    return tables


def replicate(
    tables: dict[str, pd.DataFrame],
    metadata: MetadataSpec,
    rows: int,
    seed: int,
    *,
    thresholds: GateThresholds | None = None,
    holdout_fraction: float = 0.0,
    synthesizer: str = "gaussian_copula",
    epsilon: float | None = None,
    delta: float = DEFAULT_DELTA,
    target: str | None = None,
    held_out: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Fit a replica of ``tables``, sample ``rows`` rows and evaluate it.

    One table is fitted with :class:`synthetic.Replica` (GaussianCopula, or differentially private
    MST); 2–5 tables linked by the metadata's relationships with :class:`synthetic.RelatedReplica` (HMA).

    Args:
        tables: Table name → source DataFrame.
        metadata: Reviewed metadata.
        rows: Synthetic rows to sample (of the top parent table when the tables are related; the
            other tables follow at the same scale).
        seed: Sampling seed (also picks the held-out rows).
        thresholds: Gate pass marks (default: :meth:`synthetic.GateThresholds.for_synthesizer`).
        holdout_fraction: Share of source rows kept out of fitting (0 ≤ f < 0.5) to measure
            distance to closest record; the gates are measured against the fitted rows. For
            related tables, that share of each root table's rows is held out with every row that
            descends from them (see :func:`synthetic.holdout.split_holdout`).
        synthesizer: ``gaussian_copula`` or ``mst`` (differentially private; one table only).
        epsilon: ε of an MST replica.
        delta: δ of an MST replica.
        target: Column for train-on-synthetic / test-on-real utility (measured when rows are held out).
        held_out: Real rows the caller kept out of ``tables`` (table → rows, e.g. a challenge's
            test rows): used like ``holdout_fraction``'s rows (then leave that at 0).

    Returns:
        (replica tables, card) — the card includes the generator description and seed.

    Raises:
        InputDataError: Both ``held_out`` and ``holdout_fraction`` given, a target without held-out
            rows, MST on related tables, or bad input (see :meth:`synthetic.Replica.fit`).
    """
    thresholds = thresholds or GateThresholds.for_synthesizer(synthesizer)
    if held_out is not None and holdout_fraction:
        raise InputDataError("give either held_out rows or a holdout_fraction, not both")
    if held_out is not None:
        train, holdout = tables, held_out
    else:
        train, holdout = split_holdout(tables, metadata, holdout_fraction, seed)
    if target is not None and not any(len(frame) for frame in holdout.values()):
        raise InputDataError(
            f"utility target {target!r} needs real rows held out to test on: give a holdout fraction (--holdout)"
        )
    if len(tables) > 1:
        if synthesizer != "gaussian_copula":
            raise InputDataError(f"the {synthesizer} synthesizer replicates one table; related tables use HMA")
        return _replicate_related(train, holdout, metadata, rows, seed, thresholds, holdout_fraction)
    replica = Replica.fit(
        train,
        metadata,
        rare_min_rows=thresholds.rare_category_min_rows,
        synthesizer=synthesizer,
        epsilon=epsilon,
        delta=delta,
    )
    synthetic = replica.sample(rows, seed)
    card = evaluate_replica(
        train, synthetic, metadata, thresholds=thresholds, holdout=holdout, target=target, seed=seed
    )
    card["generator"] = {
        **replica.describe(),
        "seed": seed,
        "rows": rows,
        "holdout_fraction": holdout_fraction,
        "held_out_rows": {name: len(frame) for name, frame in holdout.items()},
    }
    return synthetic, card


def _replicate_related(
    train: dict[str, pd.DataFrame],
    holdout: dict[str, pd.DataFrame],
    metadata: MetadataSpec,
    rows: int,
    seed: int,
    thresholds: GateThresholds,
    holdout_fraction: float,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    if rows < 1:
        raise InputDataError(f"rows must be at least 1 (got {rows})")
    replica = RelatedReplica.fit(train, metadata, rare_min_rows=thresholds.rare_category_min_rows)
    children = {r.child_table for r in replica.relationships}
    root = next(name for name in train if name not in children)
    synthetic = replica.sample(rows / len(train[root]), seed)
    card = evaluate_replica(train, synthetic, metadata, thresholds=thresholds, holdout=holdout)
    card["generator"] = {
        **replica.describe(),
        "seed": seed,
        "rows": rows,
        "root_table": root,
        "holdout_fraction": holdout_fraction,
    }
    return synthetic, card


def write_replica_dir(out_dir: Path, tables: dict[str, pd.DataFrame], card: dict[str, Any]) -> Path:
    """Write replica tables and card into ``out_dir`` (created if missing)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out_dir / f"{table}.parquet")
    write_card(card, out_dir)
    return out_dir


def read_replica_dir(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Read what :func:`write_replica_dir` wrote.

    Raises:
        InputDataError: Missing folder, card or tables.
    """
    path = Path(path)
    card_path = path / "card.json"
    if not card_path.is_file():
        raise InputDataError(
            f"{path} is not a replica folder: {card_path.name} is missing (run `arena synth replicate`)"
        )
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InputDataError(f"{card_path} is not valid JSON: {error}") from error
    tables = {p.stem: read_table(p) for p in sorted(path.glob("*.parquet"))}
    if not tables:
        raise InputDataError(f"replica folder {path} holds no .parquet table")
    return tables, card
