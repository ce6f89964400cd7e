"""Holding source rows out of fitting, so that a replica can be checked for copying (distance to closest record).

A single table loses a random share of its rows. Related tables lose a random share of the rows of
each root table (a table that is no one's child) together with every row that descends from them
through the reviewed relationships: a held-out household takes its people with it. A row with
several parents is held out as soon as one of them is, so the rows left for fitting never point at
a held-out row.
"""

from __future__ import annotations

import pandas as pd

from synthetic.errors import InputDataError
from synthetic.metadata import MetadataSpec, parents_first

__all__ = ["MAX_HOLDOUT_FRACTION", "split_holdout"]

MAX_HOLDOUT_FRACTION = 0.5


def split_holdout(
    tables: dict[str, pd.DataFrame], metadata: MetadataSpec, fraction: float, seed: int
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Split every table into the rows to fit on and the held-out rows.

    Args:
        tables: Table name → source DataFrame (one table, or related tables).
        metadata: Reviewed metadata; its relationships between the given tables decide which
            child rows follow a held-out parent row.
        fraction: Share of each root table's rows to hold out (0 ≤ fraction < 0.5; 0 holds nothing out).
        seed: Picks the held-out rows (same seed → same split).

    Returns:
        (training tables, held-out tables), each with a fresh 0…n-1 index.

    Raises:
        InputDataError: ``fraction`` out of range, or related tables that form a cycle.
    """
    if not 0 <= fraction < MAX_HOLDOUT_FRACTION:
        raise InputDataError(f"holdout_fraction must be within [0, {MAX_HOLDOUT_FRACTION}) (got {fraction})")
    tables = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
    relationships = [r for r in metadata.relationships if r.parent_table in tables and r.child_table in tables]
    held: dict[str, pd.Series] = {}
    for name in parents_first(relationships, list(tables)):
        frame = tables[name]
        parents = [r for r in relationships if r.child_table == name]
        if not parents:
            picked = frame.sample(frac=fraction, random_state=seed).index if fraction else frame.index[:0]
            held[name] = pd.Series(frame.index.isin(picked), index=frame.index)
            continue
        held[name] = pd.Series(False, index=frame.index)
        for rel in parents:
            gone = tables[rel.parent_table].loc[held[rel.parent_table].to_numpy(), rel.parent_primary_key]
            held[name] |= frame[rel.child_foreign_key].isin(gone)
    train = {n: f.loc[~held[n].to_numpy()].reset_index(drop=True) for n, f in tables.items()}
    holdout = {n: f.loc[held[n].to_numpy()].reset_index(drop=True) for n, f in tables.items()}
    return train, holdout
