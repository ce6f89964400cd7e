"""The ``challenge.yaml`` schema: a validated, immutable challenge specification."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from challenges.metrics import TASKS, is_metric_for_task, task_metrics

__all__ = ["ChallengeSpec", "Limits", "MetricSpec", "PhaseSpec", "SplitSpec"]

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATASET_REF = re.compile(r"^[a-z0-9][a-z0-9_\-]*(?:@[1-9][0-9]*)?$")
_COLUMN = Annotated[str, Field(min_length=1, max_length=128)]
_POSITIVE = Annotated[int, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _bundle_relative(value: str) -> str:
    """Check that a bundle file name stays inside the bundle folder."""
    if not value or not value.strip():
        raise ValueError("file name is empty")
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise ValueError(f"path {value!r} is absolute; bundle files must be relative to the bundle folder")
    if ".." in posix.parts or ".." in windows.parts:
        raise ValueError(f"path {value!r} escapes the bundle folder ('..')")
    return value


BundleFile = Annotated[str, Field(min_length=1)]


class MetricSpec(_Strict):
    """Primary metric (ranks the leaderboard) and secondary metrics (shown alongside)."""

    primary: str
    secondary: list[str] = Field(default_factory=list)


class SplitSpec(_Strict):
    """How the hidden answers are split into the public and private boards."""

    public_fraction: float
    seed: int

    @field_validator("public_fraction")
    @classmethod
    def _fraction_open_interval(cls, value: float) -> float:
        if not 0.0 < value < 1.0:
            raise ValueError(f"public_fraction {value} must be strictly between 0 and 1")
        return value


class PhaseSpec(_Strict):
    """A dated phase; ``start`` and ``end`` are whole UTC days, both included."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    start: date
    end: date

    @model_validator(mode="after")
    def _end_not_before_start(self) -> PhaseSpec:
        if self.end < self.start:
            raise ValueError(f"phase {self.name!r}: end {self.end} is before start {self.start}")
        return self

    @property
    def starts_at(self) -> datetime:
        """First instant of the phase (UTC midnight of ``start``)."""
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """First instant after the phase (UTC midnight after ``end``; the end day is included)."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)


class Limits(_Strict):
    """Submission and team limits."""

    per_day: _POSITIVE
    total: _POSITIVE
    final_selection: _POSITIVE
    team_size: _POSITIVE

    @model_validator(mode="after")
    def _per_day_within_total(self) -> Limits:
        if self.per_day > self.total:
            raise ValueError(f"per_day {self.per_day} exceeds total {self.total}")
        return self


class ChallengeSpec(_Strict):
    """A challenge as written in a bundle's ``challenge.yaml``."""

    slug: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: BundleFile
    task: Literal["classification", "regression", "ranking"]
    id_column: _COLUMN
    target_column: _COLUMN
    metric: MetricSpec
    datasets: Annotated[list[str], Field(min_length=1)]
    answers: BundleFile
    split: SplitSpec
    phases: Annotated[list[PhaseSpec], Field(min_length=1)]
    limits: Limits
    starter_notebook: BundleFile

    @field_validator("slug")
    @classmethod
    def _slug_url_safe(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                f"slug {value!r} is not url-safe: use lowercase letters, digits and single dashes (e.g. my-challenge)"
            )
        return value

    @field_validator("description", "answers", "starter_notebook")
    @classmethod
    def _inside_bundle(cls, value: str) -> str:
        return _bundle_relative(value)

    @field_validator("datasets")
    @classmethod
    def _dataset_refs(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not _DATASET_REF.match(ref):
                raise ValueError(f"dataset reference {ref!r} is not 'name' or 'name@version' (version a positive int)")
        if len(set(value)) != len(value):
            raise ValueError(f"dataset references repeat: {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSpec:
        self._check_metrics()
        self._check_phases()
        if self.id_column == self.target_column:
            raise ValueError(f"id_column and target_column are both {self.id_column!r}")
        return self

    def _check_metrics(self) -> None:
        known = {name for names in task_metrics.values() for name in names}
        for name in [self.metric.primary, *self.metric.secondary]:
            if is_metric_for_task(name, self.task):
                continue
            if not any(is_metric_for_task(name, task) for task in TASKS):
                raise ValueError(f"metric {name!r} is unknown (known metrics: {', '.join(sorted(known))})")
            raise ValueError(
                f"metric {name!r} does not suit task {self.task!r} "
                f"(allowed: {', '.join(task_metrics[self.task])})"
            )

    def _check_phases(self) -> None:
        names = [phase.name for phase in self.phases]
        if len(set(names)) != len(names):
            raise ValueError(f"phase names repeat: {names}")
        ordered = sorted(self.phases, key=lambda phase: phase.start)
        for before, after in pairwise(ordered):
            if after.start <= before.end:
                raise ValueError(
                    f"phases {before.name!r} ({before.start}..{before.end}) and "
                    f"{after.name!r} ({after.start}..{after.end}) overlap"
                )

    @property
    def metrics(self) -> list[str]:
        """Primary then secondary metric names."""
        return [self.metric.primary, *self.metric.secondary]

    def public_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data without the hidden answers file name."""
        data = self.model_dump(mode="json")
        data.pop("answers")
        return data
