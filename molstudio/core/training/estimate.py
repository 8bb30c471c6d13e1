"""How long a training run will take, measured on the run's own network and compounds.

The estimate is measured rather than modelled, so that it follows the machine: a GPU, a
busy CPU, a large network or big molecules all show in the measurement as they will in
the run. What is measured, and how it is scaled to the whole run:

* **Featurizing** (reading the structures and computing the features): inside a run, the
  time it really took; before a run (:func:`estimate_run`), a seeded sample of
  :data:`SAMPLE` labelled compounds read and encoded with the run's own featurizers,
  without the feature cache, times the table's compounds.
* **Training**: the median of up to :data:`STEPS` real gradient steps (forward, backward,
  optimizer; after :data:`WARMUP` untimed ones) of a throwaway network built like the run's,
  at the run's batch size, on encoded compounds of the table, times the batches per epoch; plus one
  evaluation of up to :data:`EVAL_ROWS` compounds, times the validation compounds. Each
  epoch is that, times :func:`expected_epochs`, times the ensemble size.
* **Finishing**: predicting every compound once per network, the MC-dropout passes of a
  single network with dropout, and the applicability domain (fingerprints of the training
  compounds and the nearest-neighbour search of the validation compounds).

It assumes every batch costs what the measured ones did (the last, smaller batch counts as
a full one), that the machine stays as busy as it was while measuring, and, before a run,
that the features are not in the cache yet (a second run on the same table featurizes
from the cache, faster) and that the split gives its requested shares. The measurement takes
well under a second for most networks (:data:`STEP_BUDGET` bounds the timed steps).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from molstudio.core.architectures import MODELS, build_network
from molstudio.core.cancel import check
from molstudio.core.device import resolve_device
from molstudio.core.errors import MolStudioError
from molstudio.core.inputs import make_inputs
from molstudio.core.run.config import RunConfig, early_stopping_can_end
from molstudio.core.run.prepare import is_resolved, prepare_data, resolve_config
from molstudio.core.trained.model import has_dropout, network_outputs
from molstudio.core.training.fitting import FitData, make_optimizer, train_step
from molstudio.core.training.reports import EstimateReport
from molstudio.core.uncertainty.domain import BYTES, LEAVE_ONE_OUT, MAX_COMPOUNDS, fingerprints, nearest_similarity
from molstudio.core.uncertainty.intervals import MAX_VALIDATION, MC_SAMPLES

SAMPLE = 64  # compounds featurized and trained on by estimate_run
WARMUP = 3  # untimed steps: the first ones allocate memory and warm caches
STEPS = 8  # timed steps at most
STEP_BUDGET = 0.5  # seconds of timed steps at most (at least one step is timed)
EVAL_ROWS = 256  # compounds of one timed evaluation
BEST_SHARE = 3  # early stopping: the best epoch is taken to come after 1/BEST_SHARE of the epochs
_DOMAIN_BLOCK = (256, 2048)  # fingerprints compared in the timed nearest-neighbour search


def expected_epochs(training: dict[str, Any], has_validation: bool) -> int:
    """The epochs one network is expected to train.

    All of them (``epochs``) when early stopping cannot act: no validation compounds, a
    patience of 0, or a patience of the epoch count or more. Otherwise a run stops
    ``patience`` epochs after its best one, and the best epoch is taken to come after a
    third of the epochs (a cosine schedule keeps improving late): ``epochs / 3 + patience``,
    at most ``epochs``.
    """
    epochs, patience = int(training["epochs"]), int(training["patience"])
    if not has_validation or not early_stopping_can_end(epochs, patience):
        return epochs
    return min(epochs, epochs // BEST_SHARE + patience)


def batches_per_epoch(n_train: int, batch_size: int) -> int:
    """Gradient steps in one epoch (a last batch of one compound is skipped, as the loop does)."""
    full, last = divmod(n_train, batch_size)
    return full + (1 if last >= 2 or n_train == 1 else 0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_network(network: nn.Module, data: FitData, training: dict[str, Any], train_rows: torch.Tensor,
                    batch_rows: int, eval_rows: torch.Tensor, cancel: threading.Event | None = None,
                    run_steps: int = 10**9) -> tuple[float, float]:
    """Seconds per gradient step of ``batch_rows`` compounds and per evaluated compound.

    ``network`` is trained in place (a throwaway one): batches are drawn with replacement from
    positions ``train_rows`` of ``data``, evaluation on positions ``eval_rows`` (empty: 0 s).
    A run of only ``run_steps`` steps gets one warm-up step and a twentieth of its steps timed
    (at least one), so that measuring does not lengthen a short run noticeably.
    """
    parameters = list(network.parameters())
    opt = make_optimizer(parameters, training)
    clip = float(training["grad_clip"])
    draw = torch.Generator().manual_seed(0)

    def step() -> None:
        check(cancel)
        pick = train_rows[torch.randint(len(train_rows), (max(batch_rows, 1),), generator=draw)]
        train_step(network, data, pick.to(data.device), opt, parameters, clip)

    network.train()
    for _ in range(WARMUP if run_steps >= 20 * STEPS else 1):
        step()
    _sync(data.device)
    times: list[float] = []
    t0, most = time.perf_counter(), min(STEPS, max(1, run_steps // 20))
    while len(times) < most and (not times or time.perf_counter() - t0 < STEP_BUDGET):
        t_step = time.perf_counter()
        step()
        _sync(data.device)
        times.append(time.perf_counter() - t_step)
    # the median: the first steps of a fresh network can be several times slower than the rest
    per_step = float(np.median(times))
    if not len(eval_rows):
        return per_step, 0.0
    rows = eval_rows[:EVAL_ROWS].to(data.device)
    check(cancel)
    network_outputs(network, data.inputs, data.stored, rows[:8], data.task, data.y_mean, data.y_std, data.amp)
    t0 = time.perf_counter()
    network_outputs(network, data.inputs, data.stored, rows, data.task, data.y_mean, data.y_std, data.amp)
    return per_step, (time.perf_counter() - t0) / len(rows)


def domain_seconds(mols: Sequence[Any], n_train: int, n_val: int, device: torch.device) -> float:
    """Seconds the applicability domain should take, timed on ``mols`` (a few of the table's)."""
    present = [m for m in mols if m is not None][:SAMPLE]
    if not present or n_train < 1:
        return 0.0
    t0 = time.perf_counter()
    packed = fingerprints(present)
    per_molecule = (time.perf_counter() - t0) / len(present)
    rows, cols = _DOMAIN_BLOCK
    query, reference = np.resize(packed, (rows, BYTES)), np.resize(packed, (cols, BYTES))
    t0 = time.perf_counter()
    nearest_similarity(query, reference, device=device)
    per_pair = (time.perf_counter() - t0) / (rows * cols)
    queries = min(n_val, MAX_VALIDATION) if n_val else min(n_train, LEAVE_ONE_OUT)
    return per_molecule * (n_train + min(n_val, MAX_VALIDATION)) + per_pair * queries * min(n_train, MAX_COMPOUNDS)


def combine(featurize: float, per_step: float, per_eval_row: float, n_train: int, n_val: int, n_rows: int,
            training: dict[str, Any], finish_other: float = 0.0, mc_dropout: bool = False,
            measure: float = 0.0) -> EstimateReport:
    """The run's estimate from the measured figures (see the module docstring).

    ``n_rows`` compounds are predicted at the end by every network; ``finish_other`` is the
    rest of the end (the domain); ``mc_dropout``: the end also runs MC-dropout passes;
    ``measure``: the seconds the run's own measurement takes.
    """
    networks = int(training["ensemble"])
    epochs = expected_epochs(training, n_val > 0)
    per_epoch = batches_per_epoch(n_train, int(training["batch_size"])) * per_step + n_val * per_eval_row
    train = networks * epochs * per_epoch
    finish = networks * n_rows * per_eval_row + finish_other
    if mc_dropout and networks == 1:
        finish += MC_SAMPLES * n_val * per_eval_row
    return EstimateReport(
        seconds=featurize + measure + train + finish, networks=networks, epochs=epochs,
        max_epochs=int(training["epochs"]),
        parts={"featurize": featurize, "measure": measure, "train": train, "finish": finish},
    )


def estimate_fitted(data: FitData, network: nn.Module, training: dict[str, Any], n_train: int, n_val: int,
                    n_rows: int, featurize: float, mols: Sequence[Any], structures: bool,
                    cancel: threading.Event | None = None, train_rows: torch.Tensor | None = None,
                    eval_rows: torch.Tensor | None = None) -> EstimateReport:
    """The estimate of a run of ``n_train`` / ``n_val`` / ``n_rows`` compounds, measured on
    ``network`` (a throwaway one, trained in place) and encoded compounds ``data``.

    ``featurize``: the seconds featurizing takes (or the run took until now); the measurement's
    own seconds are part of the estimate (a run measures as it starts); ``mols``: a few of the run's
    molecules for timing the domain (``structures``: the model has one). Batches are drawn
    from ``train_rows`` (the training positions of ``data`` by default) and evaluation from
    ``eval_rows`` (the validation positions, else the training ones).
    """
    t0 = time.perf_counter()
    if train_rows is None:
        train_rows = torch.arange(data.n_train)
    if eval_rows is None:
        eval_rows = torch.arange(data.n_train, data.n_train + data.n_val) if data.n_val else train_rows
    batch = int(training["batch_size"])
    steps = int(training["ensemble"]) * expected_epochs(training, n_val > 0) * batches_per_epoch(n_train, batch)
    per_step, per_row = measure_network(network, data, training, train_rows, min(batch, n_train), eval_rows,
                                        cancel, steps)
    check(cancel)
    other = domain_seconds(mols, n_train, n_val, data.device) if structures else 0.0
    mc = data.task == "regression" and has_dropout(network)
    return combine(featurize, per_step, per_row, n_train, n_val, n_rows, training, other, mc,
                   time.perf_counter() - t0)


def estimate_run(config: RunConfig, frame: pd.DataFrame, cancel: threading.Event | None = None,
                 sample: int = SAMPLE) -> EstimateReport:
    """The estimate of training ``config`` on ``frame``, before the run: measured on a seeded
    sample of ``sample`` labelled compounds (see the module docstring); a second or two.

    Raises MolStudioError when the configuration does not fit the table, or the sample
    holds fewer than two compounds that can be trained on.
    """
    if not is_resolved(config, frame):
        config = resolve_config(config, frame)
    labelled = np.flatnonzero(frame[list(config.targets)].notna().any(axis=1).to_numpy())
    if len(labelled) < 2:
        raise MolStudioError("The table has fewer than two compounds with a value to predict.")
    rng = np.random.default_rng(config.split.seed)
    picked = np.sort(rng.choice(labelled, min(sample, len(labelled)), replace=False))
    part = frame.iloc[picked].reset_index(drop=True)
    t0 = time.perf_counter()
    data = prepare_data(config, part, cancel)
    read = (time.perf_counter() - t0) / len(part)
    cfg, usable = data.config, data.usable
    if len(usable) < 2:
        raise MolStudioError("Too few compounds of the table can be read to estimate the run's time.")
    training, hparams = cfg.resolved_training(), cfg.resolved_hparams()
    inputs = make_inputs(MODELS.get(cfg.model).input_kind, data.feature_specs, hparams)
    mols = [data.mols[i] for i in usable]
    t0 = time.perf_counter()
    encoded = inputs.encode(mols, [data.keys[i] for i in usable],
                            part.iloc[usable] if inputs.descriptor_columns else None, None)
    encode = (time.perf_counter() - t0) / len(usable)
    check(cancel)
    inputs.fit(encoded, len(usable))
    n_usable = round(len(labelled) * len(usable) / len(part))
    sizes = np.asarray(cfg.split.sizes, float) / max(float(sum(cfg.split.sizes)), 1e-9)
    n_train, n_val = max(2, round(n_usable * sizes[0])), round(n_usable * sizes[1])
    y = np.nan_to_num(data.y[usable]).astype(np.float32)
    if data.task == "regression":
        y = (y - y.mean(axis=0)) / np.where(y.std(axis=0) > 0, y.std(axis=0), 1.0)
    device = resolve_device(training["device"])
    n_out = y.shape[1]
    fit = FitData(
        inputs=inputs, stored=inputs.to_device(encoded, device), task=data.task,
        y=torch.from_numpy(y).to(device), mask=torch.from_numpy(~np.isnan(data.y[usable])).float().to(device),
        n_train=len(usable), n_val=0, y_mean=np.zeros(n_out), y_std=np.ones(n_out), val_rows=np.zeros(0, np.int64),
        val_true=np.zeros((0, n_out)), names=list(cfg.targets), device=device,
        amp=bool(training["amp"]) and device.type == "cuda",
    )
    network = build_network(cfg.model, hparams, inputs.dims(), n_out).to(device)
    featurize = read * len(frame) + encode * n_usable
    return estimate_fitted(fit, network, training, n_train, n_val, n_usable, featurize, mols,
                           inputs.needs_structures, cancel)
