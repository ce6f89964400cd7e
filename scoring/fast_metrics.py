"""The built-in metrics in vectorised numpy, equal to scikit-learn 1.9.1's values (to 1e-9).

scikit-learn stays the reference in the tests only: it validates its inputs at length on every
call, which costs more than the metric itself on a million rows. Where scikit-learn raises
``ValueError`` these raise :class:`ScoringError` with the reason; where it returns NaN with a
warning (``roc_auc`` with one class in ``y_true``) they raise too, since a NaN score is never
useful; ``r2`` with fewer than two rows returns NaN like scikit-learn (the caller rejects it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.errors import ScoringError

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "f1_weighted",
    "log_loss",
    "mae",
    "mape",
    "ndcg",
    "r2",
    "rmse",
    "roc_auc",
]

_EPS = np.finfo(np.float64).eps


def _check_lengths(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if len(y_true) == 0:
        raise ScoringError("no rows to score (empty y_true)")
    if len(y_true) != len(y_pred):
        raise ScoringError(f"y_true has {len(y_true)} rows but the predictions have {len(y_pred)}")


def _numbers(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` as finite float64 (scikit-learn's ``check_array``)."""
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScoringError(f"{what} must be numbers") from None
    if not np.isfinite(numbers).all():
        raise ScoringError(f"{what} contain NaN or infinity")
    return numbers


def _is_text(values: np.ndarray) -> bool:
    return values.dtype.kind in "OUS"


def _check_labels(values: np.ndarray, what: str) -> None:
    """Class labels must be text or whole numbers (scikit-learn refuses a 'continuous' target)."""
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise ScoringError(f"{what} contain NaN or infinity")
        if (values != np.floor(values)).any():
            raise ScoringError(f"{what} are continuous numbers, not class labels")


def _encode(y_true: np.ndarray, y_pred: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of ``y_true`` and ``y_pred`` in the sorted union of their classes, and those classes."""
    _check_labels(y_true, "true labels")
    if y_pred is None:
        joined = y_true
    else:
        _check_labels(y_pred, "predicted labels")
        if _is_text(y_true) != _is_text(y_pred):
            raise ScoringError("labels mix text and numbers (true labels and predicted labels differ in type)")
        joined = np.concatenate([y_true, y_pred])
    try:
        codes, classes = pd.factorize(joined, sort=True)
    except TypeError as error:
        raise ScoringError(f"labels cannot be ordered ({error})") from None
    if (codes < 0).any():
        raise ScoringError("labels contain missing values")
    return codes[: len(y_true)], codes[len(y_true) :], np.asarray(classes)


def _confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Confusion matrix (rows: true class, columns: predicted class) over the union of classes."""
    _check_lengths(y_true, y_pred)
    true_codes, pred_codes, classes = _encode(y_true, y_pred)
    n = len(classes)
    return np.bincount(true_codes * n + pred_codes, minlength=n * n).reshape(n, n)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of rows whose predicted label is the true one."""
    matrix = _confusion(y_true, y_pred)
    return float(np.trace(matrix) / len(y_true))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true``."""
    matrix = _confusion(y_true, y_pred)
    support = matrix.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(matrix)[present] / support[present]))


def _f1_per_class(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F1 of each class of the union of labels, and each class's support in ``y_true``."""
    matrix = _confusion(y_true, y_pred)
    support = matrix.sum(axis=1)
    return 2 * np.diag(matrix) / (support + matrix.sum(axis=0)), support


def f1_macro(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of the per-class F1 (classes of ``y_true`` or ``y_pred``)."""
    scores, _ = _f1_per_class(y_true, y_pred)
    return float(np.mean(scores))


def f1_weighted(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean of the per-class F1 weighted by each class's support in ``y_true``."""
    scores, support = _f1_per_class(y_true, y_pred)
    return float(np.average(scores, weights=support))


def _binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Mann–Whitney U / (n_pos · n_neg): a tie between a positive and a negative counts one half."""
    negatives = np.sort(scores[~positive])
    positives = np.sort(scores[positive])
    below = np.searchsorted(negatives, positives, side="left")
    below_or_tied = np.searchsorted(negatives, positives, side="right")
    twice_u = int(below.sum(dtype=np.int64)) + int(below_or_tied.sum(dtype=np.int64))
    return twice_u / (2 * len(positives) * len(negatives))


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve: binary (1-D scores of the larger label) or one-vs-rest macro (2-D)."""
    _check_lengths(y_true, y_score)
    codes, _, classes = _encode(y_true)
    scores = _numbers(y_score, "scores")
    if len(classes) < 2:
        raise ScoringError(f"roc_auc is undefined: y_true has only one class ({classes[0]!r})")
    if scores.ndim == 1:
        if len(classes) > 2:
            raise ScoringError(f"roc_auc on {len(classes)} classes needs one probability column per class")
        return _binary_auc(codes == 1, scores)
    if len(classes) == 2 or scores.shape[1] != len(classes):
        raise ScoringError(
            f"roc_auc: y_true has {len(classes)} classes but the scores have {scores.shape[1]} columns"
            + (" (give binary scores as one column)" if len(classes) == 2 else "")
        )
    if not np.allclose(1, scores.sum(axis=1)):
        raise ScoringError("multi-class roc_auc needs probabilities: each row's scores must sum to 1")
    return float(np.mean([_binary_auc(codes == c, scores[:, c]) for c in range(len(classes))]))


def log_loss(y_true: np.ndarray, y_proba: np.ndarray) -> float:
    """Mean negative log-likelihood, probabilities clipped to [eps, 1 - eps] (float64 eps)."""
    _check_lengths(y_true, y_proba)
    codes, _, classes = _encode(y_true)
    proba = _numbers(y_proba, "probabilities")
    if proba.max() > 1 or proba.min() < 0:
        raise ScoringError(f"probabilities must lie in [0, 1]; found {proba.min()} to {proba.max()}")
    if len(classes) < 2:
        raise ScoringError(f"log_loss is undefined: y_true has only one class ({classes[0]!r})")
    columns = 2 if proba.ndim == 1 else proba.shape[1]
    if columns != len(classes):
        raise ScoringError(f"y_true has {len(classes)} classes but the probabilities have {columns} columns")
    if proba.ndim == 1:
        chosen = np.where(codes == 1, proba, 1 - proba)
    else:
        chosen = proba[np.arange(len(codes)), codes]
    return float(np.mean(-np.log(np.clip(chosen, _EPS, 1 - _EPS))))


def _regression_pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as finite float64 columns of shape (n, 1): scikit-learn reduces along axis 0 of such columns."""
    _check_lengths(y_true, y_pred)
    return _numbers(y_true, "true values").reshape(-1, 1), _numbers(y_pred, "predictions").reshape(-1, 1)


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error."""
    truth, pred = _regression_pair(y_true, y_pred)
    return float(np.sqrt(np.mean((truth - pred) ** 2, axis=0))[0])


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    truth, pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(pred - truth), axis=0)[0])


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute percentage error as a fraction; |y_true| below float64 eps counts as eps."""
    truth, pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(pred - truth) / np.maximum(np.abs(truth), _EPS), axis=0)[0])


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination; constant ``y_true`` gives 1.0 for exact predictions, else 0.0."""
    truth, pred = _regression_pair(y_true, y_pred)
    if len(truth) < 2:
        return float("nan")
    numerator = np.sum((truth - pred) ** 2, axis=0)[0]
    denominator = np.sum((truth - np.mean(truth, axis=0)) ** 2, axis=0)[0]
    if numerator == 0:
        return 1.0
    if denominator == 0:
        return 0.0
    with np.errstate(over="ignore"):  # a vanishing spread gives -inf, as in scikit-learn
        return float(1 - numerator / denominator)


def _dcg(relevance: np.ndarray, scores: np.ndarray, discount_cumsum: np.ndarray) -> float:
    """DCG in the order of decreasing ``scores``, each tied group given its mean relevance."""
    _, inverse, counts = np.unique(-scores, return_inverse=True, return_counts=True)
    group_gain = np.bincount(inverse, weights=relevance, minlength=len(counts)) / counts
    ends = discount_cumsum[np.cumsum(counts) - 1]
    return float((group_gain * np.diff(ends, prepend=0.0)).sum())


def ndcg(y_true: np.ndarray, y_score: np.ndarray, k: int) -> float:
    """Normalised DCG at ``k`` of the whole submission as one ranked list (0 when nothing is relevant)."""
    _check_lengths(y_true, y_score)
    relevance, scores = _numbers(y_true, "relevances"), _numbers(y_score, "scores")
    if relevance.min() < 0:
        raise ScoringError(f"ndcg needs non-negative relevances in y_true; found {relevance.min()}")
    if len(relevance) < 2:
        raise ScoringError("ndcg needs more than one document to rank")
    discount = 1 / (np.log(np.arange(len(relevance)) + 2) / np.log(2))
    discount[k:] = 0
    ideal = float(discount.dot(np.sort(relevance)[::-1]))
    if ideal == 0:
        return 0.0
    return _dcg(relevance, scores, np.cumsum(discount)) / ideal
