"""A model's domain and interval calibration, fitted at the end of its training run.

The arithmetic lives in :mod:`molstudio.core.uncertainty` (arrays only, no model); this is
where a :class:`~molstudio.core.trained.model.TrainedModel` receives its results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from molstudio.core.trained.model import TrainedModel, has_dropout
from molstudio.core.uncertainty.domain import fit_domain
from molstudio.core.uncertainty.intervals import MAX_VALIDATION, MC_SAMPLES, calibrate


def fit_model_uncertainty(
    model: TrainedModel, train_mols: list[Any], val_mols: list[Any], val_true: np.ndarray,
    val_pred: np.ndarray, val_spread: np.ndarray, mc_predict: Callable[[int], tuple[np.ndarray, np.ndarray]] | None,
) -> None:
    """Give a model at the end of training its domain (when it reads structures) and its
    interval calibration (regression with validation compounds).

    ``mc_predict(samples)`` gives the MC-dropout mean and spread on the validation
    compounds; it is used only for a single network that has dropout. Beyond
    :data:`MAX_VALIDATION` validation compounds, a seeded sample of that many is used.
    """
    seed = int(model.config.split.seed)
    keep = np.arange(len(val_mols))
    if len(keep) > MAX_VALIDATION:  # bounds the similarity search at the end of each run (and each tuning trial)
        keep = np.sort(np.random.default_rng(seed).choice(len(keep), MAX_VALIDATION, replace=False))
    val_similarity = None
    if model.inputs.needs_structures:
        model.domain, val_similarity = fit_domain(train_mols, [val_mols[i] for i in keep], seed, model.device)
    if model.task != "regression":
        return
    mc = None
    if not model.is_ensemble and mc_predict is not None and has_dropout(model.networks[0]) and len(val_true):
        mc_pred, mc_spread = mc_predict(MC_SAMPLES)
        mc = (mc_pred[keep], mc_spread[keep], MC_SAMPLES)
    model.calibration = calibrate(val_true[keep], val_pred[keep], val_spread[keep] if model.is_ensemble else None,
                                  val_similarity, mc)
