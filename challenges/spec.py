"""The ``challenge.yaml`` schema: a validated, immutable challenge specification."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from challenges.metrics import TASKS, is_metric_for_task, task_metrics

__all__ = [
    "DEFAULT_RUBRIC",
    "ChallengeSpec",
    "CodeSpec",
    "Limits",
    "MetricSpec",
    "PhaseSpec",
    "RubricCriterion",
    "SplitSpec",
    "rubric_of",
]

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DATASET_REF = re.compile(r"^[a-z0-9][a-z0-9_\-]*(?:@[1-9][0-9]*)?$")
_COLUMN = Annotated[str, Field(min_length=1, max_length=128)]
_POSITIVE = Annotated[int, Field(gt=0)]
_CRITERION_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


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


class CodeSpec(_Strict):
    """Limits of a code submission's run in the enclave (``code:`` in ``challenge.yaml``, code mode only)."""

    wall_seconds: _POSITIVE = 600
    memory_mb: _POSITIVE = 2048
    cpus: Annotated[float, Field(gt=0)] = 1.0
    pids: _POSITIVE = 256
    output_mb: _POSITIVE = 64
    scratch_mb: _POSITIVE = 512
    max_upload_mb: _POSITIVE = 100


class RubricCriterion(_Strict):
    """One criterion judges score every submission on (``min`` ≤ score ≤ ``max``).

    The name appears in URLs (``…/reviews/<name>``), so it is lowercase letters, digits, ``_`` and ``-``.
    """

    name: Annotated[str, Field(min_length=1, max_length=64)]
    description: Annotated[str, Field(max_length=500)] = ""
    min: float = 0.0
    max: float = 10.0

    @field_validator("name")
    @classmethod
    def _name_url_safe(cls, value: str) -> str:
        if not _CRITERION_NAME.match(value):
            raise ValueError(
                f"rubric criterion name {value!r} is not url-safe: use lowercase letters, digits, '_' and '-' "
                "(e.g. code-quality)"
            )
        return value

    @model_validator(mode="after")
    def _min_below_max(self) -> RubricCriterion:
        if not self.min < self.max:
            raise ValueError(f"rubric criterion {self.name!r}: min {self.min} must be below max {self.max}")
        return self


DEFAULT_RUBRIC: tuple[RubricCriterion, ...] = (
    RubricCriterion(name="overall", description="Overall judgement of the submission", min=0, max=10),
)
"""The rubric of a challenge whose ``challenge.yaml`` names none."""

_RUBRIC = TypeAdapter(list[RubricCriterion])


def _check_rubric(criteria: list[RubricCriterion]) -> list[RubricCriterion]:
    names = [criterion.name for criterion in criteria]
    if len(set(names)) != len(names):
        raise ValueError(f"rubric criterion names repeat: {names}")
    return criteria


def rubric_of(spec: Mapping[str, Any]) -> tuple[RubricCriterion, ...]:
    """The rubric of a stored challenge spec (the ``spec`` JSON of a Challenge row).

    Args:
        spec: The stored spec; specs published before rubrics existed have no ``rubric`` key.

    Returns:
        Its criteria, or :data:`DEFAULT_RUBRIC` when it names none.

    Raises:
        ValueError: the stored rubric is not valid (names the criterion and the problem).
    """
    stored = spec.get("rubric")
    if not stored:
        return DEFAULT_RUBRIC
    try:
        return tuple(_check_rubric(_RUBRIC.validate_python(stored)))
    except ValidationError as error:
        raise ValueError(f"the stored rubric is not valid: {error}") from None


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
    starter_notebook: BundleFile | None = None
    """The bundle's starter notebook; None: the platform generates one from the spec (:mod:`challenges.starter`)."""
    rubric: Annotated[list[RubricCriterion], Field(min_length=1)] | None = None
    submission: Literal["predictions", "code"] = "predictions"
    code: CodeSpec | None = None
    test_features: BundleFile | None = None
    test_replica: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    test_replica_override_reason: Annotated[str, Field(min_length=10, max_length=1000)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _code_defaults(cls, data: Any) -> Any:
        # A code challenge that names no limits gets the defaults of CodeSpec.
        if isinstance(data, dict) and data.get("submission") == "code" and data.get("code") is None:
            return {**data, "code": {}}
        return data

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
    def _inside_bundle(cls, value: str | None) -> str | None:
        return None if value is None else _bundle_relative(value)

    @field_validator("test_features")
    @classmethod
    def _features_inside_bundle(cls, value: str | None) -> str | None:
        return None if value is None else _bundle_relative(value)

    @field_validator("test_replica")
    @classmethod
    def _replica_name(cls, value: str | None) -> str | None:
        if value is not None and not _DATASET_NAME.match(value):
            raise ValueError(
                f"test_replica {value!r} is not a dataset name: use 1-64 of a-z, 0-9, '_' and '-' "
                "(no @version: each publication makes a new version)"
            )
        return value

    @field_validator("datasets")
    @classmethod
    def _dataset_refs(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not _DATASET_REF.match(ref):
                raise ValueError(f"dataset reference {ref!r} is not 'name' or 'name@version' (version a positive int)")
        if len(set(value)) != len(value):
            raise ValueError(f"dataset references repeat: {value}")
        return value

    @field_validator("rubric")
    @classmethod
    def _rubric_names_unique(cls, value: list[RubricCriterion] | None) -> list[RubricCriterion] | None:
        return None if value is None else _check_rubric(value)

    @model_serializer(mode="wrap")
    def _omit_absent_keys(self, handler: SerializerFunctionWrapHandler, _info: SerializationInfo) -> dict[str, Any]:
        # A bundle without a rubric (or a predictions bundle) dumps as before those keys existed,
        # so republishing it stays a no-op.
        data = handler(self)
        for key in ("rubric", "code", "test_features", "test_replica", "test_replica_override_reason"):
            if getattr(self, key) is None:
                data.pop(key, None)
        if self.submission == "predictions":
            data.pop("submission", None)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSpec:
        self._check_metrics()
        self._check_phases()
        self._check_mode()
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

    def _check_mode(self) -> None:
        if self.submission == "code":
            missing = [key for key in ("test_features", "test_replica") if getattr(self, key) is None]
            if missing:
                raise ValueError(
                    f"submission: code needs {' and '.join(missing)}: test_features is the bundle file of the REAL "
                    "held-out features (kept on the scoring side), test_replica the name of the synthetic replica "
                    "of them that competitors develop against"
                )
            if self.test_replica in {ref.partition("@")[0] for ref in self.datasets}:
                raise ValueError(
                    f"test_replica {self.test_replica!r} is also listed in datasets: publishing the challenge makes "
                    "it, so leave it out of datasets"
                )
            return
        keys = ("code", "test_features", "test_replica", "test_replica_override_reason")
        present = [key for key in keys if getattr(self, key) is not None]
        if present:
            raise ValueError(
                f"{', '.join(present)} only apply to submission: code; in predictions mode competitors predict the "
                "rows of a published dataset, which must be a gated synthetic replica or declared public"
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
    def criteria(self) -> tuple[RubricCriterion, ...]:
        """The rubric judges score submissions on (:data:`DEFAULT_RUBRIC` when the bundle names none)."""
        return tuple(self.rubric) if self.rubric else DEFAULT_RUBRIC

    @property
    def metrics(self) -> list[str]:
        """Primary then secondary metric names."""
        return [self.metric.primary, *self.metric.secondary]

    def public_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data without the hidden answers and test features file names."""
        data = self.model_dump(mode="json")
        data.pop("answers")
        data.pop("test_features", None)
        return data

    @property
    def is_code(self) -> bool:
        """Whether competitors submit code (run in the enclave on the real test features)."""
        return self.submission == "code"
