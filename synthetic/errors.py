"""Errors of the synthetic-data room; every one names the file, table, column or gate at fault."""

from __future__ import annotations

from arena.errors import ArenaError

__all__ = ["GateFailedError", "InputDataError", "NotAReplicaError", "SyntheticError"]


class SyntheticError(ArenaError):
    """Base of every error raised by the ``synthetic`` package."""


class GateFailedError(SyntheticError):
    """A replica failed one or more quality/privacy gates and no override reason was given."""

    def __init__(self, failing: dict[str, dict[str, object]]) -> None:
        self.failing = failing
        parts = [
            f"{name} = {gate.get('value')} (needs {gate.get('op', '>=')} {gate.get('threshold')})"
            for name, gate in failing.items()
        ]
        super().__init__(
            "replica failed gate(s): " + "; ".join(parts) + " — fix the replica or give an override reason"
        )


class InputDataError(SyntheticError):
    """Input data cannot be used: unreadable file, empty table, all-null column, non-unique key…"""


class NotAReplicaError(InputDataError):
    """A dataset that is not a gated synthetic replica was to be published without a public declaration."""
