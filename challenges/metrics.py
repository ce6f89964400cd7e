"""Which metric names suit which task (the scoring room owns the implementations)."""

from __future__ import annotations

import re
from types import MappingProxyType

__all__ = ["TASKS", "is_metric_for_task", "task_metrics"]

TASKS = ("classification", "regression", "ranking")

task_metrics: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "classification": ("accuracy", "balanced_accuracy", "f1_macro", "f1_weighted", "roc_auc", "log_loss"),
        "regression": ("rmse", "mae", "mape", "r2"),
        "ranking": ("ndcg@k",),
    }
)
"""Metric names allowed per task; ``ndcg@k`` stands for ``ndcg@<positive int>`` (e.g. ``ndcg@10``)."""

_AT_K = re.compile(r"^(?P<base>[a-z_]+)@(?P<k>[1-9][0-9]*)$")


def is_metric_for_task(metric: str, task: str) -> bool:
    """Tell whether ``metric`` is a known metric name suited to ``task``.

    Args:
        metric: A metric name such as ``f1_macro`` or ``ndcg@10``.
        task: One of :data:`TASKS`.

    Returns:
        True when the name is in ``task_metrics[task]`` (``@<k>`` matched against ``@k``).
    """
    allowed = task_metrics.get(task, ())
    match = _AT_K.match(metric)
    return (f"{match['base']}@k" if match else metric) in allowed
