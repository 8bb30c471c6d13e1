"""The epoch loop of one network: batches, optimizer, schedule, early stopping.

:func:`fit_network` is a generator of :class:`EpochReport`; it returns how the run
ended. The caller (:mod:`molstudio.core.training.loop`) prepares the data once and calls it
once per ensemble member.

A loss that becomes not a number ends the network's training with the weights of its
best epoch so far (a warning says so and suggests the remedy); only a first epoch that
is already not a number is an error, as there is nothing to keep.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from molstudio.core.cancel import Cancelled, check
from molstudio.core.errors import MolStudioError
from molstudio.core.inputs import ModelInputs
from molstudio.core.run import metrics as metric_fns
from molstudio.core.run.config import TRAINING_SCHEMA, plateau_patience
from molstudio.core.trained.model import network_outputs
from molstudio.core.training.reports import EpochReport


@dataclass
class FitData:
    """Everything the loop reads, prepared once per run. Rows are ordered train, val, test."""

    inputs: ModelInputs
    stored: Any
    task: str
    y: torch.Tensor  # scaled targets, 0 where missing
    mask: torch.Tensor  # 1 where a label exists
    n_train: int
    n_val: int
    y_mean: np.ndarray
    y_std: np.ndarray
    val_rows: np.ndarray  # positions in the input table
    val_true: np.ndarray
    names: list[str]
    device: torch.device
    amp: bool


@dataclass
class FitResult:
    history: list[dict[str, float | None]]
    best_epoch: int
    stopped: str  # "completed" | "early_stopping" | "cancelled" | "diverged"
    warning: str | None = None  # for the user: why the network stopped early, or what to watch


# Called after each epoch with its report and, when the epoch is the best so far, the network's
# weights at that epoch (a copy the loop does not change later); None otherwise.
EpochHook = Callable[[EpochReport, "dict[str, torch.Tensor] | None"], None]


def masked_loss(task: str, out: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = out.float()
    if task == "classification":
        per = nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none")
    else:
        per = (out - y) ** 2
    return (per * mask).sum() / mask.sum().clamp(min=1.0)


def task_metrics(task: str, y: np.ndarray, pred: np.ndarray, names: list[str]) -> dict:
    if len(y) == 0:
        return {}
    mask = ~np.isnan(y)
    if task == "classification":
        return metric_fns.classification_metrics(np.nan_to_num(y), pred, mask=mask, names=names)
    return metric_fns.regression_metrics(np.nan_to_num(y), pred, mask=mask, names=names)


def train_step(network: nn.Module, data: FitData, idx: torch.Tensor, opt: torch.optim.Optimizer,
               parameters: list[nn.Parameter], clip: float) -> torch.Tensor:
    """One gradient step on rows ``idx`` (positions on the device), ``parameters`` clipped to
    norm ``clip`` (0: not clipped); the batch's loss, on the device."""
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=data.amp):
        out = network(data.inputs.batch(data.stored, idx, None))
    loss = masked_loss(data.task, out, data.y[idx], data.mask[idx])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        nn.utils.clip_grad_norm_(parameters, clip)
    opt.step()
    return loss


def make_optimizer(params, t: dict) -> torch.optim.Optimizer:
    """The optimizer training setting ``t["optimizer"]`` names, with its learning rate and decay."""
    name, lr, wd = t["optimizer"], t["lr"], t["weight_decay"]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=t["momentum"], weight_decay=wd)
    return torch.optim.RMSprop(params, lr=lr, momentum=t["momentum"], weight_decay=wd)


def _clipping_label() -> str:
    param = TRAINING_SCHEMA.get("grad_clip")
    return (param.label or param.name) if param is not None else "Gradient clipping"


def _remedy(tr: dict[str, Any]) -> str:
    """What to change; with clipping off, the clipping setting by its label. (The gradient norm
    is not watched to say more: measuring it every batch cost up to 10 % of the training.)"""
    if tr["grad_clip"] <= 0:
        return (f"Lower the learning rate, or turn on '{_clipping_label()}' in the training settings "
                "(1.0 is a good start) against exploding gradients.")
    return "Lower the learning rate or clip the gradients harder."


def _not_a_number(epoch: int, what: str, tr: dict[str, Any]) -> MolStudioError:
    return MolStudioError(
        f"Training stopped at epoch {epoch}: the {what} became not a number.",
        hint=_remedy(tr) + " Check the target values too.",
    )


def _diverged(epoch: int, what: str, best_epoch: int, tr: dict[str, Any], member: int, members: int) -> str:
    network = f"Network {member + 1} of {members}: t" if members > 1 else "T"
    return (f"{network}raining stopped at epoch {epoch}: the {what} became not a number; the model "
            f"from epoch {best_epoch} is kept. {_remedy(tr)}")


def fit_network(
    network: nn.Module, data: FitData, tr: dict[str, Any], seed: int, cancel: threading.Event | None,
    t_start: float, member: int = 0, members: int = 1, on_epoch: EpochHook | None = None,
) -> Generator[EpochReport, None, FitResult]:
    """Train ``network`` in place (ending with its best weights); yield one report per epoch.

    ``on_epoch`` (see :data:`EpochHook`) sees every epoch before it is yielded: the
    caller's autosave. A loss that is not a number stops with the best epoch's weights
    (``stopped == "diverged"`` and a ``warning``), or raises MolStudioError at epoch 1.
    """
    n_tr, n_va = data.n_train, data.n_val
    parameters = list(network.parameters())
    opt = make_optimizer(parameters, tr)
    epochs = tr["epochs"]
    sched: Any = None
    if tr["lr_schedule"] == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    elif tr["lr_schedule"] == "plateau" and n_va:
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=plateau_patience(tr["patience"]))
    gen = torch.Generator().manual_seed(seed)
    val_pos = torch.arange(n_tr, n_tr + n_va, device=data.device)
    val_y = data.y[n_tr : n_tr + n_va].cpu().numpy()  # constant: copied to the host once, not every epoch
    val_mask = data.mask[n_tr : n_tr + n_va].cpu().numpy()
    best_state = copy.deepcopy(network.state_dict())
    best_loss, best_epoch, since_best = float("inf"), 0, 0
    history: list[dict[str, float | None]] = []
    stopped, warning = "completed", None
    bs = tr["batch_size"]
    clip = tr["grad_clip"]
    try:
        for epoch in range(1, epochs + 1):
            network.train()
            perm = torch.randperm(n_tr, generator=gen).to(data.device)
            total = torch.zeros((), device=data.device)
            count = torch.zeros((), device=data.device)
            for start in range(0, n_tr, bs):
                idx = perm[start : start + bs]
                if len(idx) < 2 and n_tr > 1:
                    continue  # a batch of one breaks batch norm and adds only noise
                check(cancel)
                loss = train_step(network, data, idx, opt, parameters, clip)
                # kept on the device: no host sync per batch (it would starve a GPU)
                weight = data.mask[idx].sum()
                total += loss.detach() * weight
                count += weight
            train_loss = float(total / count.clamp(min=1.0))
            val_loss, val_pred = None, np.zeros((0, len(data.names)))
            if n_va and np.isfinite(train_loss):
                check(cancel)
                val_pred = network_outputs(network, data.inputs, data.stored, val_pos, data.task,
                                           data.y_mean, data.y_std, data.amp)
                val_loss = _val_loss(data, val_pred, val_y, val_mask)
            broken = "training loss" if not np.isfinite(train_loss) else (
                "validation loss" if val_loss is not None and not np.isfinite(val_loss) else "")
            if broken:
                if best_epoch == 0:
                    raise _not_a_number(epoch, broken, tr)
                stopped = "diverged"
                warning = _diverged(epoch, broken, best_epoch, tr, member, members)
                break
            watched = val_loss if val_loss is not None else train_loss
            improved = watched < best_loss
            if improved:
                best_loss, best_epoch, since_best = watched, epoch, 0
                best_state = copy.deepcopy(network.state_dict())
            else:
                since_best += 1
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(watched)
            elif sched is not None:
                sched.step()
            history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
            report = EpochReport(
                epoch=epoch, epochs=epochs, train_loss=train_loss, val_loss=val_loss,
                val_metrics=task_metrics(data.task, data.val_true, val_pred, data.names) if n_va else {},
                val_rows=data.val_rows, val_true=data.val_true, val_pred=val_pred, best_epoch=best_epoch,
                lr=opt.param_groups[0]["lr"], elapsed=time.perf_counter() - t_start,
                member=member, members=members,
            )
            if on_epoch is not None:
                on_epoch(report, best_state if improved else None)
            yield report
            if n_va and tr["patience"] > 0 and since_best >= tr["patience"]:
                stopped = "early_stopping"
                break
    except Cancelled:
        stopped = "cancelled"
    # Without a validation set, the last weights are the model (no early stopping), unless
    # the loss broke down: then the best finite epoch is.
    if (n_va or stopped == "diverged") and history:
        network.load_state_dict(best_state)
    else:
        best_epoch = len(history)
    return FitResult(history, best_epoch, stopped, warning)


def _val_loss(data: FitData, val_pred: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    """The validation loss on the training loss's scale, from predictions already made
    (``y`` scaled targets and ``mask`` of the validation rows)."""
    if data.task == "classification":
        p = np.clip(val_pred, 1e-7, 1 - 1e-7)
        per = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    else:
        per = ((val_pred - data.y_mean) / data.y_std - y) ** 2
    return float((per * mask).sum() / max(mask.sum(), 1.0))
