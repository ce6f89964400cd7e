"""Property tests: every built-in metric equals scikit-learn's value to 1e-9, or both refuse the input.

Hypothesis draws a few hundred cases per metric, biased towards ties, constant inputs and a
single class. Where scikit-learn raises ``ValueError`` ours must raise a ``ScoringError`` that
names the reason; where scikit-learn returns NaN with a warning (``roc_auc`` with one class) ours
refuses the input as well.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from scoring import ScoringError, get_metric

CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Few distinct values so that ties and constant columns are frequent.
COARSE = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
UNIT = st.one_of(COARSE, st.floats(0, 1))
REAL = st.one_of(st.sampled_from([0.0, 0.1, -0.1, 1.0, 1e-300, 3.0]), st.floats(-1e6, 1e6))
TEXT_CLASSES = st.sampled_from(["a", "b", "c", "d"])
SKLEARN: dict[str, Callable[..., float]] = {
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "f1_macro": lambda t, p: skm.f1_score(t, p, average="macro"),
    "f1_weighted": lambda t, p: skm.f1_score(t, p, average="weighted"),
    "rmse": skm.root_mean_squared_error,
    "mae": skm.mean_absolute_error,
    "mape": skm.mean_absolute_percentage_error,
    "r2": skm.r2_score,
}
REGRESSION = ("rmse", "mae", "mape", "r2")


def close(ours: float, reference: float) -> bool:
    """|ours - reference| ≤ 1e-9, relative to the value when it is above 1 (MAPE reaches 1e15)."""
    if np.isnan(reference) or np.isinf(reference):
        return bool(ours == reference or np.isnan(ours) and np.isnan(reference))
    return abs(ours - reference) <= 1e-9 * max(1.0, abs(reference))


def reference(func: Callable[..., float], *args: object, **kwargs: object) -> float | None:
    """scikit-learn's value, or None when scikit-learn refuses the input."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(func(*args, **kwargs))
        except ValueError:
            return None


def assert_same(name: str, expected: float | None, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if expected is None:
        with pytest.raises(ScoringError):
            get_metric(name)(y_true, y_pred)
    else:
        ours = get_metric(name)(y_true, y_pred)
        assert close(ours, expected), f"{name}: ours {ours!r} vs scikit-learn {expected!r}"


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted labels (ints or text), sometimes a single class or predictions of unseen classes."""
    classes = draw(st.one_of(st.integers(0, 4), TEXT_CLASSES))
    n = draw(st.integers(1, 60))
    if isinstance(classes, str):
        labels = st.sampled_from(draw(st.lists(TEXT_CLASSES, min_size=1, max_size=4, unique=True)))
        return np.array(draw(st.lists(labels, min_size=n, max_size=n)), dtype=object), np.array(
            draw(st.lists(TEXT_CLASSES, min_size=n, max_size=n)), dtype=object
        )
    top = draw(st.integers(0, 4))
    y_true = np.array(draw(st.lists(st.integers(0, top), min_size=n, max_size=n)))
    return y_true, np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))


@st.composite
def binary_scores(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Binary (sometimes one-class) labels with probabilities full of ties."""
    n = draw(st.integers(1, 80))
    labels = draw(st.sampled_from([(0, 1), (1, 2), ("no", "yes"), (1, 1)]))
    y_true = np.array(draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n)))
    return y_true, np.array(draw(st.lists(UNIT, min_size=n, max_size=n)), dtype=float)


@st.composite
def multiclass_scores(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Labels of 3–4 classes (sometimes fewer present) with one probability column per class (rows sum to 1)."""
    k = draw(st.integers(3, 4))
    n = draw(st.integers(3, 60))
    y_true = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    raw = np.array(draw(st.lists(st.lists(COARSE, min_size=k, max_size=k), min_size=n, max_size=n))) + 0.05
    return y_true, raw / raw.sum(axis=1, keepdims=True)


@given(case=st.one_of(binary_scores(), multiclass_scores()))
@CASES
def test_roc_auc_equals_sklearn(case: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_score = case
    expected = reference(skm.roc_auc_score, y_true, y_score, multi_class="ovr")
    assert_same("roc_auc", None if expected is not None and np.isnan(expected) else expected, y_true, y_score)


@given(case=st.one_of(binary_scores(), multiclass_scores()))
@CASES
def test_log_loss_equals_sklearn(case: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_proba = case
    assert_same("log_loss", reference(skm.log_loss, y_true, y_proba), y_true, y_proba)


@st.composite
def real_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """True values (often constant or containing zeros) and predictions (sometimes exact)."""
    n = draw(st.integers(1, 50))
    if draw(st.booleans()):
        y_true = np.full(n, draw(REAL))
    else:
        y_true = np.array(draw(st.lists(REAL, min_size=n, max_size=n)))
    exact = draw(st.booleans()) and draw(st.booleans())
    y_pred = y_true.copy() if exact else np.array(draw(st.lists(REAL, min_size=n, max_size=n)))
    return y_true, y_pred


@pytest.mark.parametrize("name", list(SKLEARN))
@given(data=st.data())
@CASES
def test_label_and_regression_metrics_equal_sklearn(name: str, data: st.DataObject) -> None:
    y_true, y_pred = data.draw(real_pairs() if name in REGRESSION else label_pairs())
    assert_same(name, reference(SKLEARN[name], y_true, y_pred), y_true, y_pred)


@given(
    relevance=st.lists(st.sampled_from([0, 0, 1, 2, 3, 0.5, -1]), min_size=1, max_size=40),
    data=st.data(),
    k=st.integers(1, 45),
)
@CASES
def test_ndcg_equals_sklearn(relevance: list[float], data: st.DataObject, k: int) -> None:
    y_true = np.array(relevance, dtype=float)
    y_score = np.array(data.draw(st.lists(COARSE, min_size=len(y_true), max_size=len(y_true))))
    expected = reference(skm.ndcg_score, y_true[None, :], y_score[None, :], k=k)
    assert_same(f"ndcg@{k}", expected, y_true, y_score)


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "reason"),
    [
        ("roc_auc", [1, 1, 1], [0.2, 0.4, 0.9], "only one class"),
        ("log_loss", [0, 0], [0.2, 0.4], "only one class"),
        ("log_loss", [0, 1], [0.2, 1.4], r"must lie in \[0, 1\]"),
        ("log_loss", [0, 1, 2], [0.2, 0.4, 0.9], "3 classes but the probabilities have 2 columns"),
        ("accuracy", [0.5, 1.5], [0, 1], "continuous numbers, not class labels"),
        ("f1_macro", np.array(["a", "b"], dtype=object), [0, 1], "mix text and numbers"),
        ("ndcg@3", [1, -1, 0], [0.1, 0.2, 0.3], "non-negative relevances"),
        ("rmse", [1.0, 2.0], [1.0], "2 rows but the predictions have 1"),
    ],
)
def test_refusals_name_the_reason(name: str, y_true: list, y_pred: list, reason: str) -> None:
    with pytest.raises(ScoringError, match=reason):
        get_metric(name)(np.asarray(y_true), np.asarray(y_pred))


def test_large_inputs_equal_sklearn() -> None:
    rng = np.random.default_rng(7)
    y_bin = rng.integers(0, 2, 200_000)
    p_bin = np.round(rng.random(200_000), 3)  # many ties
    assert close(get_metric("roc_auc")(y_bin, p_bin), skm.roc_auc_score(y_bin, p_bin))
    assert close(get_metric("log_loss")(y_bin, p_bin), skm.log_loss(y_bin, p_bin))
    truth, guess = rng.normal(size=200_000), rng.normal(size=200_000)
    assert close(get_metric("r2")(truth, guess), skm.r2_score(truth, guess))
