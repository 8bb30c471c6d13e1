"""Training as a generator: ``for report in train(config, table, cancel): ...``.

One report per preparation stage, an :class:`EstimateReport` of how long the run will
take, one report per epoch, then a :class:`FinishedReport` holding the trained model.
The caller owns the loop, so the CLI can draw a progress bar and the GUI can forward
reports as signals from a worker thread; ``cancel`` (a ``threading.Event``) is checked
at every batch and keeps the best model so far. The molecules are encoded once
(:mod:`molstudio.core.inputs`) and each ensemble member is trained on them by
:func:`molstudio.core.training.fitting.fit_network`.

Faults during the run end in a model where they can: a loss that becomes not a number
keeps the best epoch so far (see :mod:`~molstudio.core.training.fitting`), a GPU that runs out of
memory retries the network with half the batch and then moves the run to the CPU
(:func:`after_out_of_memory`), and an autosave (:mod:`molstudio.core.training.autosave`) keeps
the best model so far on disk, so that a crash loses little.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from molstudio.core.architectures import MODELS, build_network
from molstudio.core.cancel import Cancelled, check
from molstudio.core.device import out_of_memory, resolve_device
from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import CACHE, FeatureCache
from molstudio.core.inputs import ModelInputs, make_inputs
from molstudio.core.run.config import RunConfig
from molstudio.core.run.prepare import PreparedData, check_split_counts, prepare_data
from molstudio.core.run.splits import Split, make_split
from molstudio.core.trained.model import TrainedModel
from molstudio.core.training.autosave import Autosaver
from molstudio.core.training.calibrate import fit_model_uncertainty
from molstudio.core.training.estimate import SAMPLE, estimate_fitted
from molstudio.core.training.fitting import FitData, fit_network, task_metrics
from molstudio.core.training.reports import EpochReport, EstimateReport, FinishedReport, StageReport

Report = StageReport | EstimateReport | EpochReport | FinishedReport
FEATURE_CHUNK = 16  # first chunk of molecules to encode; see _encode
MAX_CHUNK = 4096
CHUNK_SECONDS = 0.2
MIN_BATCH = 4  # a GPU that runs out of memory with a smaller batch gives way to the CPU


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


def _class_share(task: str, y_train: np.ndarray) -> np.ndarray | None:
    """Each target's share of its second class among the labelled training compounds."""
    if task != "classification" or not len(y_train):
        return None
    with np.errstate(all="ignore"):
        return np.nan_to_num(np.nanmean(y_train, axis=0), nan=0.5).astype(np.float32)


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
    autosave: Autosaver | str | Path | None = None,
    estimate: bool = True,
) -> Generator[Report, None, None]:
    """Train the network(s) that ``config`` describes on ``frame``; see the module docstring.

    ``autosave`` (a model file's path, or an :class:`~molstudio.core.training.autosave.Autosaver`)
    keeps the best model so far on disk while the run goes on, and the final model at its end.
    ``estimate``: before the first epoch, measure how long the run will take
    (:mod:`~molstudio.core.training.estimate`) and yield it as an :class:`EstimateReport`.
    """
    t_start = time.perf_counter()
    yield StageReport("Reading structures")
    try:
        data = prepare_data(config, frame, cancel)
    except Cancelled:
        yield _finished_empty({}, t_start)
        return
    cfg = data.config
    tr = cfg.resolved_training()
    hp = cfg.resolved_hparams()
    split = split_rows(data, frame)
    warnings = list(data.warnings) + list(split.warnings)
    data_warnings = len(warnings)
    check_split_counts(split.counts(), len(data.usable))

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
        yield _finished_empty(split.counts(), t_start)
        return
    n_tr, n_va = len(split.train), len(split.val)
    inputs.fit(encoded, n_tr)
    t_featurized = time.perf_counter()

    y_all = data.y[rows]
    y_mean, y_std = _target_scaling(data.task, y_all[:n_tr], list(cfg.targets), warnings)
    y_scaled = (y_all - y_mean) / y_std
    device = resolve_device(tr["device"])
    host = FitData(
        inputs=inputs, stored=None, task=data.task,
        y=torch.from_numpy(np.nan_to_num(y_scaled).astype(np.float32)),
        mask=torch.from_numpy(~np.isnan(y_scaled)).float(),
        n_train=n_tr, n_val=n_va, y_mean=y_mean, y_std=y_std, val_rows=split.val,
        val_true=data.y[split.val], names=list(cfg.targets), device=torch.device("cpu"), amp=False,
    )
    try:
        fit_data = _place(host, encoded, device, bool(tr["amp"]))
    except Exception as exc:
        if device.type == "cpu" or not out_of_memory(exc):
            raise
        fit_data = None
    if fit_data is None:  # outside the except block: its traceback holds the GPU memory
        _release_gpu()
        device = torch.device("cpu")
        fit_data = _place(host, encoded, device, False)
        note = "The table does not fit in the GPU's memory; training runs on the CPU instead (slower)."
        warnings.append(note)
        yield StageReport(note)
    del host

    members = int(tr["ensemble"])
    n_out = y_all.shape[1]
    estimated = None
    if estimate:
        estimated = _estimate(fit_data, cfg, hp, tr, n_out, len(rows), time.perf_counter() - t_start,
                              [data.mols[i] for i in split.train[:SAMPLE]], cancel)
        if estimated is not None:
            yield estimated
    run_info = {
        "split": {"method": cfg.split.method, "sizes": list(cfg.split.sizes), "seed": cfg.split.seed,
                  "counts": split.counts()},
        "weights_seed": tr["seed"],
        "inputs": inputs.dims(),
    }

    def make_model(nets: list[nn.Module], metrics: dict[str, Any], info: dict[str, Any]) -> TrainedModel:
        assert fit_data is not None  # placed above, before any network is built
        return TrainedModel(
            config=cfg, task=data.task, inputs=inputs, networks=nets,
            y_mean=np.asarray(y_mean, np.float32), y_std=np.asarray(y_std, np.float32), classes=data.classes,
            metrics=metrics, info={**run_info, **info, "device": str(fit_data.device)},
            class_share=_class_share(data.task, y_all[:n_tr]),
        )

    saver = autosave if isinstance(autosave, Autosaver) or autosave is None else Autosaver(autosave)
    keeper = _BestSoFar(saver, make_model, lambda: build_network(cfg.model, hp, inputs.dims(), n_out), members)
    networks, results = keeper.networks, []
    requested = batch = int(tr["batch_size"])
    ended_by_stop = False
    try:
        for member in range(members):
            seed = tr["seed"] + member
            while True:
                torch.manual_seed(seed)
                network = build_network(cfg.model, hp, inputs.dims(), n_out).to(fit_data.device)
                try:
                    result = yield from fit_network(network, fit_data, {**tr, "batch_size": batch}, seed, cancel,
                                                    t_start, member, members, keeper.epoch)
                    break
                except Exception as exc:
                    if not out_of_memory(exc):
                        raise
                # out of memory: start this network again with half the batch, then on the CPU
                del network
                keeper.restart()
                batch, new_device, note = after_out_of_memory(batch, fit_data.device, requested)
                if new_device != fit_data.device:
                    fit_data = _place(fit_data, encoded, new_device, False)
                    for net in networks:
                        net.to(new_device)
                _release_gpu()
                warnings.append(note)
                yield StageReport(note)
            if result.warning:
                warnings.append(result.warning)
            if result.history:
                results.append(result)
                keeper.member_done(network, last=member == members - 1 or result.stopped == "cancelled")
            if result.stopped == "cancelled":
                ended_by_stop = True  # also when this network had not finished an epoch yet
                break
    except GeneratorExit:
        raise  # the caller stopped reading: not a fault of the run
    except BaseException:
        keeper.save("failed")  # a fault keeps what was learnt so far
        raise
    if not networks:
        yield _finished_empty(split.counts(), t_start)
        return
    t_trained = time.perf_counter()

    last = results[-1]
    ended = [r.stopped for r in results]
    stopped = "cancelled" if ended_by_stop else ("diverged" if "diverged" in ended else last.stopped)
    model = make_model(networks, {}, {"ensemble": len(networks), "epochs_run": len(last.history),
                                      "best_epoch": last.best_epoch, "stopped": stopped, "batch_size": batch})
    preds, spread = _predict_all(model, fit_data, encoded, len(rows))
    parts = {"train": slice(0, n_tr), "val": slice(n_tr, n_tr + n_va), "test": slice(n_tr + n_va, len(rows))}
    names = list(cfg.targets)
    metrics = {k: task_metrics(data.task, y_all[s], preds[s], names) for k, s in parts.items()}
    model.metrics = metrics
    val_sl = parts["val"]
    fit_model_uncertainty(
        model, [data.mols[i] for i in split.train], [data.mols[i] for i in split.val], y_all[val_sl], preds[val_sl],
        spread[val_sl], None if model.device != fit_data.device else lambda samples: model.predict_stored(
            fit_data.stored, len(rows), torch.arange(n_tr, n_tr + n_va, device=fit_data.device), samples))
    if saver is not None:
        best = last.history[last.best_epoch - 1] if last.best_epoch else {}
        saver.save(model, {"state": stopped, "epoch": len(last.history), "best_epoch": last.best_epoch,
                           "val_loss": best.get("val_loss"), "members_done": len(networks), "members": members})
        if saver.problem:
            warnings.append(saver.problem)
    test_sl = parts["test"]
    yield FinishedReport(
        model=model, metrics=metrics, epochs_run=len(last.history), best_epoch=last.best_epoch, stopped=stopped,
        seconds={"featurize": t_featurized - t_start, "train": t_trained - t_featurized,
                 "total": time.perf_counter() - t_start},
        split_counts=split.counts(), test_rows=split.test, test_true=y_all[test_sl], test_pred=preds[test_sl],
        test_spread=spread[test_sl], val_rows=split.val, val_true=y_all[val_sl], val_pred=preds[val_sl],
        history=last.history, member_histories=[r.history for r in results],
        warnings=warnings, skipped=data.skipped, data_warnings=data_warnings,
        estimated_seconds=estimated.seconds if estimated is not None else None,
    )


def after_out_of_memory(batch: int, device: torch.device, requested: int) -> tuple[int, torch.device, str]:
    """The next try after running out of memory with ``batch`` on ``device``, and what to tell the user.

    Half the batch while it stays at least :data:`MIN_BATCH`; then a GPU gives way to the
    CPU with the batch size the run asked for (``requested``). Raises MolStudioError when
    the CPU runs out of memory with the smallest batch.
    """
    where = "The computer" if device.type == "cpu" else "The GPU"
    if batch // 2 >= MIN_BATCH:
        return batch // 2, device, f"{where} ran out of memory; retrying with batch size {batch // 2}."
    if device.type != "cpu":
        return requested, torch.device("cpu"), (
            f"The GPU ran out of memory even with batch size {batch}; training continues on the CPU "
            f"(slower) with batch size {requested}.")
    raise MolStudioError(
        f"The computer ran out of memory even with batch size {batch}.",
        hint="Train on fewer compounds or a smaller network, or close other programs.",
    )


def _estimate(data: FitData, cfg: RunConfig, hp: dict[str, Any], tr: dict[str, Any], n_out: int, n_rows: int,
              featurized: float, mols: list[Any], cancel: threading.Event | None) -> EstimateReport | None:
    """The run's estimate, measured on a throwaway network; None when Stop was pressed or the
    measurement ran out of memory (the run itself then finds its way, see :func:`after_out_of_memory`)."""
    try:
        network = build_network(cfg.model, hp, data.inputs.dims(), n_out).to(data.device)
        return estimate_fitted(data, network, tr, data.n_train, data.n_val, n_rows, featurized, mols,
                               data.inputs.needs_structures, cancel)
    except Cancelled:
        return None
    except Exception as exc:
        if not out_of_memory(exc):
            raise
    _release_gpu()  # outside the except block: its traceback holds the GPU memory
    return None


def _place(data: FitData, encoded: Any, device: torch.device, amp: bool) -> FitData:
    """``data`` with the encoded rows and targets on ``device``."""
    return replace(
        data, stored=data.inputs.to_device(encoded, device), y=data.y.to(device), mask=data.mask.to(device),
        device=device, amp=amp and device.type == "cuda",
    )


def _release_gpu() -> None:
    gc.collect()  # tensors held by the failed attempt's frames
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _predict_all(model: TrainedModel, data: FitData, encoded: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Predictions for every encoded row; on the CPU if the GPU runs out of memory."""
    try:
        return model.predict_stored(data.stored, n)  # the rows are on the device already
    except Exception as exc:
        if data.device.type == "cpu" or not out_of_memory(exc):
            raise
    _release_gpu()
    for net in model.networks:
        net.to("cpu")
    return model.predict_encoded(encoded)


class _BestSoFar:
    """What the autosave writes while training runs: the networks finished so far and the
    current network's best weights (see :mod:`molstudio.core.training.autosave`).

    :meth:`epoch` is the :data:`~molstudio.core.training.fitting.EpochHook` of each network: a new
    best is written when the last write is old enough, or later, at the first epoch that is.
    """

    def __init__(self, saver: Autosaver | None, make_model: Callable[..., TrainedModel],
                 new_network: Callable[[], nn.Module], members: int) -> None:
        self.saver = saver
        self.networks: list[nn.Module] = []
        self._make_model = make_model
        self._new_network = new_network
        self._members = members
        self._best: tuple[dict[str, torch.Tensor], EpochReport] | None = None
        self._latest: EpochReport | None = None
        self._unsaved = False

    def epoch(self, report: EpochReport, best_state: dict[str, torch.Tensor] | None) -> None:
        self._latest = report
        if best_state is not None:
            self._best, self._unsaved = (best_state, report), True
        if self._unsaved and self.saver is not None and self.saver.due():
            self.save("running")

    def restart(self) -> None:
        """The current network starts again (out of memory): its epochs so far are gone."""
        self._best, self._latest, self._unsaved = None, None, False

    def member_done(self, network: nn.Module, last: bool) -> None:
        """``network`` has its final weights; written now unless the run's end writes it."""
        self.networks.append(network)
        self._best, self._unsaved = None, False
        if not last:
            self.save("running")

    def save(self, state: str) -> None:
        if self.saver is None:
            return
        nets, best = list(self.networks), None
        if self._best is not None:
            with torch.random.fork_rng(devices=[]):  # building a network draws random numbers
                network = self._new_network()
            network.load_state_dict(self._best[0])
            nets.append(network)
            best = self._best[1]
        if not nets:
            return
        latest = self._latest
        model = self._make_model(nets, {"val": best.val_metrics} if best and best.val_metrics else {}, {
            "ensemble": len(nets), "epochs_run": latest.epoch if latest else 0,
            "best_epoch": best.epoch if best else 0, "stopped": state,
        })
        with contextlib.suppress(Exception):  # an autosave never ends a run; Autosaver keeps its problem
            self.saver.save(model, {
                "state": state, "epoch": latest.epoch if latest else 0, "best_epoch": best.epoch if best else 0,
                "val_loss": (best.val_loss if best.val_loss is not None else best.train_loss) if best else None,
                "members_done": len(self.networks), "members": self._members,
            })
        self._unsaved = False


def _finished_empty(split_counts: dict[str, int], t_start: float) -> FinishedReport:
    empty = np.zeros((0, 1))
    return FinishedReport(
        model=None, metrics={}, epochs_run=0, best_epoch=0, stopped="cancelled",
        seconds={"total": time.perf_counter() - t_start}, split_counts=split_counts,
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
