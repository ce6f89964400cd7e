"""Machinery shared by the worked examples: reference → features → replica + held-out → bundle.

The promise of the platform, in miniature: the reference ("real") rows are split by seed into a
training part and a held-out part. The training part is published only as a synthetic replica.
The held-out part is a code challenge's test set: its features (without the target, fresh ids)
go into the bundle as ``test_features.parquet`` and its target becomes the hidden answers; both
stay on the scoring side when the challenge is published, and sandboxes see a gated synthetic
replica of the features (``*_test``). Competitors train on synthetic data, submit code, and
their code is run offline on the real features and scored on the real answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, root_mean_squared_error

from arena.db import Database
from arena.settings import Settings
from challenges.baseline import baseline_predict, baseline_source, main_py_source
from challenges.bundle import SPEC_FILE
from challenges.notebook import code, markdown, write_notebook
from challenges.held_out import TEST_FEATURES_FILE
from synthetic import detect_metadata, generate_reference, publish_dataset, replicate

__all__ = ["ExampleContext", "ExampleRecipe", "build_example"]

TEST_FRACTION = 0.3
_ACTOR = "make-example"
_BASELINE_METRICS: dict[str, Callable[[pd.Series, pd.Series], float]] = {
    "f1_macro": lambda truth, pred: f1_score(truth, pred, average="macro"),
    "accuracy": accuracy_score,
    "rmse": root_mean_squared_error,
    "mae": mean_absolute_error,
    "r2": r2_score,
}
"""Just enough metrics to document the baseline score (the scoring room owns the real ones)."""


@dataclass(frozen=True)
class ExampleContext:
    """Where and how an example is built."""

    seed: int
    out_dir: Path
    db: Database
    settings: Settings
    people: int


@dataclass(frozen=True)
class ExampleRecipe:
    """What makes one example challenge: its spec fields, its features and its story."""

    slug: str
    title: str
    task: str
    id_column: str
    target_column: str
    metric: dict[str, Any]
    train_dataset: str
    test_dataset: str
    features: Callable[[dict[str, Path]], pd.DataFrame]
    """Reference table paths → one row per example: id, feature columns and the target."""
    summary: str
    """Markdown paragraph(s): what to predict and what the target means."""
    removed: tuple[str, ...]
    """Reference columns left out of the features (identifiers, raw target sources)."""
    people_factor: int = 1
    """Reference people per requested person: examples on sparse rows (one enterprise per 40
    people) scale the reference up so the replica has enough rows to pass its gates."""
    test_replica_override_reason: str | None = None
    """Why the synthetic test replica may be published despite a failing gate (on its card, audited)."""


def _split_held_out(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng([seed, 11]).permutation(len(frame))
    cut = round(len(frame) * TEST_FRACTION)
    return frame.iloc[order[cut:]].reset_index(drop=True), frame.iloc[order[:cut]].reset_index(drop=True)


def _publish_replica(
    ctx: ExampleContext, name: str, source: pd.DataFrame, target: str, held_out: pd.DataFrame
) -> tuple[str, pd.DataFrame]:
    """Fit, sample, gate and publish a replica (the metadata review keeps integer columns numerical).

    The challenge's real held-out rows (before they are de-identified) are the replica's control
    set: its card then carries train-on-synthetic/test-on-real utility on ``target`` and the
    attack-based risks, measured against rows the synthesizer never saw.
    """
    tables = {name: source}
    metadata = detect_metadata(tables)
    synthetic, card = replicate(tables, metadata, len(source), ctx.seed, target=target, held_out={name: held_out})
    ref = publish_dataset(ctx.db, ctx.settings, name, synthetic, card, actor=_ACTOR)
    return ref, synthetic[name]


def _deidentify(held_out: pd.DataFrame, seed: int, id_column: str) -> pd.DataFrame:
    """Shuffle the held-out rows and give them fresh random ids."""
    rng = np.random.default_rng([seed, 13])
    fresh = held_out.iloc[rng.permutation(len(held_out))].reset_index(drop=True)
    fresh[id_column] = [f"T{number:09d}" for number in rng.choice(10**9, size=len(fresh), replace=False)]
    return fresh


def _phases(today: datetime) -> list[dict[str, str]]:
    development_end = today + timedelta(days=59)
    return [
        {"name": "development", "start": today.date().isoformat(), "end": development_end.date().isoformat()},
        {
            "name": "final",
            "start": (development_end + timedelta(days=1)).date().isoformat(),
            "end": (development_end + timedelta(days=7)).date().isoformat(),
        },
    ]


def _spec(recipe: ExampleRecipe, datasets: list[str], seed: int) -> dict[str, Any]:
    """challenge.yaml of a code-mode example (the test replica is made when the challenge is published)."""
    return {
        "slug": recipe.slug,
        "title": recipe.title,
        "description": "description.md",
        "task": recipe.task,
        "id_column": recipe.id_column,
        "target_column": recipe.target_column,
        "metric": recipe.metric,
        "datasets": datasets,
        "answers": "answers.parquet",
        "split": {"public_fraction": 0.3, "seed": seed},
        "phases": _phases(datetime.now(UTC)),
        "limits": {"per_day": 5, "total": 100, "final_selection": 2, "team_size": 5},
        "starter_notebook": "starter.ipynb",
        "submission": "code",
        "code": {"wall_seconds": 300, "memory_mb": 2048},
        "test_features": TEST_FEATURES_FILE,
        "test_replica": recipe.test_dataset,
        **({"test_replica_override_reason": recipe.test_replica_override_reason}
           if recipe.test_replica_override_reason else {}),
    }


def _description(recipe: ExampleRecipe, train_ref: str, frames: list[pd.DataFrame], scores: dict[str, float]) -> str:
    train, test = frames
    test_ref = recipe.test_dataset
    columns = ", ".join(f"`{column}`" for column in test.columns)
    metrics = [recipe.metric["primary"], *recipe.metric.get("secondary", [])]
    return f"""# {recipe.title}

{recipe.summary.strip()}

## Data

- `{train_ref}` ({len(train)} rows): a **synthetic replica** of the training part of the reference
  data, with the target `{recipe.target_column}`. No row is a real record.
- `{test_ref}` ({len(test)} rows): a **synthetic replica of the held-out test features** (same
  columns and types, no target, no real row). The real held-out features (left out of the
  reference: {", ".join(recipe.removed)}; fresh random `{recipe.id_column}`) never leave the
  scoring side.

Columns: {columns} (and `{recipe.target_column}` in the training data).

This is a **code challenge**: write a folder with `main.py` defining
`predict(features: pandas.DataFrame) -> pandas.DataFrame` (columns `{recipe.id_column}` and
`{recipe.target_column}`, one row per input row) and any model file beside it. Try it on the
synthetic test replica with `smoke_test(folder, challenge="{recipe.slug}")` (full logs), then
`submit_code(folder, challenge="{recipe.slug}")`: the platform runs the very same code offline,
without network, on the real held-out features, and scores it on the real, hidden answers. You
see the state, the outcome (ok, timeout, out of memory, error, no output, invalid output,
platform error), the rounded scores and the run time, coarsely; never a log of the real run.

## Metric

Primary: **`{metrics[0]}`**; also shown: {", ".join(f"`{name}`" for name in metrics[1:]) or "none"}.
The public leaderboard uses 30 % of the test rows, the private (final) leaderboard the other 70 %.

## Baseline

One-hot features and a linear model trained on the synthetic replica (the starter notebook):
{", ".join(f"{name} **{value:.4f}**" for name, value in scores.items())} on all held-out rows.
"""


def _notebook(path: Path, recipe: ExampleRecipe) -> Path:
    target, ident = recipe.target_column, recipe.id_column
    main_py = main_py_source(ident, target)
    return write_notebook(path, [
        markdown(f"# {recipe.title}: starter\nTrain on the synthetic replica, write `predict` and a model file into "
                 "a folder, smoke-test it on the synthetic test replica, submit the code."),
        code(f'from arena_client import load, smoke_test, submit_code\n\ntrain = load("{recipe.train_dataset}")\n'
             f'test = load("{recipe.test_dataset}")  # a synthetic replica of the held-out features\ntrain.head()'),
        markdown("## Baseline: one-hot features + a linear model"),
        code(baseline_source()),
        code(f'features = [column for column in test.columns if column != "{ident}"]\n'
             f'model = baseline_fit(train, features, "{target}", "{recipe.task}")'),
        markdown("## The code the platform runs: `main.py` with `predict`, and the model file beside it"),
        code(f'import pickle\nfrom pathlib import Path\n\ncode_dir = Path.home() / "{recipe.slug}-code"\n'
             f'code_dir.mkdir(exist_ok=True)\nwith open(code_dir / "model.pkl", "wb") as handle:\n'
             f'    pickle.dump(model, handle)\n(code_dir / "main.py").write_text({main_py!r})\n'
             'print(sorted(path.name for path in code_dir.iterdir()))'),
        markdown("## Smoke test: the same harness as the enclave, on the synthetic test replica, with full logs"),
        code(f'smoke_test(code_dir, challenge="{recipe.slug}")'),
        markdown("## Submit: the platform runs the code offline on the real held-out features"),
        code(f'submit_code(code_dir, challenge="{recipe.slug}")'),
    ])


def build_example(ctx: ExampleContext, recipe: ExampleRecipe) -> Path:
    """Build one example bundle folder, publishing its replica and held-out datasets.

    Args:
        ctx: Seed, output folder, database and settings.
        recipe: The example to build.

    Returns:
        ``<ctx.out_dir>/<recipe.slug>``, holding challenge.yaml, description.md, starter.ipynb,
        answers.parquet and test_features.parquet (the real held-out features: publishing the
        challenge keeps them on the scoring side and publishes a synthetic replica of them).
    """
    folder = ctx.out_dir / recipe.slug
    folder.mkdir(parents=True, exist_ok=True)
    people = ctx.people * recipe.people_factor
    reference = generate_reference(people, ctx.seed, ctx.settings.reference_dir / f"{recipe.slug}-{ctx.seed}")
    train, held_out = _split_held_out(recipe.features(reference), ctx.seed)
    train_ref, synthetic_train = _publish_replica(ctx, recipe.train_dataset, train, recipe.target_column, held_out)
    held_out = _deidentify(held_out, ctx.seed, recipe.id_column)
    test = held_out.drop(columns=[recipe.target_column])
    test.to_parquet(folder / TEST_FEATURES_FILE, index=False)
    answers = held_out[[recipe.id_column, recipe.target_column]]
    answers.to_parquet(folder / "answers.parquet", index=False)
    predicted = baseline_predict(synthetic_train, test, recipe.id_column, recipe.target_column, recipe.task)
    metrics = [recipe.metric["primary"], *recipe.metric.get("secondary", [])]
    scores = {
        name: float(_BASELINE_METRICS[name](answers[recipe.target_column], predicted[recipe.target_column]))
        for name in metrics
    }
    spec = _spec(recipe, [train_ref], ctx.seed)
    (folder / SPEC_FILE).write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    description = _description(recipe, train_ref, [synthetic_train, test], scores)
    (folder / "description.md").write_text(description, encoding="utf-8")
    _notebook(folder / "starter.ipynb", recipe)
    return folder
