"""The documented baseline of the worked examples.

:func:`baseline_predict` is self-contained (imports inside, only pandas and scikit-learn): its
source is copied verbatim into the starter notebooks, so the score written in a description is
exactly what the notebook's baseline achieves.
"""

from __future__ import annotations

import inspect

__all__ = ["baseline_predict", "baseline_source"]


def baseline_predict(train, test, id_column, target_column, task):
    """One-hot encode the features, fit a linear model on train, predict test (untyped: notebook code)."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = [column for column in test.columns if column != id_column]
    x_train = pd.get_dummies(train[features], dtype=float)
    x_test = pd.get_dummies(test[features], dtype=float).reindex(columns=x_train.columns, fill_value=0.0)
    if task == "classification":
        model, y_train = LogisticRegression(max_iter=2000), train[target_column].astype(str)
    else:
        model, y_train = Ridge(alpha=1.0), train[target_column].astype(float)
    pipeline = make_pipeline(StandardScaler(), model).fit(x_train, y_train)
    return pd.DataFrame({id_column: test[id_column].to_numpy(), target_column: pipeline.predict(x_test)})


def baseline_source() -> str:
    """Source code of :func:`baseline_predict` (for the starter notebooks)."""
    return inspect.getsource(baseline_predict)
