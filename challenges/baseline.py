"""The documented baseline of the worked examples.

:func:`baseline_fit` and :func:`baseline_apply` are self-contained (imports inside, only pandas
and scikit-learn): their source is copied verbatim into the starter notebooks (the fit) and the
competitor's ``main.py`` (the apply), so the score written in a description is exactly what the
notebook's baseline achieves.
"""

from __future__ import annotations

import inspect

__all__ = ["baseline_apply", "baseline_fit", "baseline_predict", "baseline_source", "main_py_source"]


def baseline_fit(train, features, target_column, task):
    """One-hot encode the features and fit a linear model on train (untyped: notebook code)."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train = pd.get_dummies(train[features], dtype=float)
    if task == "classification":
        model, y_train = LogisticRegression(max_iter=2000), train[target_column].astype(str)
    else:
        model, y_train = Ridge(alpha=1.0), train[target_column].astype(float)
    pipeline = make_pipeline(StandardScaler(), model).fit(x_train, y_train)
    return {"features": list(features), "columns": list(x_train.columns), "pipeline": pipeline}


def baseline_apply(model, test, id_column, target_column):
    """Predict test with a model from baseline_fit: one row per test id (untyped: main.py code)."""
    import pandas as pd

    x_test = pd.get_dummies(test[model["features"]], dtype=float).reindex(columns=model["columns"], fill_value=0.0)
    return pd.DataFrame({id_column: test[id_column].to_numpy(), target_column: model["pipeline"].predict(x_test)})


def baseline_predict(train, test, id_column, target_column, task):
    """Fit on train, predict test: what the starter notebook's code does end to end."""
    features = [column for column in test.columns if column != id_column]
    return baseline_apply(baseline_fit(train, features, target_column, task), test, id_column, target_column)


def baseline_source() -> str:
    """Source code of :func:`baseline_fit` (for the starter notebooks)."""
    return inspect.getsource(baseline_fit)


def main_py_source(id_column: str, target_column: str, model_file: str = "model.pkl") -> str:
    """The ``main.py`` a starter notebook writes: load the pickled model beside it, ``predict`` with it."""
    return f'''"""The code the platform runs: predict(features) -> DataFrame({id_column}, {target_column})."""
import pickle
from pathlib import Path

with open(Path(__file__).parent / "{model_file}", "rb") as handle:
    MODEL = pickle.load(handle)


{inspect.getsource(baseline_apply)}

def predict(features):
    return baseline_apply(MODEL, features, "{id_column}", "{target_column}")
'''
