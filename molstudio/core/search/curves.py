"""Learning curves: would more measurements help?

:func:`learning_curve` trains the configured model on growing, nested parts of one
training set (10 % of its compounds, then 20 % holding those 10 %, ...) and measures
each model on the same validation compounds. It is a generator like
:func:`molstudio.core.training.loop.train`, so the GUI's worker can run it: it yields
:class:`~molstudio.core.training.reports.StageReport` for progress, a :class:`CurvePoint` per
finished run and, last, a :class:`LearningCurve` holding every point, arrays ready to
plot and a plain-words reading (:func:`read_curve`).

The split is made once with the configuration's split settings; each run gets it
through a generated split column (the "column" split of :mod:`~molstudio.core.run.splits`),
so :func:`~molstudio.core.training.loop.train` does the training unchanged.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from molstudio.core.cancel import Cancelled
from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.run.prepare import MIN_ROWS, check_split_counts, prepare_data
from molstudio.core.training.loop import split_rows, train
from molstudio.core.training.reports import EpochReport, FinishedReport, StageReport

DEFAULT_FRACTIONS = (0.1, 0.2, 0.4, 0.7, 1.0)
STILL_FALLING = 0.05  # relative gain expected from twice the compounds that counts as "still falling"
NO_GAIN = 0.02  # relative change from the smallest to the largest set below which nothing was gained
_METRIC = {"regression": ("rmse", "RMSE", False), "classification": ("roc_auc", "ROC-AUC", True)}


@dataclass
class CurvePoint:
    """One finished run: a model trained on ``n_train`` compounds, measured on the validation set.

    ``train_rows`` and ``val_rows`` are row positions in the table the curve was given.
    """

    fraction: float
    repeat: int
    n_train: int
    val_metric: float
    train_metric: float
    seconds: float
    epochs: int
    train_rows: np.ndarray
    val_rows: np.ndarray


@dataclass
class LearningCurve:
    """The whole curve: its points, what they mean, and how the runs went."""

    metric: str  # "rmse" | "roc_auc"
    metric_label: str  # "RMSE" | "ROC-AUC"
    higher_is_better: bool
    points: list[CurvePoint]
    reading: str
    stopped: str  # "completed" | "cancelled"
    runs_planned: int
    split_counts: dict[str, int]
    fit: tuple[float, float, float] | None = None  # power law of the error: a * n**-b + c
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        """Plot-ready arrays, one value per training-set size (mean and spread over repeats);
        with a fitted power law, ``fit_n`` / ``fit_val`` draw it over the measured range."""
        sizes, val, val_std = _by_size(self.points, "val_metric")
        _, train_mean, _ = _by_size(self.points, "train_metric")
        out = {"n_train": sizes, "val": val, "val_std": val_std, "train": train_mean}
        if self.fit is not None and sizes.size:
            fit_n = np.geomspace(sizes[0], sizes[-1], 50)
            err = _power_law(fit_n, *self.fit)
            out["fit_n"], out["fit_val"] = fit_n, (1 - err) if self.higher_is_better else err
        return out

    def to_frame(self) -> pd.DataFrame:
        """The points as a table, one row per run (what :meth:`write` saves)."""
        return pd.DataFrame({
            "fraction": [p.fraction for p in self.points],
            "repeat": [p.repeat + 1 for p in self.points],
            "n_train": [p.n_train for p in self.points],
            f"val_{self.metric}": [p.val_metric for p in self.points],
            f"train_{self.metric}": [p.train_metric for p in self.points],
            "epochs": [p.epochs for p in self.points],
            "seconds": [round(p.seconds, 3) for p in self.points],
        })

    def write(self, path: str | Path, forbid: str | Path | None = None) -> None:
        """Save the points as CSV (or TSV / XLSX by the extension), atomically."""
        from molstudio.core.tables.reading import write_table

        write_table(self.to_frame(), path, forbid=forbid)


def learning_curve(
    config: RunConfig,
    frame: pd.DataFrame,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    repeats: int = 1,
    cancel: threading.Event | None = None,
    ensemble: int | None = None,
) -> Iterator[StageReport | CurvePoint | LearningCurve]:
    """Train on growing nested parts of the training set; the last item is a :class:`LearningCurve`.

    Parameters
    ----------
    config, frame
        The run, as for :func:`~molstudio.core.training.loop.train`; its split (method, sizes,
        seed) is made once and kept, so every point is measured on the same validation set.
    fractions
        Parts of the training set to train on, each above 0 and at most 1.
    repeats
        Runs per fraction, each with its own draw of compounds and weight seed.
    cancel
        Set it to stop; the curve then ends with the points finished so far.
    ensemble
        Networks per run; by default one, whatever the configuration says (quicker).
    """
    fractions = _check_fractions(fractions)
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise MolStudioError(f"The number of repeats must be a whole number of at least 1 (got {repeats!r}).")
    yield StageReport("Reading structures")
    try:
        data = prepare_data(config, frame, cancel)
    except Cancelled:
        yield _empty_curve(config, "cancelled", {})
        return
    cfg = data.config
    metric, label, higher = _METRIC[data.task]
    split = split_rows(data, frame)
    counts = split.counts()
    check_split_counts(counts, len(data.usable))
    if split.val.size == 0:
        raise MolStudioError(
            "A learning curve measures each model on the validation set, and this split has none.",
            hint="Give the validation set a share of the split, e.g. 0.8, 0.1, 0.1.",
        )
    run_cfg = copy.deepcopy(cfg)
    notes = []
    configured = int(cfg.resolved_training()["ensemble"])
    members = int(ensemble) if ensemble else 1
    if ensemble is None and configured > 1:
        notes.append(f"Each point trains one network, not the configured ensemble of {configured}, "
                     "to keep the curve quick.")
    run_cfg.training["ensemble"] = members
    base_seed = int(cfg.resolved_training()["seed"])

    labels = data.y[split.train, 0] if data.task == "classification" else None
    min_size = max(MIN_ROWS, _class_count(labels))
    sizes = _sizes(fractions, split.train.size, min_size)
    orders = [_nested_order(split.train, labels, cfg.split.seed, r) for r in range(repeats)]
    runs = [(f, n, r) for f, n in sizes for r in range(repeats)]
    points: list[CurvePoint] = []
    warnings = list(data.warnings) + list(split.warnings)  # rows named as in the user's table
    stopped = "completed"
    for k, (fraction, n, repeat) in enumerate(runs):
        if cancel is not None and cancel.is_set():
            stopped = "cancelled"
            break
        subset = np.sort(orders[repeat][:n])
        run_cfg.training["seed"] = base_seed + repeat
        text = f"Run {k + 1} of {len(runs)}: training on {n} compounds"
        yield StageReport(text, k, len(runs))
        final = None
        t0 = time.perf_counter()
        sub, rows = subset_table(frame, subset, split.val, split.test, run_cfg)
        for report in train(run_cfg, sub, cancel, autosave=None, estimate=False):
            if isinstance(report, EpochReport):
                yield StageReport(f"{text}, epoch {report.epoch}/{report.epochs}", k, len(runs))
            elif isinstance(report, FinishedReport):
                final = report
        if final is None or final.stopped == "cancelled" or final.model is None:
            stopped = "cancelled"  # a run cut short is no point of the curve
            break
        # a run's own table notes name rows of its sub-table; the whole table's were given above
        warnings += [w for w in final.warnings[final.data_warnings:] if w not in warnings]
        point = CurvePoint(
            fraction=fraction, repeat=repeat, n_train=n,
            val_metric=float(final.metrics["val"].get(metric, math.nan)),
            train_metric=float(final.metrics["train"].get(metric, math.nan)),
            seconds=time.perf_counter() - t0, epochs=final.epochs_run,
            train_rows=subset, val_rows=rows[final.val_rows],
        )
        points.append(point)
        yield point
    yield StageReport("Learning curve", len(points), len(runs))
    fit = _fit_power_law(*_curve_errors(points, higher))
    reading = read_curve([p.n_train for p in points], [p.val_metric for p in points], label, higher)
    if stopped == "cancelled":
        reading = f"Stopped after {len(points)} of {len(runs)} runs. {reading}"
    yield LearningCurve(metric=metric, metric_label=label, higher_is_better=higher, points=points,
                        reading=reading, stopped=stopped, runs_planned=len(runs), split_counts=counts,
                        fit=fit, notes=notes, warnings=warnings)


def read_curve(n_train: Sequence[int], values: Sequence[float], label: str = "RMSE",
               higher_is_better: bool = False) -> str:
    """What the curve says, in plain words: is it still improving with more compounds?

    ``values`` are the validation metric per run (repeats at one size are averaged).
    The error (the metric, or 1 - metric when higher is better) is fitted with a power
    law ``a * n**-b + c``; what twice the largest training set would gain decides
    between "still falling" and "flattened".
    """
    sizes, err = _curve_errors_from(n_train, values, higher_is_better)
    if sizes.size < 2:
        return "A curve needs models trained on at least two training-set sizes; there are too few points to read."

    def shown(e: float) -> str:
        return _fmt(1 - e if higher_is_better else e)

    first, last = err[0], err[-1]
    moved = ("rose" if higher_is_better else "fell") if last < first else (
        "fell" if higher_is_better else "rose") if last > first else "stayed"
    head = (f"Validation {label} {moved} from {shown(first)} ({sizes[0]} compounds) to {shown(last)} "
            f"({sizes[-1]})")
    if not last < first * (1 - NO_GAIN):
        return (f"{head}: it did not improve as the training set grew. More of the same data is unlikely to "
                "help; try other features or a different model (or a larger validation set, if it is small).")
    fit = _fit_power_law(sizes, err)
    if fit is not None:
        now, doubled = _power_law(np.array([sizes[-1], 2 * sizes[-1]], float), *fit)
    else:  # the last segment's slope on log-log axes
        slope = math.log(err[-2] / err[-1]) / math.log(sizes[-1] / sizes[-2]) if err[-1] > 0 and err[-2] > 0 else 0
        now, doubled = last, last * 2.0 ** -max(slope, 0.0)
    gain = (now - doubled) / now if now > 0 else 0.0
    if gain >= STILL_FALLING:
        return (f"{head}; the curve is still falling: more measurements would likely help "
                f"(about {shown(last * (1 - gain))} expected with {2 * sizes[-1]} compounds).")
    return (f"{head}; the curve has flattened: more of the same data is unlikely to help much; "
            "try other features or a different model.")


def _check_fractions(fractions: Sequence[float]) -> list[float]:
    try:
        values = sorted({float(f) for f in fractions})
    except (TypeError, ValueError):
        raise MolStudioError(f"Cannot read the training-set fractions {fractions!r}.",
                             hint="Give numbers above 0 and at most 1, e.g. 0.1, 0.25, 0.5, 1.") from None
    if not values:
        raise MolStudioError("No training-set fractions given.", hint="For example 0.1, 0.25, 0.5, 1.")
    bad = [v for v in values if not (0 < v <= 1)]
    if bad:
        raise MolStudioError(f"Training-set fractions must be above 0 and at most 1; got {bad[0]:g}.",
                             hint="For example 0.1, 0.25, 0.5, 1 (1 = the whole training set).")
    return values


def _sizes(fractions: list[float], n_train: int, min_size: int) -> list[tuple[float, int]]:
    """(fraction, compounds) per distinct training-set size, smallest first."""
    out: list[tuple[float, int]] = []
    for f in fractions:
        n = min(n_train, max(min_size, int(math.floor(f * n_train + 0.5))))
        if not out or n > out[-1][1]:
            out.append((f, n))
    return out


def _class_count(labels: np.ndarray | None) -> int:
    if labels is None:
        return 0
    return int(np.unique(labels[~np.isnan(labels)]).size)


def _nested_order(rows: np.ndarray, labels: np.ndarray | None, seed: int, repeat: int) -> np.ndarray:
    """The training rows in the order they join the curve: each subset is a prefix.

    For classes, rows are ordered by their spread-out rank within their class, so every
    prefix keeps the class ratios, and one row of each class goes first, so even the
    smallest subset holds every class.
    """
    rng = np.random.default_rng([seed, repeat])
    perm = rng.permutation(rows.size)
    if labels is None:
        return rows[perm]
    lab = labels[perm]
    strata = np.where(np.isnan(lab), -1, np.nan_to_num(lab)).astype(np.int64)
    keys = np.empty(perm.size)
    firsts = []
    for value in np.unique(strata):
        idx = np.flatnonzero(strata == value)
        keys[idx] = (np.arange(idx.size) + rng.random(idx.size)) / idx.size
        if value >= 0:
            firsts.append(idx[0])
    keys[firsts] = -1.0  # one compound of each class leads
    return rows[perm[np.argsort(keys, kind="stable")]]


def subset_table(frame: pd.DataFrame, train_rows: np.ndarray, val: np.ndarray, test: np.ndarray,
                 run_cfg: RunConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """The table of one run (its training subset, the validation and test rows) with a generated
    split column, and the original row of each of its rows. Sets ``run_cfg``'s split to it
    (also used by the search's cross-validation folds)."""
    rows = np.concatenate([train_rows, val, test])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    sets = np.array(["train"] * train_rows.size + ["val"] * val.size + ["test"] * test.size)[order]
    name = "learning_curve_set"
    while name in frame.columns:
        name = "_" + name
    sub = frame.iloc[rows].reset_index(drop=True)
    sub[name] = sets
    run_cfg.split = SplitConfig(method="column", column=name, seed=run_cfg.split.seed)
    return sub, rows


def _curve_errors_from(n_train: Sequence[int], values: Sequence[float],
                       higher_is_better: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sizes (ascending) and mean error at each size, leaving out runs without a figure."""
    n = np.asarray(n_train, dtype=np.int64)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v)
    n, v = n[keep], v[keep]
    sizes = np.unique(n)
    err = np.array([v[n == s].mean() for s in sizes])
    return sizes, (1 - err) if higher_is_better else err


def _curve_errors(points: list[CurvePoint], higher: bool) -> tuple[np.ndarray, np.ndarray]:
    return _curve_errors_from([p.n_train for p in points], [p.val_metric for p in points], higher)


def _by_size(points: list[CurvePoint], attr: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = np.array([p.n_train for p in points], dtype=np.int64)
    v = np.array([getattr(p, attr) for p in points], dtype=float)
    sizes = np.unique(n)
    with np.errstate(all="ignore"):
        mean = np.array([np.nanmean(v[n == s]) if np.isfinite(v[n == s]).any() else np.nan for s in sizes])
        std = np.array([np.nanstd(v[n == s]) if np.isfinite(v[n == s]).any() else np.nan for s in sizes])
    return sizes, mean, std


def _power_law(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    return a * np.power(n, -b) + c


def _fit_power_law(sizes: np.ndarray, err: np.ndarray) -> tuple[float, float, float] | None:
    """``a * n**-b + c`` through the errors (a, c >= 0; 0 <= b <= 3); ``None`` below four sizes
    (three parameters need more) or when the fit fails."""
    if sizes.size < 4 or not np.all(np.isfinite(err)):
        return None
    from scipy.optimize import curve_fit

    n = sizes.astype(float)
    span = max(float(err[0] - err[-1]), 1e-12)
    p0 = (span * n[0] ** 0.5, 0.5, max(float(err.min()) * 0.5, 0.0))
    try:
        params, _ = curve_fit(_power_law, n, err, p0=p0, bounds=([0.0, 0.0, 0.0], [np.inf, 3.0, np.inf]),
                              maxfev=10000)
    except (RuntimeError, ValueError):
        return None
    if not np.all(np.isfinite(params)):
        return None
    return float(params[0]), float(params[1]), float(params[2])


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 0.1 or magnitude == 0:
        return f"{value:.2f}"
    return f"{value:.2g}"


def _empty_curve(config: RunConfig, stopped: str, counts: dict[str, Any]) -> LearningCurve:
    task = config.task if config.task in _METRIC else "regression"
    metric, label, higher = _METRIC[task]
    return LearningCurve(metric=metric, metric_label=label, higher_is_better=higher, points=[],
                         reading="Stopped before the first run finished: there are no points to read.",
                         stopped=stopped, runs_planned=0, split_counts=counts)
