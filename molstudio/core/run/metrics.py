"""Regression and classification metrics over masked, multi-task predictions.

Every result is plain Python (floats, ints, dicts), so it can go straight into
JSON; a metric that is undefined (no data, one class, constant values) is NaN
and never raises.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import (
    average_precision_score,
    matthews_corrcoef,
    roc_auc_score,
    roc_curve,
)

from molstudio.core.errors import MolStudioError

PRIMARY_METRIC = {"regression": "rmse", "classification": "roc_auc"}
HIGHER_IS_BETTER = {
    "rmse": False,
    "mse": False,
    "mae": False,
    "r2": True,
    "spearman": True,
    "roc_auc": True,
    "pr_auc": True,
    "accuracy": True,
    "mcc": True,
}
REGRESSION_METRICS = ("rmse", "mse", "mae", "r2", "spearman")
CLASSIFICATION_METRICS = ("roc_auc", "pr_auc", "accuracy", "mcc")

_NAN = float("nan")


def regression_metrics(
    y: np.ndarray, yhat: np.ndarray, mask: np.ndarray | None = None, names: Sequence[str] | None = None
) -> dict:
    """RMSE, MSE, MAE, R² and Spearman's rho per task and averaged over tasks.

    Parameters
    ----------
    y, yhat
        Measured and predicted values, shape (n,) or (n, tasks).
    mask
        Boolean, same shape; False marks a missing label. NaN in ``y`` is
        missing too.
    names
        Task names; default "task0", "task1", ...

    Returns
    -------
    dict
        ``{"rmse", "mse", "mae", "r2", "spearman"}`` averaged over tasks with
        data, ``"n"`` (labelled values used) and ``"per_task": {name: {...}}``.
    """
    return _evaluate(y, yhat, mask, names, REGRESSION_METRICS, _regression_task)


def classification_metrics(
    y: np.ndarray,
    prob: np.ndarray,
    mask: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    threshold: float = 0.5,
) -> dict:
    """ROC-AUC, PR-AUC (average precision), accuracy and MCC per task and averaged.

    Parameters
    ----------
    y
        Labels 0/1, shape (n,) or (n, tasks); NaN is a missing label.
    prob
        Predicted probability of class 1, same shape.
    mask, names
        As in :func:`regression_metrics`.
    threshold
        Probability at or above which a prediction counts as class 1.

    Returns
    -------
    dict
        ``{"roc_auc", "pr_auc", "accuracy", "mcc", "n", "per_task"}``; ROC-AUC and
        PR-AUC are NaN for a task whose labels hold one class only.
    """
    return _evaluate(y, prob, mask, names, CLASSIFICATION_METRICS, lambda t, p: _classification_task(t, p, threshold))


def confusion(y: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """2x2 confusion matrix ``[[TN, FP], [FN, TP]]`` of one task; rows with NaN are dropped."""
    true, p = _single_task(y, prob)
    _check_binary(true, "the task")
    pred = p >= threshold
    true = true.astype(bool)
    return np.array(
        [[np.sum(~true & ~pred), np.sum(~true & pred)], [np.sum(true & ~pred), np.sum(true & pred)]], dtype=np.int64
    )


def roc_points(y: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates of the ROC curve of one task.

    Rows with NaN are dropped; both arrays are empty when the labels hold fewer
    than two classes (no curve exists).
    """
    true, p = _single_task(y, prob)
    _check_binary(true, "the task")
    if np.unique(true).size < 2:
        return np.empty(0), np.empty(0)
    fpr, tpr, _ = roc_curve(true, p)
    return fpr, tpr


def _as_2d(values: np.ndarray, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise MolStudioError(f"The {what} must be numbers.") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise MolStudioError(f"The {what} must be one value per compound and task (got shape {arr.shape}).")
    return arr


def _evaluate(
    y: np.ndarray,
    yhat: np.ndarray,
    mask: np.ndarray | None,
    names: Sequence[str] | None,
    keys: tuple[str, ...],
    task_metrics: Callable[[np.ndarray, np.ndarray], dict],
) -> dict:
    y2, p2 = _as_2d(y, "measured values"), _as_2d(yhat, "predictions")
    if y2.shape != p2.shape:
        raise MolStudioError(f"Got predictions of shape {p2.shape} for measured values of shape {y2.shape}.")
    valid = ~np.isnan(y2)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        m = m[:, None] if m.ndim == 1 else m
        if m.shape != y2.shape:
            raise MolStudioError(f"Got a mask of shape {m.shape} for values of shape {y2.shape}.")
        valid &= m
    n_tasks = y2.shape[1]
    names = [f"task{t}" for t in range(n_tasks)] if names is None else [str(x) for x in names]
    if len(names) != n_tasks:
        raise MolStudioError(f"Got {len(names)} task names for {n_tasks} tasks.")

    per_task: dict[str, dict] = {}
    broken = False  # a prediction that is NaN or infinite poisons the averages
    for t, name in enumerate(names):
        rows = valid[:, t]
        count = int(rows.sum())
        if count == 0:
            per_task[name] = {**{k: _NAN for k in keys}, "n": 0}
            continue
        true, pred = y2[rows, t], p2[rows, t]
        if not np.all(np.isfinite(pred)):
            broken = True
            per_task[name] = {**{k: _NAN for k in keys}, "n": count}
            continue
        per_task[name] = {**{k: float(v) for k, v in task_metrics(true, pred).items()}, "n": count}

    result: dict = {}
    for key in keys:
        values = [m[key] for m in per_task.values() if m["n"] > 0 and not math.isnan(m[key])]
        result[key] = _NAN if broken or not values else float(np.mean(values))
    result["n"] = int(sum(m["n"] for m in per_task.values()))
    result["per_task"] = per_task
    return result


def _regression_task(true: np.ndarray, pred: np.ndarray) -> dict:
    err = pred - true
    mse = float(np.mean(err**2))
    ss_tot = float(np.sum((true - true.mean()) ** 2))
    r2 = 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else _NAN
    return {"rmse": math.sqrt(mse), "mse": mse, "mae": float(np.mean(np.abs(err))), "r2": r2, "spearman": _spearman(true, pred)}


def _spearman(true: np.ndarray, pred: np.ndarray) -> float:
    if true.size < 3 or np.ptp(true) == 0 or np.ptp(pred) == 0:
        return _NAN
    return float(spearmanr(true, pred).statistic)


def _classification_task(true: np.ndarray, prob: np.ndarray, threshold: float) -> dict:
    _check_binary(true, "classification targets")
    pred = (prob >= threshold).astype(float)
    two_classes = np.unique(true).size == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on undefined MCC; the value 0 is the convention
        return {
            "roc_auc": roc_auc_score(true, prob) if two_classes else _NAN,
            "pr_auc": average_precision_score(true, prob) if two_classes else _NAN,
            "accuracy": float(np.mean(pred == true)),
            "mcc": matthews_corrcoef(true, pred),
        }


def _check_binary(true: np.ndarray, what: str) -> None:
    odd = true[(true != 0) & (true != 1)]
    if odd.size:
        raise MolStudioError(
            f"The {what} must be 0 or 1, but hold the value {odd[0]:g}.",
            hint="Classification in MolStudio is binary: encode each class column as 0/1.",
        )


def _single_task(y: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    true, p = _as_2d(y, "measured values"), _as_2d(prob, "predictions")
    if true.shape != p.shape or true.shape[1] != 1:
        raise MolStudioError(f"Expected one task of matching shape (got {true.shape} and {p.shape}).")
    keep = ~np.isnan(true[:, 0]) & ~np.isnan(p[:, 0])
    return true[keep, 0], p[keep, 0]
