"""Synthetic national data: reference tables, reviewed metadata, gated replicas, publishing.

The public face of the ``synthetic`` room; other rooms import only these names. Names are
imported on first use, so that a Dask or process worker that runs a reference chunk imports
numpy and Arrow only, not SDV (whose import of PyTorch costs seconds per worker).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthetic.attacks import attack_risks
    from synthetic.card import (
        DECLARED_PUBLIC,
        SYNTHETIC_REPLICA,
        decided_on_note,
        is_declared_public,
        is_synthetic_replica,
        render_card_markdown,
        summarise_card,
        write_card,
    )
    from synthetic.errors import GateFailedError, InputDataError, NotAReplicaError, SyntheticError
    from synthetic.gates import GateThresholds, evaluate_replica
    from synthetic.holdout import split_holdout
    from synthetic.io import read_table, validate_table
    from synthetic.metadata import MetadataSpec, detect_metadata, read_metadata_yaml, write_metadata_yaml
    from synthetic.pipeline import read_replica_dir, read_tables, replicate, write_replica_dir
    from synthetic.publish import publish_dataset
    from synthetic.reference import generate_reference
    from synthetic.related import RelatedReplica
    from synthetic.replica import DEFAULT_DELTA, Replica
    from synthetic.utility import baseline_pipeline, train_synthetic_test_real

_HOMES = {
    "synthetic.attacks": ("attack_risks",),
    "synthetic.card": (
        "DECLARED_PUBLIC",
        "SYNTHETIC_REPLICA",
        "decided_on_note",
        "is_declared_public",
        "is_synthetic_replica",
        "render_card_markdown",
        "summarise_card",
        "write_card",
    ),
    "synthetic.errors": ("GateFailedError", "InputDataError", "NotAReplicaError", "SyntheticError"),
    "synthetic.gates": ("GateThresholds", "evaluate_replica"),
    "synthetic.holdout": ("split_holdout",),
    "synthetic.io": ("read_table", "validate_table"),
    "synthetic.metadata": ("MetadataSpec", "detect_metadata", "read_metadata_yaml", "write_metadata_yaml"),
    "synthetic.pipeline": ("read_replica_dir", "read_tables", "replicate", "write_replica_dir"),
    "synthetic.publish": ("publish_dataset",),
    "synthetic.reference": ("generate_reference",),
    "synthetic.related": ("RelatedReplica",),
    "synthetic.replica": ("DEFAULT_DELTA", "Replica"),
    "synthetic.utility": ("baseline_pipeline", "train_synthetic_test_real"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'synthetic' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
