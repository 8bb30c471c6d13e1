"""Tests of molstudio.core.run.metrics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from molstudio.core.errors import MolStudioError
from molstudio.core.run.metrics import (
    HIGHER_IS_BETTER,
    PRIMARY_METRIC,
    classification_metrics,
    confusion,
    regression_metrics,
    roc_points,
)


def _is_plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return type(value) in (float, int)


def test_regression_hand_computed() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    yhat = np.array([1.0, 3.0, 2.0, 4.0])
    m = regression_metrics(y, yhat)
    # errors 0, 1, -1, 0: MSE 0.5; SS_tot = 5 -> R2 = 1 - 2/5
    assert m["mse"] == pytest.approx(0.5)
    assert m["rmse"] == pytest.approx(math.sqrt(0.5))
    assert m["mae"] == pytest.approx(0.5)
    assert m["r2"] == pytest.approx(0.6)
    assert m["spearman"] == pytest.approx(0.8)  # 1 - 6*2 / (4*15)
    assert m["n"] == 4 and list(m["per_task"]) == ["task0"]
    assert _is_plain(m) and json.loads(json.dumps(m))["rmse"] == pytest.approx(math.sqrt(0.5))


def test_regression_multitask_masking_and_nan_labels() -> None:
    y = np.array([[1.0, 10.0], [2.0, np.nan], [3.0, 30.0], [100.0, 40.0]])
    yhat = np.array([[1.0, 12.0], [2.0, 999.0], [3.0, 30.0], [-50.0, 40.0]])
    mask = np.array([[True, True], [True, True], [True, True], [False, True]])
    m = regression_metrics(y, yhat, mask=mask, names=["logS", "pIC50"])
    a, b = m["per_task"]["logS"], m["per_task"]["pIC50"]
    assert a["rmse"] == 0.0 and a["n"] == 3
    assert b["n"] == 3 and b["mae"] == pytest.approx(2 / 3) and b["mse"] == pytest.approx(4 / 3)
    assert m["mae"] == pytest.approx((0 + 2 / 3) / 2)
    assert m["n"] == 6


def test_regression_nan_safe() -> None:
    y = np.array([[1.0, np.nan], [2.0, np.nan]])
    m = regression_metrics(y, np.zeros((2, 2)))
    empty = m["per_task"]["task1"]
    assert empty["n"] == 0 and all(math.isnan(empty[k]) for k in ("rmse", "mse", "mae", "r2", "spearman"))
    assert m["rmse"] == pytest.approx(math.sqrt(2.5))  # mean over the task with data only
    assert math.isnan(m["spearman"]) and math.isnan(m["per_task"]["task0"]["spearman"])  # < 3 points
    constant = regression_metrics(np.ones(5), np.arange(5.0))
    assert math.isnan(constant["r2"]) and math.isnan(constant["spearman"])
    none = regression_metrics(np.full(3, np.nan), np.zeros(3))
    assert none["n"] == 0 and math.isnan(none["rmse"])
    json.dumps(none)


def test_regression_nan_prediction_is_not_hidden() -> None:
    m = regression_metrics(np.arange(4.0), np.array([0.0, 1.0, np.nan, 3.0]))
    assert math.isnan(m["rmse"]) and m["n"] == 4


def test_regression_shape_errors() -> None:
    with pytest.raises(MolStudioError):
        regression_metrics(np.zeros(3), np.zeros(4))
    with pytest.raises(MolStudioError):
        regression_metrics(np.zeros((3, 2)), np.zeros((3, 2)), names=["a"])


def test_classification_hand_computed() -> None:
    y = np.array([0, 0, 1, 1])
    prob = np.array([0.1, 0.6, 0.4, 0.8])
    m = classification_metrics(y, prob)
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of 4 positive/negative pairs ordered right
    assert m["pr_auc"] == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["mcc"] == pytest.approx(0.0)
    assert m["n"] == 4 and _is_plain(m)
    assert confusion(y, prob).tolist() == [[1, 1], [1, 1]]
    assert confusion(y, prob, threshold=0.05).tolist() == [[0, 2], [0, 2]]


def test_classification_one_class_gives_nan_not_error() -> None:
    y = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, np.nan], [1.0, 0.0]])
    prob = np.array([[0.9, 0.2], [0.3, 0.7], [0.8, 0.5], [0.6, 0.1]])
    m = classification_metrics(y, prob, names=["a", "b"])
    a, b = m["per_task"]["a"], m["per_task"]["b"]
    assert math.isnan(a["roc_auc"]) and math.isnan(a["pr_auc"]) and a["accuracy"] == pytest.approx(0.75)
    assert b["roc_auc"] == 1.0 and b["n"] == 3 and b["accuracy"] == 1.0 and b["mcc"] == pytest.approx(1.0)
    assert m["roc_auc"] == 1.0  # averaged over tasks where it is defined
    assert json.loads(json.dumps(m))["per_task"]["b"]["n"] == 3


def test_classification_mask_and_bad_labels() -> None:
    y = np.array([0.0, 1.0, 1.0, 0.0])
    prob = np.array([0.2, 0.9, 0.1, 0.3])
    m = classification_metrics(y, prob, mask=np.array([True, True, False, True]))
    assert m["roc_auc"] == 1.0 and m["accuracy"] == 1.0 and m["n"] == 3
    with pytest.raises(MolStudioError, match="0 or 1"):
        classification_metrics(np.array([0.0, 2.0]), np.array([0.1, 0.9]))


def test_roc_points() -> None:
    fpr, tpr = roc_points(np.array([0, 1, np.nan, 1]), np.array([0.2, 0.9, 0.5, 0.7]))
    assert fpr[0] == 0 and tpr[-1] == 1 and fpr[-1] == 1
    fpr, tpr = roc_points(np.ones(3), np.array([0.1, 0.5, 0.9]))
    assert fpr.size == 0 and tpr.size == 0


def test_metric_tables() -> None:
    assert PRIMARY_METRIC == {"regression": "rmse", "classification": "roc_auc"}
    assert HIGHER_IS_BETTER["rmse"] is False and HIGHER_IS_BETTER["roc_auc"] is True
    assert set(HIGHER_IS_BETTER) == {"rmse", "mse", "mae", "r2", "spearman", "roc_auc", "pr_auc", "accuracy", "mcc"}
