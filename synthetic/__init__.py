"""Synthetic national data: reference tables, reviewed metadata, gated replicas, publishing.

The public face of the ``synthetic`` room; other rooms import only these names.
"""

from __future__ import annotations

from synthetic.card import render_card_markdown, write_card
from synthetic.errors import GateFailedError, InputDataError, SyntheticError
from synthetic.gates import GateThresholds, evaluate_replica
from synthetic.io import read_table, validate_table
from synthetic.metadata import MetadataSpec, detect_metadata, read_metadata_yaml, write_metadata_yaml
from synthetic.pipeline import read_replica_dir, read_tables, replicate, write_replica_dir
from synthetic.publish import publish_dataset
from synthetic.reference import generate_reference
from synthetic.related import RelatedReplica
from synthetic.replica import Replica

__all__ = [
    "GateFailedError",
    "GateThresholds",
    "InputDataError",
    "MetadataSpec",
    "RelatedReplica",
    "Replica",
    "SyntheticError",
    "detect_metadata",
    "evaluate_replica",
    "generate_reference",
    "publish_dataset",
    "read_metadata_yaml",
    "read_replica_dir",
    "read_table",
    "read_tables",
    "render_card_markdown",
    "replicate",
    "validate_table",
    "write_card",
    "write_metadata_yaml",
    "write_replica_dir",
]
