"""Challenges: bundle specification, validation, publication and worked examples (middle floor).

``make_example`` is imported lazily (on first use): it pulls in the synthetic room (SDV, torch),
which the scoring service and the CLI's other commands do not need.
"""

from typing import Any

from challenges.access import ORGANISER_ROLES, require_organiser
from challenges.bundle import MAX_BUNDLE_BYTES, Bundle, load_bundle, parse_dataset_ref, validate_against_store
from challenges.errors import AccessDeniedError, BundleError, ChallengeError
from challenges.export import export_ranking, ranking_csv, ranking_table, team_review_means, with_review_means
from challenges.held_out import (
    MigrationReport,
    check_datasets_store,
    held_out_features_path,
    migrate_test_sets,
    publish_test_replica,
)
from challenges.metrics import is_metric_for_task, task_metrics
from challenges.publish import (
    answers_path,
    assign_split,
    close_challenge,
    list_challenges,
    public_dir,
    publish_challenge,
)
from challenges.spec import DEFAULT_RUBRIC, ChallengeSpec, CodeSpec, RubricCriterion, rubric_of
from challenges.starter import generated_starter_cells, write_generated_starter

__all__ = [
    "DEFAULT_RUBRIC",
    "MAX_BUNDLE_BYTES",
    "ORGANISER_ROLES",
    "AccessDeniedError",
    "Bundle",
    "BundleError",
    "ChallengeError",
    "ChallengeSpec",
    "CodeSpec",
    "MigrationReport",
    "RubricCriterion",
    "answers_path",
    "assign_split",
    "check_datasets_store",
    "close_challenge",
    "export_ranking",
    "generated_starter_cells",
    "held_out_features_path",
    "is_metric_for_task",
    "list_challenges",
    "load_bundle",
    "make_example",
    "migrate_test_sets",
    "parse_dataset_ref",
    "public_dir",
    "publish_challenge",
    "publish_test_replica",
    "ranking_csv",
    "ranking_table",
    "require_organiser",
    "rubric_of",
    "task_metrics",
    "team_review_means",
    "validate_against_store",
    "with_review_means",
    "write_generated_starter",
]


def __getattr__(name: str) -> Any:
    if name == "make_example":
        from challenges.examples import make_example

        return make_example
    raise AttributeError(f"module 'challenges' has no attribute {name!r}")
