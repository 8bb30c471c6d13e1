"""Training as a generator: ``for report in train(config, table, cancel): ...``.

One report per preparation stage and per epoch, then a :class:`FinishedReport`
holding the trained model. The caller owns the loop, so the CLI can draw a progress
bar and the GUI can forward reports as signals from a worker thread; ``cancel`` (a
``threading.Event``) is checked at every batch and keeps the best model so far.
The molecules are encoded once (:mod:`molstudio.core.inputs`) and each ensemble
member is trained on them by :func:`molstudio.core.fitting.fit_network`.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import numpy as np
import pandas as pd
import torch

from molstudio.core.config import RunConfig
from molstudio.core.dataset import PreparedData, prepare_data
from molstudio.core.device import resolve_device
from molstudio.core.errors import MolStudioError
from molstudio.core.featurizers import CACHE, FeatureCache
from molstudio.core.fitting import Cancelled, FitData, check, fit_network, task_metrics
from molstudio.core.inputs import ModelInputs, make_inputs
from molstudio.core.models import MODELS, build_network
from molstudio.core.reports import EpochReport, FinishedReport, StageReport
from molstudio.core.splits import Split, make_split
from molstudio.core.trained import TrainedModel

Report = StageReport | EpochReport | FinishedReport
FEATURE_CHUNK = 16  # first chunk of molecules to encode; see _encode
MAX_CHUNK = 4096
CHUNK_SECONDS = 0.2


def split_rows(data: PreparedData, frame: pd.DataFrame) -> Split:
    """The split over the usable rows; positions returned are rows of the input table."""
    cfg = data.config
    usable = data.usable
    smiles = [data.keys[i] or "" for i in usable] if cfg.split.method == "scaffold" else None
    column = None
    if cfg.split.method == "column" or cfg.split.method.startswith("column:"):
        name = cfg.split.column or cfg.split.method.partition(":")[2]
        if name not in frame.columns:
            raise MolStudioError(f"The split column '{name}' is not in the table.")
        column = frame[name].iloc[usable].astype(str).to_numpy()
    labels = data.y[usable] if data.task == "classification" else None
    method = "column" if column is not None else cfg.split.method
    split = make_split(
        len(usable), method, tuple(cfg.split.sizes), cfg.split.seed, labels=labels, smiles=smiles, column=column
    )
    return Split(usable[split.train], usable[split.val], usable[split.test], list(split.warnings))


def _encode(
    data: PreparedData, inputs: ModelInputs, frame: pd.DataFrame, rows: np.ndarray,
    cache: FeatureCache | None, cancel: threading.Event | None,
) -> Iterator[StageReport | Any]:
    """Encode ``rows`` in chunks (progress and cancel between chunks); the last item is the encoding.

    Chunks grow while they take less than :data:`CHUNK_SECONDS`, so cheap encodings
    (fingerprints, cached rows) go in large chunks and slow ones (RDKit descriptors,
    ~5 ms a molecule) in small ones: Stop is answered within a fraction of a second.
    """
    parts = []
    with_columns = bool(inputs.descriptor_columns)
    start, size = 0, FEATURE_CHUNK
    while start < len(rows):
        check(cancel)
        yield StageReport("Computing features", start, len(rows))
        chunk = rows[start : start + size]
        t0 = time.perf_counter()
        parts.append(inputs.encode([data.mols[i] for i in chunk], [data.keys[i] for i in chunk],
                                   frame.iloc[chunk] if with_columns else None, cache))
        start += len(chunk)
        if time.perf_counter() - t0 < CHUNK_SECONDS / 2:
            size = min(size * 2, MAX_CHUNK)
    check(cancel)
    yield StageReport("Computing features", len(rows), len(rows))
    yield inputs.concat(parts)


def _target_scaling(
    task: str, y_train: np.ndarray, targets: list[str], warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread used to standardize regression targets (0 and 1 for classes)."""
    n_tasks = y_train.shape[1]
    if task == "regression":
        with np.errstate(all="ignore"):
            y_mean = np.nanmean(y_train, axis=0) if len(y_train) else np.zeros(n_tasks)
            y_std = np.nanstd(y_train, axis=0) if len(y_train) else np.ones(n_tasks)
        const = ~(y_std > 1e-8)
        if const.any():
            warnings.append("The target is constant in the training set; the model can only predict that value.")
        return np.nan_to_num(y_mean), np.where(const | np.isnan(y_std), 1.0, y_std)
    for j in range(n_tasks):
        if len(np.unique(y_train[:, j][~np.isnan(y_train[:, j])])) < 2:
            warnings.append(f"The training set holds only one class for '{targets[j]}'.")
    return np.zeros(n_tasks), np.ones(n_tasks)


def train(
    config: RunConfig,
    frame: pd.DataFrame,
    cancel: threading.Event | None = None,
    cache: FeatureCache | None = CACHE,
) -> Iterator[Report]:
    """Train the network(s) that ``config`` describes on ``frame``; see the module docstring."""
    t_start = time.perf_counter()
    yield StageReport("Reading structures")
    data = prepare_data(config, frame)
    cfg = data.config
    tr = cfg.resolved_training()
    hp = cfg.resolved_hparams()
    split = split_rows(data, frame)
    warnings = list(data.warnings) + list(split.warnings)
    if len(split.train) == 0:
        raise MolStudioError("The training set is empty; change the split sizes.")

    inputs = make_inputs(MODELS.get(cfg.model).input_kind, data.feature_specs, hp)
    rows = np.concatenate([split.train, split.val, split.test])
    encoded = None
    try:
        for item in _encode(data, inputs, frame, rows, cache, cancel):
            if isinstance(item, StageReport):
                yield item
            else:
                encoded = item
    except Cancelled:
        yield _finished_empty(split, t_start)
        return
    n_tr, n_va = len(split.train), len(split.val)
    inputs.fit(encoded, n_tr)
    t_featurized = time.perf_counter()

    y_all = data.y[rows]
    y_mean, y_std = _target_scaling(data.task, y_all[:n_tr], list(cfg.targets), warnings)
    y_scaled = (y_all - y_mean) / y_std
    device = resolve_device(tr["device"])
    fit_data = FitData(
        inputs=inputs, stored=inputs.to_device(encoded, device), task=data.task,
        y=torch.from_numpy(np.nan_to_num(y_scaled).astype(np.float32)).to(device),
        mask=torch.from_numpy(~np.isnan(y_scaled)).float().to(device),
        n_train=n_tr, n_val=n_va, y_mean=y_mean, y_std=y_std, val_rows=split.val,
        val_true=data.y[split.val], names=list(cfg.targets), device=device,
        amp=bool(tr["amp"]) and device.type == "cuda",
    )
    members = int(tr["ensemble"])
    networks, results = [], []
    for member in range(members):
        seed = tr["seed"] + member
        torch.manual_seed(seed)
        network = build_network(cfg.model, hp, inputs.dims(), y_all.shape[1]).to(device)
        result = yield from fit_network(network, fit_data, tr, seed, cancel, t_start, member, members)
        if result.history:
            networks.append(network)
            results.append(result)
        if result.stopped == "cancelled":
            break
    if not networks:
        yield _finished_empty(split, t_start)
        return
    t_trained = time.perf_counter()

    model = TrainedModel(
        config=cfg, task=data.task, inputs=inputs, networks=networks,
        y_mean=np.asarray(y_mean, np.float32), y_std=np.asarray(y_std, np.float32), classes=data.classes,
    )
    preds, spread = model.predict_stored(fit_data.stored, len(rows))  # encoded rows are on the device already
    parts = {"train": slice(0, n_tr), "val": slice(n_tr, n_tr + n_va), "test": slice(n_tr + n_va, len(rows))}
    names = list(cfg.targets)
    metrics = {k: task_metrics(data.task, y_all[s], preds[s], names) for k, s in parts.items()}
    stopped = "cancelled" if any(r.stopped == "cancelled" for r in results) else results[-1].stopped
    last = results[-1]
    model.metrics = metrics
    model.info = {
        "split": {"method": cfg.split.method, "sizes": list(cfg.split.sizes), "seed": cfg.split.seed,
                  "counts": split.counts()},
        "weights_seed": tr["seed"],
        "ensemble": len(networks),
        "epochs_run": len(last.history),
        "best_epoch": last.best_epoch,
        "stopped": stopped,
        "device": str(device),
        "inputs": inputs.dims(),
    }
    test_sl, val_sl = parts["test"], parts["val"]
    yield FinishedReport(
        model=model, metrics=metrics, epochs_run=len(last.history), best_epoch=last.best_epoch, stopped=stopped,
        seconds={"featurize": t_featurized - t_start, "train": t_trained - t_featurized,
                 "total": time.perf_counter() - t_start},
        split_counts=split.counts(), test_rows=split.test, test_true=y_all[test_sl], test_pred=preds[test_sl],
        test_spread=spread[test_sl], val_rows=split.val, val_true=y_all[val_sl], val_pred=preds[val_sl],
        history=last.history, member_histories=[r.history for r in results],
        warnings=warnings, skipped=data.skipped,
    )


def _finished_empty(split: Split, t_start: float) -> FinishedReport:
    empty = np.zeros((0, 1))
    return FinishedReport(
        model=None, metrics={}, epochs_run=0, best_epoch=0, stopped="cancelled",
        seconds={"total": time.perf_counter() - t_start}, split_counts=split.counts(),
        test_rows=np.zeros(0, dtype=np.int64), test_true=empty, test_pred=empty,
    )


def run_to_end(config: RunConfig, frame: pd.DataFrame, cancel: threading.Event | None = None) -> FinishedReport:
    """Drive :func:`train` to its end and return the final report (for scripts and tests)."""
    final = None
    for report in train(config, frame, cancel):
        if isinstance(report, FinishedReport):
            final = report
    assert final is not None
    return final
