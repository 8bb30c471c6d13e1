"""Hyperparameter search as a generator: ``for report in tune(config, table, ...): ...``.

Each trial is one :func:`molstudio.core.training.loop.train` run (one network, the ensemble
is trained later with the best settings) with settings drawn from a
:class:`~molstudio.core.search.space.SearchSpace`. The split is the configuration's
(same seed every trial) and settings are chosen on the validation set only; the test
set is never looked at. Every epoch reports the validation metric to Optuna, whose
pruner (median or Hyperband) stops hopeless trials early.

With ``folds`` = k ≥ 2 a trial is scored by k-fold cross-validation instead: the training
and validation compounds are pooled and cut into k folds (by the split's method: random,
stratified or scaffold; same folds every trial), the trial trains k networks, each
scored on the fold it did not see, and its value is their mean. It costs k times as much
but a small validation set no longer decides alone: choosing among many settings on ~100
validation compounds mostly fits their noise. The test set stays out of every fold.

A study lives in an Optuna storage: an SQLite file by default (``storage`` may be a plain
path), so a search survives closing the application and resumes where it stopped; any
Optuna URL (``postgresql://...``) lets several workers on several machines share one
study. Each trial keeps the settings it trained with, and the study keeps the run's
configuration, so :func:`best_config` rebuilds the best run from the storage alone.
"""

from __future__ import annotations

import copy
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from molstudio.core.cancel import Cancelled
from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.run.prepare import prepare_data, resolve_config
from molstudio.core.run.splits import KFOLD_METHODS, kfold
from molstudio.core.search.space import SearchSpace
from molstudio.core.training.loop import split_rows, train
from molstudio.core.training.reports import EpochReport, FinishedReport

PRUNERS = ("median", "hyperband")
DEFAULTS_MARK = "run_defaults"  # user attribute of the trial that trains the run's own settings
MAX_FAILURES = 3  # trials in a row that fail with an error before the search gives up
MAX_FOLDS = 10

Direction = Literal["minimize", "maximize"]


@dataclass
class TrialReport:
    """One finished, pruned or failed trial, and the best so far in the whole study."""

    number: int
    state: str  # "complete" | "pruned" | "failed"
    params: dict[str, Any]  # the settings the trial trained with (model and training keys)
    value: float | None  # its validation metric (mean over the folds; the last one reported if pruned)
    epochs: int
    seconds: float
    metric: str
    best_number: int | None
    best_value: float | None
    message: str = ""  # why a trial failed


@dataclass
class SearchFinished:
    """The end of this search call: why it ended and the study's best trial."""

    study: str
    storage: str
    stopped: str  # "completed" | "timeout" | "cancelled"
    trials_run: int
    metric: str
    best_number: int | None
    best_value: float | None
    best_params: dict[str, Any] = field(default_factory=dict)


def storage_url(storage: str | Path | None) -> str | None:
    """An Optuna storage URL: a URL as given, a plain path as an SQLite file, None for memory."""
    if storage is None or str(storage) == "":
        return None
    text = str(storage)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def default_storage(data_path: str | Path) -> str:
    """The SQLite file a search of ``data_path`` is kept in: next to the data."""
    path = Path(data_path)
    url = storage_url(path.with_name(f"{path.stem}.search.db"))
    assert url is not None  # a file's path always gives a URL
    return url


def objective_metric(task: str) -> tuple[str, Direction]:
    """The validation metric a search optimizes and its direction."""
    return ("roc_auc", "maximize") if task == "classification" else ("rmse", "minimize")


def open_study(storage: str | Path | None, study_name: str, direction: Direction | None = None,
               pruner: Any = None, sampler: Any = None) -> Any:
    """The study ``study_name`` in ``storage`` (created when ``direction`` is given)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(storage)
    if direction is None and url is None:  # a search kept in memory cannot be opened again
        raise MolStudioError(f"There is no search named '{study_name}' in {url}.")
    try:
        for attempt in range(3):
            try:
                if direction is None:
                    assert url is not None  # refused above
                    return optuna.load_study(study_name=study_name, storage=url, pruner=pruner, sampler=sampler)
                return optuna.create_study(study_name=study_name, storage=url, direction=direction,
                                           pruner=pruner, sampler=sampler, load_if_exists=True)
            except Exception as exc:
                # workers that start together on an empty database race to create its tables:
                # the loser's error means they exist now, so it opens the storage again
                if attempt == 2 or "IntegrityError" not in type(exc).__name__:
                    raise
                time.sleep(0.5 * (attempt + 1))
    except KeyError:
        raise MolStudioError(f"There is no search named '{study_name}' in {url}.") from None
    except ImportError as exc:
        raise MolStudioError(
            f"The search storage {url} needs a Python package that is not installed ({exc.name or exc}).",
            hint="For PostgreSQL: pip install 'molstudio[postgres]'.",
        ) from None
    except Exception as exc:  # SQLAlchemy: unreachable server, bad URL, unreadable file
        if type(exc).__module__.startswith(("sqlalchemy", "optuna")) or isinstance(exc, ValueError):
            raise MolStudioError(
                f"The search storage {url} cannot be opened: {str(exc).splitlines()[0]}",
                hint="Check the address, the server and the file's folder.",
            ) from None
        raise


def _pruner(name: str, epochs: int) -> Any:
    import optuna

    if name == "median":
        # no pruning in the first fifth of the epochs (at most 25): slow starters (a low learning
        # rate, a large batch) are not judged on epochs where quick starters always look better
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=min(25, max(1, epochs // 5)))
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(epochs, 1), reduction_factor=3)
    raise MolStudioError(f"Unknown pruner '{name}'.", hint=f"Choose one of: {', '.join(PRUNERS)}.")


def run_fingerprint(config: RunConfig, folds: int = 0) -> dict[str, Any]:
    """What must match for trials to be compared: data, model, split, features, scoring."""
    found = {"model": config.model, "targets": list(config.targets), "task": config.task,
             "features": [str(f) for f in config.features], "split": config.to_dict()["split"],
             "structure_column": config.structure_column, "descriptor_columns": list(config.descriptor_columns)}
    return {**found, "folds": folds} if folds >= 2 else found


def tune(
    config: RunConfig,
    frame: pd.DataFrame,
    trials: int | None = 20,
    timeout: float | None = None,
    storage: str | Path | None = None,
    study_name: str = "molstudio",
    cancel: threading.Event | None = None,
    pruner: str = "median",
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
    folds: int = 0,
) -> Iterator[TrialReport | EpochReport | SearchFinished]:
    """Search settings for ``config`` on ``frame``; see the module docstring.

    Runs up to ``trials`` trials (this call; None = until ``timeout`` or ``cancel``) and
    starts no new trial after ``timeout`` seconds. Yields each trial's epochs
    (:class:`EpochReport`), a :class:`TrialReport` per trial and :class:`SearchFinished`.
    A new study starts with the configuration's own settings as its first trial.
    ``folds`` ≥ 2 scores each trial by cross-validation over the training and validation
    compounds (0: on the validation set).
    """
    import optuna
    from optuna.trial import TrialState

    if trials is None and timeout is None:
        raise MolStudioError("A search needs a budget: a number of trials, a time limit, or both.")
    config = resolve_config(copy.deepcopy(config), frame)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 0 or folds == 1 or folds > MAX_FOLDS:
        raise MolStudioError(f"Cross-validation needs 2 to {MAX_FOLDS} folds (got {folds!r}); 0 scores each "
                             "trial on the validation set.")
    if config.split.sizes[1] <= 0 and folds < 2:
        raise MolStudioError(
            "A search chooses settings on the validation set, and this split has none.",
            hint="Give the validation set a share, e.g. split sizes 0.8, 0.1, 0.1.",
        )
    metric, direction = objective_metric(config.task)
    defaults = {**config.resolved_hparams(), **config.resolved_training()}
    space = SearchSpace.for_model(config.model, defaults, overrides)
    epochs = int(config.resolved_training()["epochs"])
    sampler = optuna.samplers.TPESampler(n_startup_trials=5, seed=seed)
    runs = _fold_runs(config, frame, folds, cancel) if folds >= 2 else [(config, frame)]
    study = open_study(storage, study_name, direction, _pruner(pruner, epochs * len(runs)), sampler)
    _claim(study, config, direction, study_name, folds)
    if not study.trials:
        study.enqueue_trial(space.trial_params(defaults), user_attrs={DEFAULTS_MARK: True}, skip_if_exists=True)

    t0 = time.monotonic()
    run, failures, stopped = 0, 0, "completed"
    while trials is None or run < trials:
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        if timeout is not None and time.monotonic() - t0 >= timeout:
            stopped = "timeout"
            break
        trial = study.ask()
        settings = space.sample(trial, defaults if trial.user_attrs.get(DEFAULTS_MARK) else None)
        trial.set_user_attr("settings", settings)
        outcome = yield from _run_trial(runs, epochs, trial, settings, metric, cancel)
        state, value, n_epochs, seconds, message = outcome
        if state == "cancelled":
            study.tell(trial, state=TrialState.FAIL)
            stopped = "cancelled"
            break
        if state == "complete":
            study.tell(trial, value)
        else:
            study.tell(trial, state=TrialState.PRUNED if state == "pruned" else TrialState.FAIL)
        run += 1
        failures = failures + 1 if state == "failed" else 0
        best = _best(study)
        yield TrialReport(trial.number, state, _flat(settings), value, n_epochs, seconds, metric,
                          best.number if best else None, best.value if best else None, message)
        if failures >= MAX_FAILURES and state == "failed":
            raise MolStudioError(f"The last {MAX_FAILURES} trials of the search failed: {message}",
                                 hint="Narrow the search ranges or check the data and settings.")
    best = _best(study)
    yield SearchFinished(study_name, storage_url(storage) or "memory", stopped, run, metric,
                         best.number if best else None, best.value if best else None,
                         _flat(best.user_attrs.get("settings", {})) if best else {})


def _fold_runs(config: RunConfig, frame: pd.DataFrame, folds: int,
               cancel: threading.Event | None) -> list[tuple[RunConfig, pd.DataFrame]]:
    """One (configuration, table) per cross-validation fold: the fold's compounds as the
    validation set, the other folds as the training set, the test set as it was."""
    from molstudio.core.search.curves import subset_table

    data = prepare_data(config, frame, cancel)
    split = split_rows(data, frame)
    pool = np.sort(np.concatenate([split.train, split.val]))
    if pool.size < 2 * folds:
        raise MolStudioError(f"{pool.size} training and validation compounds are too few for {folds} folds.",
                             hint="Use fewer folds, or score on the validation set (no folds).")
    method = data.config.split.method if data.config.split.method in KFOLD_METHODS else "random"
    labels = data.y[pool, 0] if data.task == "classification" else None
    smiles = [data.keys[i] or "" for i in pool] if method == "scaffold" else None
    runs = []
    for fold in kfold(pool.size, folds, int(data.config.split.seed), method, labels, smiles, val_fraction=0.0):
        fold_config = copy.deepcopy(config)
        table, _ = subset_table(frame, pool[fold.train], pool[fold.test], split.test, fold_config)
        runs.append((fold_config, table))
    return runs


def _run_trial(runs: list[tuple[RunConfig, pd.DataFrame]], epochs: int, trial: Any,
               settings: dict[str, dict[str, Any]], metric: str, cancel: threading.Event | None):
    """Train one trial, once per fold; returns (state, value, epochs, seconds, message).

    Fold ``f``'s epoch ``e`` is reported to the pruner as step ``f * epochs + e``, so that
    trials are compared on the same fold at the same epoch.
    """
    t0 = time.monotonic()
    values: list[float] = []
    total_epochs = 0
    for f, (config, frame) in enumerate(runs):
        outcome = yield from _run_fold(config, frame, trial, settings, metric, cancel, f * epochs)
        state, value, n_epochs, message = outcome
        total_epochs += n_epochs
        if state != "complete":
            if state == "pruned" and values:  # the folds done so far say more than the cut-short one
                value = float(np.mean(values + [value])) if value is not None else float(np.mean(values))
            return state, value, total_epochs, time.monotonic() - t0, message
        values.append(value)
    return "complete", float(np.mean(values)), total_epochs, time.monotonic() - t0, ""


def _run_fold(config: RunConfig, frame: pd.DataFrame, trial: Any, settings: dict[str, dict[str, Any]],
              metric: str, cancel: threading.Event | None, step0: int):
    """Train one network of a trial; returns (state, value, epochs, message)."""
    trial_config = copy.deepcopy(config)
    trial_config.hparams = {**trial_config.hparams, **settings["model"]}
    trial_config.training = {**trial_config.training, **settings["training"], "ensemble": 1}
    last_value, n_epochs = None, 0
    runner = train(trial_config, frame, cancel, autosave=None, estimate=False)
    try:
        for report in runner:
            if isinstance(report, EpochReport):
                n_epochs = report.epoch
                yield report
                value = report.val_metrics.get(metric)
                if value is None or not math.isfinite(value):
                    continue
                last_value = float(value)
                trial.report(last_value, step0 + report.epoch)
                if trial.should_prune():
                    return "pruned", last_value, n_epochs, ""
            elif isinstance(report, FinishedReport):
                if report.stopped == "cancelled":
                    return "cancelled", None, n_epochs, ""
                value = (report.metrics.get("val") or {}).get(metric)
                if value is None or not math.isfinite(value):
                    return "failed", None, n_epochs, f"the validation {metric} could not be computed"
                return "complete", float(value), n_epochs, ""
    except Cancelled:
        return "cancelled", None, n_epochs, ""
    except MolStudioError as exc:  # this trial's settings do not work (e.g. the loss diverged)
        return "failed", None, n_epochs, str(exc)
    except BaseException:
        from optuna.trial import TrialState

        trial.study.tell(trial, state=TrialState.FAIL)  # not left "running" in the storage
        raise
    finally:
        runner.close()
    return "cancelled", None, n_epochs, ""


def _claim(study: Any, config: RunConfig, direction: str, name: str, folds: int = 0) -> None:
    """Mark a new study with its run; refuse to mix another run's trials into an existing one."""
    fingerprint = run_fingerprint(config, folds)
    stored = study.user_attrs.get("fingerprint")
    scoring = f", scored by {stored['folds']}-fold cross-validation" if stored and stored.get("folds") else ""
    if stored is None:
        study.set_user_attr("fingerprint", fingerprint)
        study.set_user_attr("config", config.to_dict())
    elif stored != json.loads(json.dumps(fingerprint)):
        raise MolStudioError(
            f"The search '{name}' already holds trials of another run "
            f"({stored.get('model')} on {', '.join(stored.get('targets', []))}{scoring}).",
            hint="Give this search another study name, or open the same data and model to resume it.",
        )
    if study.direction.name.lower() != direction:
        raise MolStudioError(f"The search '{name}' was created to {study.direction.name.lower()} its "
                             f"value, but this run needs to {direction} it.",
                             hint="Give this search another study name.")


def _best(study: Any) -> Any:
    try:
        return study.best_trial
    except ValueError:  # no trial completed yet
        return None


def _flat(settings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {**settings.get("model", {}), **settings.get("training", {})}


def best_config(storage: str | Path | None, study_name: str, base: RunConfig | None = None) -> RunConfig:
    """The run configuration with the best trial's settings (the study's own run unless ``base``)."""
    study = open_study(storage, study_name)
    best = _best(study)
    if best is None:
        raise MolStudioError(f"The search '{study_name}' has no finished trial yet.",
                             hint="Run the search for a few trials first.")
    config = copy.deepcopy(base) if base is not None else RunConfig.from_dict(study.user_attrs["config"])
    for key, value in _flat(best.user_attrs.get("settings", {})).items():
        config.set(key, value)
    return config
