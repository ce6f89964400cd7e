"""What an enclave run is given (:class:`CodeLimits`) and what comes back of it (:class:`EnclaveRun`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["HARNESS_OUTCOMES", "CodeLimits", "EnclaveRun", "RunOutcome"]


class RunOutcome(StrEnum):
    """The fixed list of outcomes a competitor may see; nothing the code chooses is in it."""

    ok = "ok"
    timeout = "timeout"
    out_of_memory = "out_of_memory"
    error = "error"
    no_output = "no_output"
    invalid_output = "invalid_output"
    platform_error = "platform_error"


HARNESS_OUTCOMES: dict[int, RunOutcome] = {
    0: RunOutcome.ok,
    10: RunOutcome.error,
    11: RunOutcome.no_output,
    12: RunOutcome.invalid_output,
    13: RunOutcome.platform_error,
}
"""The harness's exit codes (``arena_client.harness.EXIT_CODES``, which this room cannot import)."""


@dataclass(frozen=True)
class CodeLimits:
    """The budget of one run (the challenge's ``code:`` block; the defaults are the spec's).

    Attributes:
        wall_seconds: Wall-clock time from start to the end of the whole process tree.
        memory_mb: Memory of all processes together, the scratch tmpfs included.
        cpus: CPU cores (a hard quota).
        pids: Processes and threads at once.
        output_mb: Size of the output folder (the predictions CSV and anything else written there).
        scratch_mb: Size of the writable scratch folder (``$TMPDIR`` = ``$HOME``).
    """

    wall_seconds: int = 600
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    output_mb: int = 64
    scratch_mb: int = 512

    def __post_init__(self) -> None:
        for field in fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"code limit {field.name} must be positive, not {getattr(self, field.name)!r}")

    @classmethod
    def from_spec(cls, spec: Any) -> CodeLimits:
        """The limits of a challenge spec: its ``code:`` block, given as the spec, the block, or either as a dict.

        Args:
            spec: A challenge spec dict (``{"code": {...}, ...}``), its ``code`` dict, or a pydantic
                model of either (``ChallengeSpec`` / ``CodeSpec``). Missing keys keep the defaults;
                keys that are not limits (``max_upload_mb``) are ignored.
        """
        block = spec.model_dump() if hasattr(spec, "model_dump") else spec
        if isinstance(block, Mapping) and "code" in block:
            block = block["code"] or {}
        if hasattr(block, "model_dump"):
            block = block.model_dump()
        if not isinstance(block, Mapping):
            raise TypeError(f"cannot read code limits from a {type(spec).__name__}")
        names = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in block.items() if name in names and value is not None})


@dataclass(frozen=True)
class EnclaveRun:
    """What the launcher hands back: an outcome from the fixed list, the predictions, the time, the log.

    Attributes:
        outcome: One of :class:`RunOutcome`.
        predictions: The ``id,target`` CSV (only when ``outcome`` is ok; else None).
        wall_seconds: How long the run took, start to the end of its last process.
        log_path: stdout and stderr of the run (capped): for organisers on the scoring side only.
    """

    outcome: RunOutcome
    predictions: Path | None
    wall_seconds: float
    log_path: Path
