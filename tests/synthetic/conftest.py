"""Fixtures of the synthetic-data tests: one small reference world, source samples and cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synthetic import MetadataSpec, Replica, detect_metadata, evaluate_replica, generate_reference

REFERENCE_PEOPLE = 3000
REFERENCE_SEED = 11


@pytest.fixture(scope="session")
def reference_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reference tables of 3,000 people (generated once per test session)."""
    return generate_reference(REFERENCE_PEOPLE, REFERENCE_SEED, tmp_path_factory.mktemp("reference"), chunk_size=1000)


@pytest.fixture(scope="session")
def reference(reference_paths: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """The reference tables as DataFrames."""
    return {name: pd.read_parquet(path) for name, path in reference_paths.items()}


@pytest.fixture(scope="session")
def enterprises_source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """300 enterprises: the source of the replica that must pass the gates."""
    paths = generate_reference(12_000, 5, tmp_path_factory.mktemp("ent-reference"))
    frame = pd.read_parquet(paths["enterprises"]).head(300).reset_index(drop=True)
    return {"enterprises": frame}


@pytest.fixture(scope="session")
def enterprises_metadata(enterprises_source: dict[str, pd.DataFrame]) -> MetadataSpec:
    """Reviewed metadata of the enterprises source."""
    return detect_metadata(enterprises_source)


@pytest.fixture(scope="session")
def enterprises_replica(enterprises_source: dict[str, pd.DataFrame], enterprises_metadata: MetadataSpec) -> Replica:
    """A GaussianCopula replica fitted on the 300 enterprises."""
    return Replica.fit(enterprises_source, enterprises_metadata)


@pytest.fixture(scope="session")
def passing(
    enterprises_source: dict[str, pd.DataFrame], enterprises_metadata: MetadataSpec, enterprises_replica: Replica
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """(replica tables, card) of a genuine replica."""
    tables = enterprises_replica.sample(300, seed=1)
    return tables, evaluate_replica(enterprises_source, tables, enterprises_metadata)


@pytest.fixture(scope="session")
def copying(
    enterprises_source: dict[str, pd.DataFrame], enterprises_metadata: MetadataSpec
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """(tables, card) of a fake "replica" that copies the source rows."""
    tables = {name: frame.copy() for name, frame in enterprises_source.items()}
    return tables, evaluate_replica(enterprises_source, tables, enterprises_metadata)
