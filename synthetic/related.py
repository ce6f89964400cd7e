"""A synthetic replica of up to five related tables: SDV's HMASynthesizer, keys remapped, PII regenerated.

HMA learns each table plus, for a parent, the distribution of its children (how many, what
they look like). The key columns (primary keys and the foreign keys of the reviewed
relationships) are given to HMA as ``id`` columns so it can link sampled rows; every other PII
column is dropped before fitting and regenerated after sampling, as in :class:`synthetic.Replica`.
After sampling, every primary key gets a fresh synthetic identifier and the foreign keys pointing
at it are rewritten through the same mapping, so referential integrity holds in the replica.

Two choices fitted to small families (a household has three or four people):

- A child column that repeats its parent's column of the same name on every row (a person's
  ``commune_code`` is their household's) is not learned per family but copied from the sampled
  parent, so the replica keeps "everyone lives in their household's commune".
- Child tables use normal marginals (SDV's own default for them): a beta fitted on three or four
  rows per family is no better and fits several times slower. Parent tables keep beta marginals.
- Categorical columns with few values are one-hot encoded (as in :class:`synthetic.Replica`), so
  the per-family copulas carry age ↔ occupation ↔ income instead of one code per category.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sdv
from rdt.transformers import OneHotEncoder
from sdv.metadata import Metadata
from sdv.multi_table import HMASynthesizer

from synthetic.errors import InputDataError
from synthetic.io import validate_table
from synthetic.metadata import MetadataSpec, Relationship, parents_first
from synthetic.prepare import merge_rare_categories, one_hot_columns, rare_categories
from synthetic.regenerate import PiiPlan, plan_pii, regenerate_pii

__all__ = ["MAX_RELATED_TABLES", "RelatedReplica", "foreign_key_orphans"]

MAX_RELATED_TABLES = 5


def foreign_key_orphans(tables: dict[str, pd.DataFrame], relationships: list[Relationship]) -> dict[str, int]:
    """``child.fk → parent.pk`` → number of non-null child keys with no parent row (tables present only)."""
    orphans = {}
    for rel in relationships:
        if rel.parent_table in tables and rel.child_table in tables:
            keys = tables[rel.child_table][rel.child_foreign_key].dropna()
            parents = tables[rel.parent_table][rel.parent_primary_key]
            orphans[f"{rel.child_table}.{rel.child_foreign_key}"] = int((~keys.isin(parents)).sum())
    return orphans


@dataclass
class RelatedReplica:
    """A fitted replica of 2–5 related tables (use :meth:`fit`)."""

    metadata: MetadataSpec
    synthesizer: HMASynthesizer
    keys: dict[str, list[str]]  # table → key columns HMA links rows with
    plans: dict[str, list[PiiPlan]]  # table → how its other PII columns are regenerated
    rare: dict[str, dict[str, list[str]]]  # table → column → merged rare categories
    inherited: dict[str, dict[str, Relationship]]  # table → column copied from the parent along this relationship
    columns: dict[str, list[str]]  # table → source column order
    source_rows: dict[str, int]

    @classmethod
    def fit(cls, tables: dict[str, pd.DataFrame], metadata: MetadataSpec, *, rare_min_rows: int = 10) -> RelatedReplica:
        """Fit an HMA replica of related ``tables``.

        Args:
            tables: Table name → source DataFrame (2 to 5 tables, linked by ``metadata.relationships``).
            metadata: Reviewed metadata of every table, with the relationships between them.
            rare_min_rows: Categories with fewer source rows are merged before fitting.

        Raises:
            InputDataError: Too few/many tables, a table or relationship the metadata does not
                describe, a table that fails :func:`synthetic.validate_table`, or a foreign key
                value with no parent row.
        """
        relationships = _checked(tables, metadata)
        keys = {name: _key_columns(name, metadata, relationships) for name in tables}
        inherited = _inherited_columns(tables, metadata, relationships, keys)
        children = {r.child_table for r in relationships}
        prepared, plans, rare = {}, {}, {}
        for name, frame in tables.items():
            spec = metadata.tables[name]
            learned = [
                c for c in frame.columns if (c in keys[name] or not spec.columns[c].pii) and c not in inherited[name]
            ]
            rare[name] = rare_categories(frame[learned], spec, rare_min_rows)
            prepared[name] = merge_rare_categories(frame[learned], rare[name])
            plans[name] = [plan for plan in plan_pii(frame, spec) if plan.column not in keys[name]]
        synthesizer = HMASynthesizer(_sdv_metadata(prepared, metadata, relationships, keys), verbose=False)
        for name, frame in prepared.items():
            numerical = [
                c for c in frame.columns if metadata.tables[name].columns[c].sdtype in ("numerical", "datetime")
            ]
            marginal = "norm" if name in children else "beta"
            synthesizer.set_table_parameters(
                name, {"default_distribution": "norm", "numerical_distributions": dict.fromkeys(numerical, marginal)}
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            synthesizer.auto_assign_transformers(prepared)
            for name, frame in prepared.items():
                encoders = {column: OneHotEncoder() for column in one_hot_columns(frame, metadata.tables[name])}
                if encoders:
                    synthesizer.update_transformers(name, encoders)
            synthesizer.fit(prepared)
        columns = {name: list(frame.columns) for name, frame in tables.items()}
        sizes = {n: len(f) for n, f in tables.items()}
        return cls(metadata, synthesizer, keys, plans, rare, inherited, columns, sizes)

    @property
    def relationships(self) -> list[Relationship]:
        """The relationships between the fitted tables."""
        return [
            r for r in self.metadata.relationships if r.parent_table in self.columns and r.child_table in self.columns
        ]

    def sample(self, scale: float, seed: int) -> dict[str, pd.DataFrame]:
        """Sample every table at ``scale`` × its source size (same seed → same rows), keys remapped.

        Returns:
            Table name → synthetic DataFrame with the source's columns in the source's order.
        """
        if scale <= 0:
            raise InputDataError(f"scale must be positive (got {scale})")
        self.synthesizer._numpy_seed = seed  # SDV 2.0: HMA draws parent ids and child counts from this seed
        for table_synthesizer in self.synthesizer._table_synthesizers.values():
            table_synthesizer._set_random_state(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sampled = self.synthesizer.sample_scale(scale=scale)
        rng = np.random.default_rng([seed, 7])
        parents = {r.parent_table: r.parent_primary_key for r in self.relationships}
        new_ids = {name: _id_map(sampled[name][key], key) for name, key in parents.items()}
        keyed = {}
        for name, frame in sampled.items():
            frame = frame.reset_index(drop=True).copy()
            if name in parents:
                frame[parents[name]] = frame[parents[name]].map(new_ids[name])
            for rel in self.relationships:
                if rel.child_table == name:
                    frame[rel.child_foreign_key] = frame[rel.child_foreign_key].map(new_ids[rel.parent_table])
            keyed[name] = frame
        for name in parents_first(self.relationships, list(keyed)):
            for column, rel in self.inherited[name].items():
                parent = keyed[rel.parent_table].set_index(rel.parent_primary_key)[column]
                keyed[name][column] = keyed[name][rel.child_foreign_key].map(parent)
        return {name: regenerate_pii(frame, self.plans[name], rng)[self.columns[name]] for name, frame in keyed.items()}

    def describe(self) -> dict[str, Any]:
        """What the replica is (for the dataset card)."""
        return {
            "tables": list(self.columns),
            "synthesizer": "HMASynthesizer",
            "sdv_version": sdv.__version__,
            "source_rows": self.source_rows,
            "relationships": [r.model_dump() for r in self.relationships],
            "pii_regenerated": {t: {p.column: p.kind for p in plans} for t, plans in self.plans.items()},
            "rare_categories_merged": {t: {c: len(v) for c, v in rare.items()} for t, rare in self.rare.items()},
            "copied_from_parent": {
                t: {c: f"{r.parent_table}.{c}" for c, r in cols.items()} for t, cols in self.inherited.items() if cols
            },
        }


def _id_map(sampled_keys: pd.Series, key: str) -> pd.Series:
    """Sampled key → fresh synthetic identifier (``<initial>S<serial>``, never a source value)."""
    unique = pd.unique(sampled_keys.dropna())
    prefix = key[:1].upper() + "S"
    return pd.Series([f"{prefix}{i:08d}" for i in range(1, len(unique) + 1)], index=unique, dtype=object)


def _inherited_columns(
    tables: dict[str, pd.DataFrame],
    metadata: MetadataSpec,
    relationships: list[Relationship],
    keys: dict[str, list[str]],
) -> dict[str, dict[str, Relationship]]:
    """Child columns (not keys, not PII) equal on every row to the same-named column of their parent row."""
    found: dict[str, dict[str, Relationship]] = {name: {} for name in tables}
    for rel in relationships:
        child, parent = tables[rel.child_table], tables[rel.parent_table]
        spec = metadata.tables[rel.child_table]
        for column in child.columns:
            if column in keys[rel.child_table] or spec.columns[column].pii or column in found[rel.child_table]:
                continue
            if column not in parent.columns or column == rel.parent_primary_key:
                continue
            looked_up = child[rel.child_foreign_key].map(parent.set_index(rel.parent_primary_key)[column])
            if child[rel.child_foreign_key].notna().all() and looked_up.reset_index(drop=True).equals(
                child[column].reset_index(drop=True)
            ):
                found[rel.child_table][column] = rel
    return found


def _checked(tables: dict[str, pd.DataFrame], metadata: MetadataSpec) -> list[Relationship]:
    if not 2 <= len(tables) <= MAX_RELATED_TABLES:
        raise InputDataError(f"a related replica takes 2 to {MAX_RELATED_TABLES} tables (got {len(tables)})")
    for name, frame in tables.items():
        spec = metadata.tables.get(name)
        if spec is None:
            raise InputDataError(f"table {name!r} is not described in the metadata (has: {', '.join(metadata.tables)})")
        if sorted(spec.columns) != sorted(frame.columns):
            raise InputDataError(f"table {name!r} does not match its metadata columns {list(spec.columns)}")
        validate_table(frame, name, key=spec.primary_key)
    relationships = [r for r in metadata.relationships if r.parent_table in tables and r.child_table in tables]
    linked = {r.parent_table for r in relationships} | {r.child_table for r in relationships}
    if linked != set(tables):
        raise InputDataError(f"table(s) {sorted(set(tables) - linked)} have no relationship to the other tables")
    for where, count in foreign_key_orphans(tables, relationships).items():
        if count:
            raise InputDataError(f"foreign key {where}: {count} value(s) have no parent row")
    return relationships


def _key_columns(table: str, metadata: MetadataSpec, relationships: list[Relationship]) -> list[str]:
    keys = [r.child_foreign_key for r in relationships if r.child_table == table]
    if any(r.parent_table == table for r in relationships):
        keys.append(metadata.tables[table].primary_key)  # type: ignore[arg-type]
    return keys


def _sdv_metadata(
    prepared: dict[str, pd.DataFrame],
    metadata: MetadataSpec,
    relationships: list[Relationship],
    keys: dict[str, list[str]],
) -> Metadata:
    tables = {}
    for name, frame in prepared.items():
        spec = metadata.tables[name]
        columns = {c: {"sdtype": "id" if c in keys[name] else spec.columns[c].sdtype} for c in frame.columns}
        tables[name] = {"columns": columns}
        if spec.primary_key in keys[name]:
            tables[name]["primary_key"] = spec.primary_key
    return Metadata.load_from_dict(
        {
            "tables": tables,
            "relationships": [
                {
                    "parent_table_name": r.parent_table,
                    "parent_primary_key": r.parent_primary_key,
                    "child_table_name": r.child_table,
                    "child_foreign_key": r.child_foreign_key,
                }
                for r in relationships
            ],
        }
    )
