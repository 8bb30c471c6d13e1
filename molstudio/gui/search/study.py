"""A stored hyperparameter search as the Search settings view reads it (no widgets).

What an Optuna storage keeps under a study name (:func:`find_study`), whether it belongs
to the panel's run (the core's :func:`~molstudio.core.search.tuning.run_fingerprint`), the
settings' importances in plain words, and the background jobs the view starts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.search.tuning import (
    SearchFinished,
    TrialReport,
    open_study,
    run_fingerprint,
    storage_url,
    tune,
)
from molstudio.gui.search.ranges import setting_label

IMPORTANCE_EVERY = 3  # finished trials between two importance updates (and at least this many)


@dataclass
class TrialRow:
    """One trial as the table shows it."""

    number: int
    state: str  # complete | pruned | failed | running | queued
    params: dict[str, Any]
    value: float | None
    epochs: int
    seconds: float
    message: str = ""


@dataclass
class StoredStudy:
    """What the storage holds under a study name (found in the background)."""

    storage: str
    name: str
    rows: list[TrialRow] = field(default_factory=list)
    model: str = ""  # the architecture the study searched
    other_run: str = ""  # why its trials belong to another run ("" = they fit this one)
    best_params: dict[str, Any] = field(default_factory=dict)
    best_number: int | None = None
    best_value: float | None = None


@dataclass
class Importances:
    """Optuna's parameter importances: plain-words label -> share."""

    values: dict[str, float]


def plain_path(storage: str) -> str:
    """An SQLite URL as the file's path (what a chemist recognizes); other addresses as they are."""
    return storage.removeprefix("sqlite:///") if storage.startswith("sqlite:///") else storage


def settings_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _state(trial: Any) -> str:
    return {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running",
            "WAITING": "queued"}.get(trial.state.name, trial.state.name.lower())


def _row(trial: Any) -> TrialRow:
    """A stored Optuna trial as a table row (its settings as the trial trained with them)."""
    settings = trial.user_attrs.get("settings") or {}
    flat = {**settings.get("model", {}), **settings.get("training", {})} or dict(trial.params)
    steps = list(trial.intermediate_values)
    value = trial.value if trial.value is not None else (trial.intermediate_values[steps[-1]] if steps else None)
    seconds = (trial.duration.total_seconds() if trial.duration is not None else 0.0)
    return TrialRow(trial.number, _state(trial), flat, value, max(steps) if steps else 0, seconds)


def find_study(storage: str, name: str, config: RunConfig, folds: int = 0) -> StoredStudy:
    """The trials ``storage`` holds under ``name``, and whether they belong to ``config``'s run."""

    found = StoredStudy(storage, name)
    url = storage_url(storage)
    if url is None or (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file()):
        return found  # nothing kept yet: an SQLite file is created by the first search only
    try:
        study = open_study(storage, name)
    except MolStudioError:
        return found
    stored = study.user_attrs.get("fingerprint") or {}
    found.model = str(stored.get("model", ""))
    if stored and stored != json.loads(json.dumps(run_fingerprint(config, folds))):
        targets = ", ".join(stored.get("targets", []))
        found.other_run = f"{stored.get('model')} on {targets}" if targets else str(stored.get("model"))
        found.other_run += (f", scored by {stored['folds']}-fold cross-validation" if stored.get("folds")
                            else ", scored on the validation set")
    found.rows = [_row(t) for t in study.get_trials(deepcopy=False)]
    try:
        best = study.best_trial
    except ValueError:
        best = None
    if best is not None:
        found.best_number, found.best_value = best.number, best.value
        found.best_params = _row(best).params
    return found


def importances(storage: str, name: str, model: str) -> Importances | None:
    """Parameter importances of the study, labelled in words; None with too few finished trials."""
    import optuna

    study = open_study(storage, name)
    done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    if len(done) < IMPORTANCE_EVERY:
        return None
    try:
        values = optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError, ZeroDivisionError):  # one value per setting, no variation yet
        return None
    return Importances({setting_label(model, k): float(v) for k, v in values.items()})


def search_job(config: RunConfig, frame: pd.DataFrame, trials: int | None, timeout: float | None,
               storage: str, name: str, pruner: str, overrides: dict[str, Any],
               folds: int = 0) -> Callable[[Any], Iterator[Any]]:
    """The background job: :func:`tune`'s reports, with :class:`Importances` every few finished trials."""

    def run(cancel: Any) -> Iterator[Any]:
        finished = 0
        for report in tune(config, frame, trials, timeout, storage, name, cancel, pruner, overrides,
                           folds=folds):
            if isinstance(report, TrialReport):
                yield report
                finished += report.state == "complete"
                if report.state == "complete" and finished % IMPORTANCE_EVERY == 0 and not cancel.is_set():
                    found = importances(storage, name, config.model)
                    if found is not None:
                        yield found
            elif isinstance(report, SearchFinished):
                if report.stopped != "cancelled":
                    found = importances(storage, name, config.model)
                    if found is not None:
                        yield found
                yield report
            else:
                yield report

    return run


def look_job(storage: str, name: str, config: RunConfig, folds: int = 0) -> Callable[[Any], StoredStudy]:
    def run(_cancel: Any) -> Any:
        found = find_study(storage, name, config, folds)
        if found.rows and not found.other_run:
            return [found, importances(storage, name, config.model) or Importances({})]
        return [found]

    return run


