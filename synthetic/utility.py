"""Train on synthetic, test on real (TSTR): does a model trained on the replica learn something true?

One fixed baseline model is trained twice — on the replica and on the real training rows — and
both are scored on the same real held-out rows. The pipeline (see :func:`baseline_pipeline`):
datetime columns become days since 1970-01-01; categorical and boolean columns are one-hot
encoded (missing values as their own value, unseen values ignored); numerical columns go in as
they are (missing values too: the model handles them); the model is scikit-learn's
``HistGradientBoostingClassifier`` (a categorical or boolean target; scored by macro F1) or
``HistGradientBoostingRegressor`` (a numerical target; scored by R²), 100 iterations, no early
stopping, ``random_state=0``. The ratio replica-score / real-score says how much of what the
real rows teach the replica teaches too (1 = as much).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from synthetic.errors import InputDataError
from synthetic.metadata import TableSpec

__all__ = ["MISSING_LABEL", "baseline_pipeline", "model_frame", "train_synthetic_test_real"]

MISSING_LABEL = "(missing)"
_EPOCH = pd.Timestamp("1970-01-01")


def model_frame(frame: pd.DataFrame, spec: TableSpec, columns: list[str]) -> pd.DataFrame:
    """``frame``'s ``columns`` as the baseline model takes them: numbers, and text with ``MISSING_LABEL``."""
    out = {}
    for column in columns:
        sdtype = spec.columns[column].sdtype
        if sdtype == "datetime":
            out[column] = (pd.to_datetime(frame[column]) - _EPOCH) / pd.Timedelta(days=1)
        elif sdtype == "numerical":
            out[column] = pd.to_numeric(frame[column]).astype(float)
        else:
            out[column] = frame[column].astype(object).where(frame[column].notna(), MISSING_LABEL).astype(str)
    return pd.DataFrame(out, index=frame.index)


def baseline_pipeline(task: str, categorical: list[str], numerical: list[str]) -> Pipeline:
    """The fixed baseline model: one-hot categoricals, imputed standardised numbers, a linear model."""
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
            (
                "numerical",
                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                numerical,
            ),
        ]
    )
    model = LogisticRegression(max_iter=1000) if task == "classification" else Ridge(alpha=1.0)
    return Pipeline([("features", features), ("model", model)])


def _score(task: str, truth: pd.Series, predicted: np.ndarray) -> float:
    if task == "classification":
        return float(f1_score(truth, predicted, average="macro"))
    return float(r2_score(truth, predicted))


def train_synthetic_test_real(
    train: pd.DataFrame, synthetic: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, target: str
) -> dict[str, Any]:
    """Score the baseline trained on the replica and on the real training rows, on the real test rows.

    Args:
        train: Real rows the replica was fitted on.
        synthetic: The replica.
        test: Real held-out rows (never fitted on).
        spec: The table's reviewed metadata (PII columns are not features).
        target: Column to predict (categorical or boolean: classification; numerical: regression).

    Returns:
        target, task, metric, both scores, their ratio (None when the real score is not positive),
        the row counts and the model's description.

    Raises:
        InputDataError: The target is unknown, PII, an id or a datetime, or missing in a test row.
    """
    column = spec.columns.get(target)
    if column is None or column.pii or column.sdtype in ("id", "datetime"):
        raise InputDataError(f"utility target {target!r} must be a learned categorical, boolean or numerical column")
    if test[target].isna().any():
        raise InputDataError(
            f"utility target {target!r} is missing in {int(test[target].isna().sum())} held-out row(s)"
        )
    task = "regression" if column.sdtype == "numerical" else "classification"
    features = [c for c, col in spec.columns.items() if not col.pii and col.sdtype != "id" and c != target]
    categorical = [c for c in features if spec.columns[c].sdtype not in ("numerical", "datetime")]
    numerical = [c for c in features if c not in categorical]
    scores = {}
    for name, rows in (("replica", synthetic), ("real", train)):
        rows = rows[rows[target].notna()]
        truth = rows[target] if task == "regression" else rows[target].astype(str)
        model = baseline_pipeline(task, categorical, numerical).fit(model_frame(rows, spec, features), truth)
        expected = test[target] if task == "regression" else test[target].astype(str)
        scores[name] = _score(task, expected, model.predict(model_frame(test, spec, features)))
    return {
        "target": target,
        "task": task,
        "metric": "f1_macro" if task == "classification" else "r2",
        "score_replica": round(scores["replica"], 6),
        "score_real": round(scores["real"], 6),
        "ratio": round(max(scores["replica"], 0.0) / scores["real"], 6) if scores["real"] > 0 else None,
        "test_rows": len(test),
        "model": "one-hot categoricals + median-imputed standardised numbers → LogisticRegression / Ridge",
    }
