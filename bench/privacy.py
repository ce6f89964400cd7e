"""Benchmark: the differentially private MST replica against SDV's GaussianCopula, time and usefulness.

1. Time: fit + sample N reference people (default 100,000) with MST at ε = 1 and with the
   GaussianCopula replica on the same rows (``distribution="beta"``, the large-table choice),
   best of one run each; the ratio MST / GaussianCopula.
2. Usefulness at ε ∈ {0.5, 1, 4, ∞}: 20 % of the rows are held out; MST at each ε and the
   GaussianCopula (not private: ε = ∞) are fitted on the rest; each replica is scored by the
   SDMetrics QualityReport against the training rows and by train-on-synthetic / test-on-real
   (``occupation``, macro F1, the card's baseline model) on the held-out rows. MST's ε = ∞ row
   runs MST at ε = 10⁴ (its noise is then negligible: the method's own loss, from the tree of
   two-way marginals, with none from privacy).

Run: ``.venv/bin/python -m bench.privacy [--people 100000] [--rows 20000]`` (``--rows``: replica
rows sampled in part 2).
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
from sdmetrics.reports import QualityReport

from arena.parquet import read_parquet
from bench._common import options
from synthetic import Replica, detect_metadata, generate_reference, split_holdout, train_synthetic_test_real
from synthetic.metadata import MetadataSpec
from synthetic.public_domains import REFERENCE_PEOPLE_DOMAINS, with_public_domains

__all__ = ["main"]

EPSILONS = (0.5, 1.0, 4.0, None)
NEAR_INFINITE_EPSILON = 1e4
TARGET = "occupation"


def _fit_and_sample(
    people: pd.DataFrame, metadata: MetadataSpec, rows: int, epsilon: float | None
) -> tuple[float, pd.DataFrame]:
    """Wall time of fit + sample, and the replica (MST when ``epsilon`` is given, else GaussianCopula)."""
    start = time.perf_counter()
    if epsilon is None:
        replica = Replica.fit({"people": people}, metadata, distribution="beta")
    else:
        replica = Replica.fit({"people": people}, metadata, synthesizer="mst", epsilon=epsilon)
    sample = replica.sample(rows, seed=1)["people"]
    return time.perf_counter() - start, sample


def _quality(train: pd.DataFrame, replica: pd.DataFrame, metadata: MetadataSpec) -> float:
    meta = metadata.tables["people"].sdmetrics_dict()
    learned = list(meta["columns"])  # type: ignore[arg-type]
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(
            {"people": train[learned]}, {"people": replica[learned]}, {"tables": {"people": meta}}, verbose=False
        )
    return float(report.get_score())


def main() -> None:
    """Run both parts and print the tables (Markdown, for the README)."""
    args = options(__doc__, {"--people": 100_000, "--rows": 20_000})
    with tempfile.TemporaryDirectory() as folder:
        paths = generate_reference(args.people, 7, Path(folder), progress=False)
        people = read_parquet(paths["people"])
    metadata = with_public_domains(detect_metadata({"people": people}), "people", REFERENCE_PEOPLE_DOMAINS)

    mst_seconds, _ = _fit_and_sample(people, metadata, len(people), 1.0)
    copula_seconds, _ = _fit_and_sample(people, metadata, len(people), None)
    print(f"\n### Fit + sample {len(people):,} people\n")
    print("| synthesizer | seconds | ratio |\n|---|---|---|")
    print(f"| GaussianCopula (SDV, beta marginals) | {copula_seconds:.1f} | 1.00 |")
    print(f"| MST, ε = 1 (OpenDP + mbi) | {mst_seconds:.1f} | {mst_seconds / copula_seconds:.2f} |", flush=True)

    (train,), (test,) = (list(part.values()) for part in split_holdout({"people": people}, metadata, 0.2, 3))
    print(f"\n### Usefulness ({len(train):,} training rows, {len(test):,} held out, {args.rows:,} replica rows)\n")
    print("| replica | ε | quality | TSTR F1 (`occupation`) | real-data F1 | TSTR ratio |\n|---|---|---|---|---|---|")
    rows = [("MST", epsilon) for epsilon in EPSILONS] + [("GaussianCopula", None)]
    for name, epsilon in rows:
        fit_epsilon = (NEAR_INFINITE_EPSILON if epsilon is None else epsilon) if name == "MST" else None
        _, replica = _fit_and_sample(train, metadata, args.rows, fit_epsilon)
        utility = train_synthetic_test_real(train, replica, test, metadata.tables["people"], TARGET)
        label = "∞" if epsilon is None else f"{epsilon:g}"
        print(
            f"| {name} | {label} | {_quality(train, replica, metadata):.3f} | {utility['score_replica']:.3f} "
            f"| {utility['score_real']:.3f} | {utility['ratio']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
