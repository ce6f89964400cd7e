"""Benchmark: scoring a 1M-row prediction file end to end vs a plain pandas + scikit-learn script.

Scoring path (what the worker runs): read the file (``scoring.validation.read_submission``),
validate and join it on the ids (``align_submission``), compute the public and private metrics
(``compute_scores``). Baseline: ``pandas.read_csv`` + ``merge`` with the answers + scikit-learn
metrics per split, without validation. Both must give identical values; the ratio is printed.

Run: ``.venv/bin/python bench/score_file.py [--rows 1000000] [--runs 3]``
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics as skm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import best_of, options
from challenges import assign_split
from scoring.compute import compute_scores
from scoring.validation import align_submission, read_submission

SPEC = {
    "slug": "bench",
    "task": "classification",
    "id_column": "id",
    "target_column": "target",
    "metric": {"primary": "roc_auc", "secondary": ["log_loss"]},
}
NAMES = ["roc_auc", "log_loss"]


def make_files(rows: int, folder: Path) -> tuple[pd.DataFrame, Path]:
    """Answers (with split) and a shuffled CSV of probabilities for them."""
    rng = np.random.default_rng(0)
    ids = pd.Series([f"r{i:07d}" for i in range(rows)])
    target = rng.integers(0, 2, rows)
    answers = pd.DataFrame({"id": ids, "target": target, "split": assign_split(ids, 0.5, 1)})
    proba = np.clip(target * 0.3 + rng.random(rows) * 0.7, 0.001, 0.999).round(6)
    order = rng.permutation(rows)
    path = folder / "predictions.csv"
    pd.DataFrame({"id": ids.to_numpy()[order], "target": proba[order]}).to_csv(path, index=False)
    return answers, path


def scoring_path(answers: pd.DataFrame, path: Path) -> dict[str, dict[str, float]]:
    """What the worker does with a stored file."""
    aligned = align_submission(read_submission(path, "id"), answers, SPEC)
    return compute_scores(aligned, NAMES, ("public", "private"))


def baseline(answers: pd.DataFrame, path: Path) -> dict[str, dict[str, float]]:
    """The obvious script: read_csv, merge, scikit-learn."""
    merged = answers.merge(pd.read_csv(path, dtype={"id": str}), on="id", suffixes=("", "_pred"))
    result = {}
    for split in ("public", "private"):
        rows = merged[merged["split"] == split]
        y_true, y_pred = rows["target"].to_numpy(), rows["target_pred"].to_numpy()
        result[split] = {"roc_auc": skm.roc_auc_score(y_true, y_pred), "log_loss": skm.log_loss(y_true, y_pred)}
    return result


def main() -> None:
    """Build the files, time both paths, check the values agree, print the ratio."""
    args = options(__doc__, {"--rows": 1_000_000, "--runs": 3})
    with tempfile.TemporaryDirectory() as folder:
        answers, path = make_files(args.rows, Path(folder))
        size = path.stat().st_size / 1e6
        ours, ours_values = best_of(args.runs, lambda: scoring_path(answers, path))
        theirs, their_values = best_of(args.runs, lambda: baseline(answers, path))
    same = all(
        np.isclose(ours_values[s][m], their_values[s][m], rtol=1e-12, atol=0) for s in ours_values for m in NAMES
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"file: {args.rows} rows, {size:.1f} MB CSV; best of {args.runs} runs each; load average {load}")
    print(f"scoring path (read+validate+join+public/private metrics): {ours:.3f} s")
    print(f"pandas.read_csv + merge + sklearn (no validation):        {theirs:.3f} s")
    print(f"values identical: {same}  {ours_values}")
    print(f"speed-up = baseline / scoring path = {theirs / ours:.2f}x (target >= 3x)")


if __name__ == "__main__":
    main()
