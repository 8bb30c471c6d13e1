"""Training as a generator: ``for report in train(config, table, cancel): ...``.

One report per preparation stage and per epoch, then a :class:`FinishedReport`
holding the trained model. The caller owns the loop, so the CLI can draw a progress
bar and the GUI can forward reports as signals from a worker thread; ``cancel`` (a
``threading.Event``) is checked at every batch and keeps the best model so far.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Iterator

import numpy as np
import pandas as pd
import torch
from torch import nn

from molstudio.core import metrics as metric_fns
from molstudio.core.config import RunConfig
from molstudio.core.dataset import PreparedData, prepare_data
from molstudio.core.device import resolve_device
from molstudio.core.errors import MolStudioError
from molstudio.core.feature_pipeline import FeaturePipeline
from molstudio.core.featurizers import CACHE, FeatureCache
from molstudio.core.models import build_network
from molstudio.core.reports import EpochReport, FinishedReport, StageReport
from molstudio.core.splits import Split, make_split
from molstudio.core.trained import TrainedModel

Report = StageReport | EpochReport | FinishedReport
FEATURE_CHUNK = 250  # cancel is checked between chunks: Stop answers within a fraction of a second


class _Cancelled(Exception):
    pass


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise _Cancelled


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


def _featurize(
    data: PreparedData, frame: pd.DataFrame, rows: np.ndarray, cache: FeatureCache | None,
    cancel: threading.Event | None,
) -> Iterator[StageReport | np.ndarray]:
    pipeline = FeaturePipeline(data.feature_specs)
    parts = []
    for start in range(0, len(rows), FEATURE_CHUNK):
        _check(cancel)
        yield StageReport("Computing features", start, len(rows))
        chunk = rows[start : start + FEATURE_CHUNK]
        parts.append(
            pipeline.compute([data.mols[i] for i in chunk], [data.keys[i] for i in chunk], frame.iloc[chunk], cache)
        )
    yield StageReport("Computing features", len(rows), len(rows))
    yield np.concatenate(parts, axis=0)


def _masked_loss(task: str, out: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = out.float()
    if task == "classification":
        per = nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none")
    else:
        per = (out - y) ** 2
    return (per * mask).sum() / mask.sum().clamp(min=1.0)


def _optimizer(params, t: dict) -> torch.optim.Optimizer:
    name, lr, wd = t["optimizer"], t["lr"], t["weight_decay"]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=t["momentum"], weight_decay=wd)
    return torch.optim.RMSprop(params, lr=lr, momentum=t["momentum"], weight_decay=wd)


def _metrics(task: str, y: np.ndarray, pred: np.ndarray, names: list[str]) -> dict:
    if len(y) == 0:
        return {}
    mask = ~np.isnan(y)
    if task == "classification":
        return metric_fns.classification_metrics(np.nan_to_num(y), pred, mask=mask, names=names)
    return metric_fns.regression_metrics(np.nan_to_num(y), pred, mask=mask, names=names)


def train(
    config: RunConfig,
    frame: pd.DataFrame,
    cancel: threading.Event | None = None,
    cache: FeatureCache | None = CACHE,
) -> Iterator[Report]:
    """Train the network that ``config`` describes on ``frame``; see the module docstring."""
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

    try:
        rows = np.concatenate([split.train, split.val, split.test])
        result = None
        for item in _featurize(data, frame, rows, cache, cancel):
            if isinstance(item, StageReport):
                yield item
            else:
                result = item
    except _Cancelled:
        yield _finished_empty(split, t_start)
        return
    pipeline = FeaturePipeline(data.feature_specs)
    n_tr, n_va = len(split.train), len(split.val)
    pipeline.fit(result[:n_tr])
    x_all = pipeline.transform(result)
    t_featurized = time.perf_counter()

    y_all = data.y[rows]
    n_tasks = y_all.shape[1]
    if data.task == "regression":
        y_mean = np.nanmean(y_all[:n_tr], axis=0)
        y_std = np.nanstd(y_all[:n_tr], axis=0)
        const = ~(y_std > 1e-8)
        if const.any():
            warnings.append("The target is constant in the training set; the model can only predict that value.")
        y_mean = np.nan_to_num(y_mean)
        y_std = np.where(const | np.isnan(y_std), 1.0, y_std)
    else:
        y_mean, y_std = np.zeros(n_tasks), np.ones(n_tasks)
        for j in range(n_tasks):
            seen = np.unique(y_all[:n_tr, j][~np.isnan(y_all[:n_tr, j])])
            if len(seen) < 2:
                warnings.append(f"The training set holds only one class for '{cfg.targets[j]}'.")
    y_scaled = (y_all - y_mean) / y_std

    device = resolve_device(tr["device"])
    torch.manual_seed(tr["seed"])
    network = build_network(cfg.model, hp, x_all.shape[1], n_tasks).to(device)
    x_t = torch.from_numpy(x_all).to(device)
    mask_t = torch.from_numpy(~np.isnan(y_scaled)).float().to(device)
    y_t = torch.from_numpy(np.nan_to_num(y_scaled).astype(np.float32)).to(device)
    opt = _optimizer(network.parameters(), tr)
    epochs = tr["epochs"]
    sched = None
    if tr["lr_schedule"] == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    elif tr["lr_schedule"] == "plateau" and n_va:
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=max(2, tr["patience"] // 3))
    amp = bool(tr["amp"]) and device.type == "cuda"
    gen = torch.Generator().manual_seed(tr["seed"])
    train_idx = torch.arange(n_tr)
    val_sl = slice(n_tr, n_tr + n_va)
    val_rows = split.val
    val_true = data.y[val_rows]
    names = list(cfg.targets)

    def predict(sl: slice) -> tuple[np.ndarray, torch.Tensor]:
        network.eval()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            out = torch.cat([network(x_t[sl][i : i + 4096]) for i in range(0, sl.stop - sl.start, 4096)]
                            or [torch.zeros((0, n_tasks), device=device)]).float()
        loss = _masked_loss(data.task, out, y_t[sl], mask_t[sl])
        raw = out.cpu().numpy()
        pred = 1 / (1 + np.exp(-raw)) if data.task == "classification" else raw * y_std + y_mean
        return pred, loss

    best_state = copy.deepcopy(network.state_dict())
    best_loss, best_epoch, since_best = float("inf"), 0, 0
    history: list[dict] = []
    stopped = "completed"
    epoch = 0
    bs = tr["batch_size"]
    try:
        for epoch in range(1, epochs + 1):
            network.train()
            perm = train_idx[torch.randperm(n_tr, generator=gen)]
            total = torch.zeros((), device=device)
            count = torch.zeros((), device=device)
            for start in range(0, n_tr, bs):
                idx = perm[start : start + bs].to(device)
                if len(idx) < 2 and n_tr > 1:
                    continue  # a batch of one breaks batch norm and adds only noise
                _check(cancel)
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                    out = network(x_t[idx])
                loss = _masked_loss(data.task, out, y_t[idx], mask_t[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if tr["grad_clip"] > 0:
                    nn.utils.clip_grad_norm_(network.parameters(), tr["grad_clip"])
                opt.step()
                # kept on the device: no host sync per batch (it would starve a GPU)
                weight = mask_t[idx].sum()
                total += loss.detach() * weight
                count += weight
            train_loss = float(total / count.clamp(min=1.0))
            if not np.isfinite(train_loss):
                raise MolStudioError(
                    f"Training stopped at epoch {epoch}: the loss became {train_loss} (not a number).",
                    hint="Lower the learning rate, turn on gradient clipping, or check the target values.",
                )
            val_loss = None
            val_pred = np.zeros((0, n_tasks))
            if n_va:
                val_pred, vl = predict(val_sl)
                val_loss = float(vl)
                if not np.isfinite(val_loss):
                    raise MolStudioError(
                        f"Training stopped at epoch {epoch}: the validation loss is not a number.",
                        hint="Lower the learning rate or turn on gradient clipping.",
                    )
            watched = val_loss if val_loss is not None else train_loss
            if watched < best_loss:
                best_loss, best_epoch, since_best = watched, epoch, 0
                best_state = copy.deepcopy(network.state_dict())
            else:
                since_best += 1
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(watched)
            elif sched is not None:
                sched.step()
            history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
            yield EpochReport(
                epoch=epoch, epochs=epochs, train_loss=train_loss, val_loss=val_loss,
                val_metrics=_metrics(data.task, val_true, val_pred, names) if n_va else {},
                val_rows=val_rows, val_true=val_true, val_pred=val_pred, best_epoch=best_epoch,
                lr=opt.param_groups[0]["lr"], elapsed=time.perf_counter() - t_start,
            )
            if n_va and tr["patience"] > 0 and since_best >= tr["patience"]:
                stopped = "early_stopping"
                break
    except _Cancelled:
        stopped = "cancelled"
        epoch = len(history)
        if not history:
            yield _finished_empty(split, t_start)
            return
    # Without a validation set, the last weights are the model (no early stopping).
    if n_va:
        network.load_state_dict(best_state)
    else:
        best_epoch = len(history)
    t_trained = time.perf_counter()

    model = TrainedModel(
        config=cfg, task=data.task, pipeline=pipeline, network=network,
        y_mean=np.asarray(y_mean, np.float32), y_std=np.asarray(y_std, np.float32), classes=data.classes,
    )
    preds = model.predict_matrix(x_all)
    parts = {"train": slice(0, n_tr), "val": val_sl, "test": slice(n_tr + n_va, len(rows))}
    metrics = {k: _metrics(data.task, y_all[s], preds[s], names) for k, s in parts.items()}
    model.metrics = metrics
    model.info = {
        "split": {"method": cfg.split.method, "sizes": list(cfg.split.sizes), "seed": cfg.split.seed,
                  "counts": split.counts()},
        "weights_seed": tr["seed"],
        "epochs_run": len(history),
        "best_epoch": best_epoch,
        "stopped": stopped,
        "device": str(device),
        "n_features": int(x_all.shape[1]),
    }
    test_sl = parts["test"]
    yield FinishedReport(
        model=model, metrics=metrics, epochs_run=len(history), best_epoch=best_epoch, stopped=stopped,
        seconds={"featurize": t_featurized - t_start, "train": t_trained - t_featurized,
                 "total": time.perf_counter() - t_start},
        split_counts=split.counts(), test_rows=split.test, test_true=y_all[test_sl], test_pred=preds[test_sl],
        history=history, warnings=warnings, skipped=data.skipped,
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
