"""The metric registry: name → :class:`Metric` (built-ins plus ``data_arena.metrics`` entry points).

Every built-in computes what scikit-learn computes (to 1e-9), in vectorised numpy
(:mod:`scoring.fast_metrics`). Prediction shapes:
label metrics take predicted labels; ``roc_auc`` and ``log_loss`` take the probability of
the positive class (binary, 1-D) or one column per class in sorted class order (2-D, one-vs-rest);
``ndcg@k`` treats the whole submission as one ranked list (relevance in ``y_true``, scores in
``y_pred``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib.metadata import entry_points

import numpy as np

from scoring import fast_metrics as fm
from scoring.errors import ScoringError

__all__ = ["ENTRY_POINT_GROUP", "Metric", "get_metric", "list_metrics"]

ENTRY_POINT_GROUP = "data_arena.metrics"
_AT_K = re.compile(r"^(?P<base>[a-z_]+)@(?P<k>[1-9][0-9]*)$")

MetricFunc = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Metric:
    """A scoring metric.

    Attributes:
        name: Registry name (``ndcg@10`` carries its ``k``).
        func: ``func(y_true, y_pred) -> float``; ``y_pred`` holds probabilities when ``needs_proba``.
        higher_is_better: Direction used to rank the leaderboard.
        needs_proba: Whether predictions are scores/probabilities rather than labels.
        tasks: Challenge tasks the metric suits.
    """

    name: str
    func: MetricFunc
    higher_is_better: bool
    needs_proba: bool
    tasks: tuple[str, ...]

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """Compute the metric as a Python float."""
        return float(self.func(np.asarray(y_true), np.asarray(y_pred)))


_CLS, _REG, _RANK = ("classification",), ("regression",), ("ranking",)

_BUILTINS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", fm.accuracy, True, False, _CLS),
        Metric("balanced_accuracy", fm.balanced_accuracy, True, False, _CLS),
        Metric("f1_macro", fm.f1_macro, True, False, _CLS),
        Metric("f1_weighted", fm.f1_weighted, True, False, _CLS),
        Metric("roc_auc", fm.roc_auc, True, True, _CLS),
        Metric("log_loss", fm.log_loss, False, True, _CLS),
        Metric("rmse", fm.rmse, False, False, _REG),
        Metric("mae", fm.mae, False, False, _REG),
        Metric("mape", fm.mape, False, False, _REG),
        Metric("r2", fm.r2, True, False, _REG),
    )
}

_plugins: dict[str, Metric] | None = None
_plugins_lock = threading.Lock()


def _load_plugins() -> dict[str, Metric]:
    """Load ``data_arena.metrics`` entry points once (each must point at a :class:`Metric`)."""
    global _plugins
    with _plugins_lock:
        if _plugins is None:
            found: dict[str, Metric] = {}
            for point in entry_points(group=ENTRY_POINT_GROUP):
                metric = point.load()
                if callable(metric) and not isinstance(metric, Metric):
                    metric = metric()
                if not isinstance(metric, Metric):
                    raise ScoringError(
                        f"entry point {point.name!r} of group {ENTRY_POINT_GROUP} gives "
                        f"{type(metric).__name__}, not a scoring.Metric"
                    )
                found[point.name] = metric
            _plugins = found
        return _plugins


def get_metric(name: str) -> Metric:
    """Return the metric called ``name`` (``ndcg@10`` parses ``k=10``).

    Raises:
        ScoringError: no built-in or plugin metric has that name.
    """
    if name in _BUILTINS:
        return _BUILTINS[name]
    match = _AT_K.match(name)
    if match and match["base"] == "ndcg":
        return Metric(name, partial(fm.ndcg, k=int(match["k"])), True, True, _RANK)
    plugins = _load_plugins()
    if name in plugins:
        return plugins[name]
    raise ScoringError(f"metric {name!r} is unknown; known metrics: {', '.join(list_metrics())}")


def list_metrics() -> list[str]:
    """Names of every available metric (``ndcg@k`` stands for any positive ``k``)."""
    return sorted([*_BUILTINS, "ndcg@k", *_load_plugins()])
