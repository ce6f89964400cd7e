"""Metrics equal scikit-learn's; the registry names unknown metrics clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from scoring import ScoringError, SubmissionError, get_metric, list_metrics
from scoring.compute import compute_scores

LABELS = st.lists(st.integers(0, 2), min_size=4, max_size=60)


@pytest.mark.filterwarnings("ignore::UserWarning")
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_label_metrics_equal_sklearn(data: st.DataObject) -> None:
    y_true = np.array(data.draw(LABELS))
    y_pred = np.array(data.draw(st.lists(st.integers(0, 2), min_size=len(y_true), max_size=len(y_true))))
    assert get_metric("accuracy")(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
    assert get_metric("f1_macro")(y_true, y_pred) == skm.f1_score(y_true, y_pred, average="macro")
    assert get_metric("f1_weighted")(y_true, y_pred) == skm.f1_score(y_true, y_pred, average="weighted")
    with np.errstate(all="ignore"):
        expected = skm.balanced_accuracy_score(y_true, y_pred)
    assert get_metric("balanced_accuracy")(y_true, y_pred) == pytest.approx(expected, nan_ok=True)


@given(values=st.lists(st.tuples(st.floats(0.5, 100), st.floats(-100, 100)), min_size=3, max_size=50))
@settings(max_examples=40, deadline=None)
def test_regression_metrics_equal_sklearn(values: list[tuple[float, float]]) -> None:
    y_true, y_pred = (np.array(column) for column in zip(*values, strict=True))
    assert get_metric("rmse")(y_true, y_pred) == skm.root_mean_squared_error(y_true, y_pred)
    assert get_metric("mae")(y_true, y_pred) == skm.mean_absolute_error(y_true, y_pred)
    assert get_metric("mape")(y_true, y_pred) == skm.mean_absolute_percentage_error(y_true, y_pred)
    assert get_metric("r2")(y_true, y_pred) == pytest.approx(skm.r2_score(y_true, y_pred), nan_ok=True)


def test_probability_and_ranking_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(0)
    y_bin, p_bin = rng.integers(0, 2, 80), rng.random(80)
    y_multi = rng.integers(0, 3, 90)
    p_multi = rng.dirichlet(np.ones(3), 90)
    relevance, scores = rng.integers(0, 4, 30), rng.random(30)
    assert get_metric("roc_auc")(y_bin, p_bin) == skm.roc_auc_score(y_bin, p_bin)
    assert get_metric("roc_auc")(y_multi, p_multi) == skm.roc_auc_score(y_multi, p_multi, multi_class="ovr")
    assert get_metric("log_loss")(y_bin, p_bin) == skm.log_loss(y_bin, p_bin)
    assert get_metric("ndcg@10")(relevance, scores) == skm.ndcg_score([relevance], [scores], k=10)


def test_metric_directions_and_flags() -> None:
    assert not get_metric("rmse").higher_is_better and get_metric("roc_auc").higher_is_better
    assert get_metric("log_loss").needs_proba and not get_metric("accuracy").needs_proba
    assert get_metric("ndcg@5").tasks == ("ranking",)
    assert "ndcg@k" in list_metrics()


def test_unknown_metric_is_named() -> None:
    with pytest.raises(ScoringError, match="metric 'auprc' is unknown; known metrics: accuracy"):
        get_metric("auprc")


def test_plugin_metric_is_loaded_from_the_entry_point_group(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "arena_extra_metrics.py").write_text(
        "import numpy as np\n"
        "from scoring import Metric\n"
        "max_error = Metric('max_error', lambda t, p: float(np.max(np.abs(t - p))), False, False, ('regression',))\n"
    )
    dist = tmp_path / "arena_extra_metrics-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: arena-extra-metrics\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[data_arena.metrics]\nmax_error = arena_extra_metrics:max_error\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("scoring.metrics._plugins", None)  # forget plugins loaded by earlier tests
    metric = get_metric("max_error")
    assert metric(np.array([1.0, 5.0]), np.array([2.0, 1.0])) == 4.0
    assert "max_error" in list_metrics()


def test_a_metric_refusing_a_split_names_the_metric_split_and_reason() -> None:
    aligned = pd.DataFrame(
        {"y_true": [1, 1, 0, 1], "y_pred": [0.9, 0.2, 0.4, 0.7], "split": ["public", "public", "private", "private"]}
    )
    with pytest.raises(
        SubmissionError, match="metric 'roc_auc' cannot be computed on split 'public': .*only one class"
    ):
        compute_scores(aligned, ["roc_auc"], ("public",))
    assert compute_scores(aligned, ["roc_auc", "log_loss"], ("private",))["private"]["roc_auc"] == 1.0
