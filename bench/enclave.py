"""Benchmark: a competitor's ``predict`` in the enclave vs the same harness run as plain ``python``.

The example code is a scikit-learn pipeline (one-hot + histogram gradient boosting) trained, with the
sandbox environment's own Python, on a replica-like people frame and pickled beside ``main.py``.

- ratio: the same harness, code and features (``--rows``, default 20 000) run (a) with the sandbox
  environment's Python directly (no bwrap, no cgroup, ``--smoke-test``; the enclave's thread
  settings, ``OMP_NUM_THREADS`` etc., so that both do the same work), (b) through
  ``scoring.enclave.run_code`` (bwrap, cgroup, own uid, staging, output tmpfs); best of ``--runs``;
  target: enclave ≤ 1.5 × plain + 1 s;
- scale: a ``--big``-row (default 1 000 000) real-like test set predicted in the enclave, then scored
  with the scoring room's own path (``read_submission``, ``align_submission``, ``compute_scores``).

Needs root (like the enclave) and the sandbox environment (built if stale).

    ARENA_SANDBOX_ENV_DIR=... .venv/bin/python bench/enclave.py [--rows 20000] [--big 1000000] [--runs 3]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.settings import Settings  # noqa: E402
from bench._common import best_of, options  # noqa: E402
from challenges import assign_split  # noqa: E402
from sandboxes import ensure_sandbox_env  # noqa: E402
from scoring.compute import compute_scores  # noqa: E402
from scoring.enclave import CodeLimits, RunOutcome, run_code  # noqa: E402
from scoring.enclave.bwrap import enclave_env  # noqa: E402
from scoring.validation import align_submission, read_submission  # noqa: E402

SPEC = {
    "slug": "bench",
    "task": "classification",
    "id_column": "person_id",
    "target_column": "high_income",
    "metric": {"primary": "roc_auc", "secondary": []},
}
PROVINCES = [f"P{index:02d}" for index in range(12)]
EDUCATION = ["none", "primary", "secondary", "tertiary"]

MAIN_PY = '''
import pickle
from pathlib import Path
import pandas as pd

MODEL = pickle.loads((Path(__file__).parent / "model.pkl").read_bytes())
COLUMNS = ["age", "sex", "province", "urban", "education", "household_size", "hours"]

def predict(features: pd.DataFrame) -> pd.DataFrame:
    proba = MODEL.predict_proba(features[COLUMNS])[:, 1]
    return pd.DataFrame({"person_id": features["person_id"], "high_income": proba.round(6)})
'''

TRAIN_PY = '''
import pickle, sys
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

train = pd.read_parquet(sys.argv[1])
categorical = ["sex", "province", "urban", "education"]
encode = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="passthrough")
model = make_pipeline(encode, HistGradientBoostingClassifier(max_iter=60, random_state=0))
model.fit(train.drop(columns=["person_id", "high_income"]), train["high_income"])
open(sys.argv[2], "wb").write(pickle.dumps(model))
'''


def people(rows: int, seed: int) -> pd.DataFrame:
    """A replica-like people frame with a binary target that depends on its columns."""
    rng = np.random.default_rng(seed)
    age = rng.integers(16, 90, rows)
    education = rng.choice(EDUCATION, rows, p=[0.1, 0.3, 0.4, 0.2])
    hours = np.where(rng.random(rows) < 0.05, np.nan, rng.normal(38, 8, rows).round(1))
    score = (np.searchsorted(EDUCATION, education) * 0.8 + (age > 30) * 0.7 + np.nan_to_num(hours, nan=30) / 20
             + rng.normal(0, 1, rows))
    return pd.DataFrame({
        "person_id": np.arange(rows) + 10_000_000 * seed,
        "age": age,
        "sex": rng.choice(["F", "M"], rows),
        "province": rng.choice(PROVINCES, rows),
        "urban": rng.choice(["urban", "rural"], rows, p=[0.6, 0.4]),
        "education": education,
        "household_size": rng.integers(1, 9, rows),
        "hours": hours,
        "high_income": (score > np.quantile(score, 0.7)).astype(int),
    })


def make_code(folder: Path, python: Path) -> Path:
    """The example's code folder: main.py and model.pkl (trained with the sandbox environment's Python)."""
    code = folder / "code"
    code.mkdir()
    (code / "main.py").write_text(MAIN_PY)
    people(20_000, seed=1).to_parquet(folder / "train.parquet", index=False)
    subprocess.run([str(python), "-c", TRAIN_PY, str(folder / "train.parquet"), str(code / "model.pkl")], check=True)
    return code


def plain_run(python: Path, code: Path, features: Path, out: Path, threads: dict[str, str]) -> None:
    """The harness with the same Python and thread settings, no bwrap, no cgroup."""
    argv = [str(python), "-I", "-m", "arena_client.harness", "--code", str(code), "--features", str(features)]
    argv += ["--out", str(out), "--id-column", "person_id", "--target-column", "high_income", "--smoke-test"]
    subprocess.run(argv, cwd=code, check=True, capture_output=True, env={**os.environ, **threads})


def main() -> None:
    """Run both measurements and print the figures."""
    args = options(__doc__, {"--rows": 20_000, "--big": 1_000_000, "--runs": 3})
    settings = Settings(_env_file=None)
    ensure_sandbox_env(settings)
    python = settings.enclave_interpreter
    limits = CodeLimits(wall_seconds=600, memory_mb=4096, output_mb=256, scratch_mb=256)
    with tempfile.TemporaryDirectory(prefix="bench-enclave-") as scratch:
        folder = Path(scratch)
        settings = settings.model_copy(update={"data_dir": folder / "var"})
        code = make_code(folder, python)
        test = people(args.rows, seed=2)
        test.drop(columns=["high_income"]).to_parquet(folder / "features.parquet", index=False)
        runs = iter(range(10_000))

        def enclave_run() -> Path:
            result = run_code(settings, code_dir=code, features=folder / "features.parquet", id_column="person_id",
                              target_column="high_income", limits=limits, run_dir=folder / f"run-{next(runs)}")
            assert result.outcome is RunOutcome.ok, result.log_path.read_text()[-2000:]
            return result.predictions

        threads = {key: value for key, value in enclave_env(python, limits).items() if key.endswith("_NUM_THREADS")}
        plain_seconds, _ = best_of(
            args.runs, lambda: plain_run(python, code, folder / "features.parquet", folder / "plain.csv", threads)
        )
        enclave_seconds, predictions = best_of(args.runs, enclave_run)
        same = pd.read_csv(predictions).equals(pd.read_csv(folder / "plain.csv"))
        target = 1.5 * plain_seconds + 1
        print(f"predict on {args.rows} rows, best of {args.runs}: plain python {plain_seconds:.2f} s, "
              f"enclave {enclave_seconds:.2f} s, ratio {enclave_seconds / plain_seconds:.2f}, "
              f"overhead {enclave_seconds - plain_seconds:+.2f} s; target ≤ 1.5 × plain + 1 s = {target:.2f} s: "
              f"{'met' if enclave_seconds <= target else 'NOT met'}; identical predictions: {same}")

        big = people(args.big, seed=3)
        big.drop(columns=["high_income"]).to_parquet(folder / "big.parquet", index=False)
        answers = big[["person_id", "high_income"]].assign(split=assign_split(big["person_id"], 0.5, 1))
        started = time.perf_counter()
        result = run_code(settings, code_dir=code, features=folder / "big.parquet", id_column="person_id",
                          target_column="high_income", limits=limits, run_dir=folder / "run-big")
        predicted = time.perf_counter() - started
        assert result.outcome is RunOutcome.ok, result.log_path.read_text()[-2000:]
        aligned = align_submission(read_submission(result.predictions, "person_id"), answers, SPEC)
        scores = compute_scores(aligned, ["roc_auc"], ("public", "private"))
        total = time.perf_counter() - started
        print(f"{args.big} real-like rows: predicted in the enclave in {predicted:.2f} s (run {result.wall_seconds:.2f} s), "
              f"scored too in {total:.2f} s; roc_auc public {scores['public']['roc_auc']:.4f} "
              f"private {scores['private']['roc_auc']:.4f}; {len(aligned)} rows scored")


if __name__ == "__main__":
    main()
