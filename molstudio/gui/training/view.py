"""The training view: settings on the left, the live run on the right.

Train starts :func:`molstudio.core.training.loop.train` in the one background
:class:`~molstudio.gui.common.worker.Worker`; its reports arrive as signals and are drawn at
most every :data:`REDRAW_MS` (a fast run cannot flood the event loop). Stop sets the
cancel event: the engine ends within a batch and hands back the best model so far.
Every problem arrives as a message in the view, never as a crash.

Each run autosaves its best model so far (:mod:`molstudio.gui.training.recovery`): the copy is
deleted at a clean end (the model saved, the next run started, the view closed while
idle) and kept when the view closes mid-run, so that the next start offers it. A run
that fails keeps its best model so far as the current model.

Two process-wide settings keep the window responsive while Python trains next to
it: torch leaves one core to the GUI (:func:`~molstudio.core.device.background_threads`),
and while a job runs the garbage collector skips its full passes over every object
of the process (:func:`pause_full_collections`), which would otherwise stall both
threads for 100-400 ms; young objects are still collected, and full passes resume
when the job ends.
"""

from __future__ import annotations

import datetime as _dt
import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import torch
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.device import background_threads
from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig, load_config, save_config
from molstudio.core.trained import file as bundle
from molstudio.core.trained.predict import predict_table as core_predict_table
from molstudio.core.training.loop import train
from molstudio.core.training.reports import EpochReport, EstimateReport, FinishedReport, StageReport
from molstudio.gui.common.job_view import JobView
from molstudio.gui.common.plots import LossPlot
from molstudio.gui.common.run_status import (
    MetricsTable,
    clock,
)
from molstudio.gui.panel.train_panel import TrainPanel
from molstudio.gui.search.curve_view import LearningCurveView
from molstudio.gui.search.view import TuneView
from molstudio.gui.training.compound_tips import CompoundTips
from molstudio.gui.training.history import RunHistory, RunRecord
from molstudio.gui.training.recovery import AutosaveSlot
from molstudio.gui.training.results import ResultsView

if TYPE_CHECKING:
    from molstudio.core.tables.columns import ColumnRoles
    from molstudio.core.trained.model import TrainedModel
    from molstudio.core.training.autosave import Autosaver

T = TypeVar("T")
REDRAW_MS = 50
ENDED = {"completed": "Finished", "early_stopping": "Early stopping", "cancelled": "Stopped",
         "diverged": "Stopped (loss not a number)"}


@dataclass
class _GcPauses:
    depth: int = 0  # how deep the pauses nest
    threshold: tuple[int, int, int] = gc.get_threshold()  # what resuming restores


_gc_pauses = _GcPauses()


def pause_full_collections(pause: bool) -> None:
    """Skip (``True``) or resume (``False``) the collector's full passes; calls nest."""
    if pause:
        if _gc_pauses.depth == 0:
            _gc_pauses.threshold = gc.get_threshold()
            first, second, _ = _gc_pauses.threshold
            gc.set_threshold(first, second, 1_000_000_000)
        _gc_pauses.depth += 1
    elif _gc_pauses.depth > 0:
        _gc_pauses.depth -= 1
        if _gc_pauses.depth == 0:
            gc.set_threshold(*_gc_pauses.threshold)


def _file_call(call: Callable[[], T], what: str) -> T:
    """Run a file operation; an operating-system error becomes a MolStudioError saying what failed."""
    try:
        return call()
    except OSError as exc:
        raise MolStudioError(f"Could not {what}: {exc.strerror or exc}.") from None


class TrainingView(JobView):
    """Set up, run, watch and compare trainings; see the module docstring."""

    compound_selected = Signal(int)
    predictions_ready = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(lambda: self._busy_reason("train"), parent)
        torch.set_num_threads(background_threads())  # leave a core to the window
        self.panel = TrainPanel()
        self.loss_plot = LossPlot()
        self.results = ResultsView(self._describe)
        self.results.point_clicked.connect(self._point_clicked)
        self.metrics = MetricsTable()
        self.history = RunHistory()
        self.history.config_requested.connect(self._load_run_settings)
        self.history.model_requested.connect(self._use_run_model)
        self._build()
        self._frame: pd.DataFrame | None = None
        self._roles: ColumnRoles | None = None
        self._source: Path | None = None
        self._run_frame: pd.DataFrame | None = None
        self._model: TrainedModel | None = None
        self._latest: EpochReport | None = None
        self.tips = CompoundTips()
        self._runs = 0
        self._autosave: AutosaveSlot | None = None  # the latest run's copy on disk, while it is needed
        self._autosaved_model: TrainedModel | None = None  # the model that copy holds
        self._interrupted = False
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw.timeout.connect(self._draw_latest)
        # searching settings and learning curves run around the panel's run, one job at a time
        self.search = TuneView(self.panel, self.table_context, lambda: self._busy_reason("search"))
        self.curve = LearningCurveView(self.panel, self.table_context, lambda: self._busy_reason("curve"))
        self.tabs.addTab(self.search, "Search settings")
        self.tabs.addTab(self.curve, "Learning curve")
        for side in (self.search, self.curve):
            side.busy_changed.connect(lambda _busy: self.update_buttons())
            side.status_message.connect(self.status_message)
        self.update_buttons()

    def _build(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._settings = scroll
        self._fit_settings_width()
        self.panel.installEventFilter(self)  # a wider row (a long column name) widens the column
        right = QWidget()
        box = QVBoxLayout(right)
        box.setContentsMargins(6, 0, 0, 0)
        controls = QHBoxLayout()
        self.train_button = QPushButton("▶  Train")
        self.train_button.setToolTip("Train a network with these settings on the open table.")
        self.train_button.clicked.connect(self.train)
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setToolTip("Stop now and keep the best model so far.")
        self.stop_button.clicked.connect(self.stop)
        self.predict_button = QPushButton("Predict table")
        self.predict_button.setToolTip("Add the current model's predictions to the open table.")
        self.predict_button.clicked.connect(self._predict_clicked)
        for b in (self.train_button, self.stop_button):
            controls.addWidget(b)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.predict_button)
        box.addLayout(controls)
        box.addWidget(self.banner)
        self.tabs = QTabWidget()
        live = QWidget()
        grid = QVBoxLayout(live)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.results)
        plots.setSizes([1, 1])
        grid.addWidget(plots, 1)
        grid.addWidget(self.metrics)
        self.tabs.addTab(live, "Live training")
        self.tabs.addTab(self.history, "Run history")
        box.addWidget(self.tabs, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([scroll.minimumWidth(), 900])
        self.splitter = split
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

    def _fit_settings_width(self) -> None:
        """Keep the settings column as wide as its widest row: nothing is cut off at its right edge."""
        scroll = self._settings
        width = (self.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                 + 2 * scroll.frameWidth())
        if width != scroll.minimumWidth():
            scroll.setMinimumWidth(width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.panel and event.type() == QEvent.Type.LayoutRequest:
            self._fit_settings_width()
        return super().eventFilter(watched, event)

    # ---- public API ---------------------------------------------------------------
    @property
    def model(self) -> TrainedModel | None:
        """The current model: the last run's, one opened from a file, or one picked in the history."""
        return self._model

    def set_table(self, frame: pd.DataFrame, roles: ColumnRoles, source: Path | None = None) -> None:
        """Train on ``frame`` from now on (a running training keeps its own table)."""
        self._frame, self._roles, self._source = frame, roles, source
        self.panel.set_table(frame, roles)
        self.update_buttons()

    def table_context(self) -> tuple[pd.DataFrame | None, Path | None]:
        """The open table and its file (None for an example), as the search views read them."""
        return self._frame, self._source

    def _busy_reason(self, wanted: str) -> str:
        """Why job ``wanted`` ("train", "search", "curve") cannot start now; "" if it can."""
        running = [(wanted != "train" and self.is_running(), "training or prediction"),
                   (wanted != "search" and self.search.is_running(), "search of settings"),
                   (wanted != "curve" and self.curve.is_running(), "learning curve")]
        for busy, what in running:
            if busy:
                return f"Wait until the {what} has finished (or stop it): one job runs at a time."
        return ""

    def is_training(self) -> bool:
        return self.running_job() == "train"

    def is_busy(self) -> bool:
        """Whether a training or a prediction is running in the background."""
        return self.is_running()

    def train(self) -> bool:
        """Start training with the panel's settings; returns whether it started."""
        if not self.may_start():
            return False
        if self._frame is None:
            self.show_error("Open a table first: drop a compound file on the window or use File ▸ Open.")
            return False
        try:
            config = self.panel.config()
        except MolStudioError as exc:
            self.show_error(str(exc))
            return False
        self.panel.remember()
        self.banner.hide()
        self._run_frame, self._latest = self._frame, None
        self.tips.set_run(self._frame, config)
        self.loss_plot.reset("Loss (cross-entropy)" if config.task == "classification" else "Loss (MSE, scaled)")
        self.results.start(config.task, list(config.targets))
        self.metrics.set_task(config.task)
        self.tabs.setCurrentIndex(0)
        frame = self._frame
        saver = self._new_autosave()
        self.run_job("train", lambda cancel: train(config, frame, cancel, autosave=saver), self._on_report,
                     self._on_failed, f"Training {config.model} on {len(frame):,} rows…")
        return True

    def job_stopping(self) -> None:
        """Stop: training keeps its best model so far."""
        self.stop_button.setEnabled(False)
        self.stop_button.setText("Stopping…")

    def begin_close(self) -> None:
        """The view is about to close: a training running now counts as interrupted, and its
        autosave is kept for the next start (a Stop pressed by the user is a clean end)."""
        self._interrupted = self._interrupted or self.is_training()

    def shutdown(self, msecs: int = 30000) -> None:
        """Cancel any background job and wait for it (the window is closing)."""
        self.begin_close()
        self._redraw.stop()
        self.search.shutdown(msecs)
        self.curve.shutdown(msecs)
        self.panel.shutdown()
        super().shutdown(msecs)
        if self._autosave is not None:
            if self._interrupted:
                self._autosave.release()
            else:
                self._autosave.discard()
            self._autosave, self._autosaved_model = None, None

    def save_model(self, path: str | Path) -> bool:
        """Write the current model to a ``.molstudio`` file (raises MolStudioError if it cannot)."""
        model = self._model
        if model is None:
            raise MolStudioError("There is no model to save yet: train one first, or open one.")
        written = _file_call(lambda: bundle.save_model(model, Path(path)), f"save the model to {path}")
        if self._model is self._autosaved_model:
            self._discard_autosave()  # the user's own file keeps it now
        self._say(f"Saved the model to {Path(written).name}.")
        return True

    def open_model(self, path: str | Path) -> bool:
        """Load a ``.molstudio`` model: its settings go to the panel, its metrics to the table.

        Raises MolStudioError (the reason in a chemist's words) if the file cannot be used.
        """
        model = _file_call(lambda: bundle.load_model(Path(path)), f"open the model {path}")
        self._use_model(model, f"Opened model {Path(path).name}")
        self._say(f"Opened the model {Path(path).name} ({model.config.model}, predicts "
                  f"{', '.join(model.targets)}).")
        return True

    def recover_model(self, slot: AutosaveSlot, epoch: Any = "?") -> bool:
        """Make the autosaved model of an interrupted run the current model (the window's Recover).

        The view holds the autosave from now on, as its own run's: saving the model deletes
        it. Raises MolStudioError if the file cannot be used.
        """
        model = _file_call(lambda: bundle.load_model(slot.path), f"open the recovered model {slot.path}")
        self._discard_autosave()
        self._autosave, self._autosaved_model = slot, model
        self._use_model(model, f"Recovered model (epoch {epoch})")
        self._say(f"Recovered the {model.config.model} model of the interrupted run (epoch {epoch}); "
                  "save it with Model ▸ Save Model… to keep it.")
        return True

    def _use_model(self, model: TrainedModel, title: str) -> None:
        self._model = model
        try:
            self.panel.set_config(model.config)
        except MolStudioError:
            pass  # an architecture this version lacks: the model still predicts
        self._show_model_metrics(model, title)

    def export_run_config(self, path: str | Path) -> bool:
        """Write the panel's settings as the TOML file ``molstudio-cli train --config`` reads."""
        config = self.panel.config()
        _file_call(lambda: save_config(config, Path(path)), f"write the run configuration {path}")
        self._say(f"Saved the run configuration to {Path(path).name}.")
        return True

    def import_run_config(self, path: str | Path) -> bool:
        """Read a run configuration (TOML) into the panel (raises MolStudioError if unreadable)."""
        config = _file_call(lambda: load_config(Path(path)), f"read the run configuration {path}")
        self.panel.set_config(config)
        self._say(f"Loaded the run configuration {Path(path).name}.")
        return True

    def predict_table(self, mc_dropout: bool = False) -> bool:
        """Predict every row of the open table in the background; emits :attr:`predictions_ready`.

        ``mc_dropout``: a single network's spread over MC-dropout passes as its uncertainty.
        Raises MolStudioError when there is no model or table, or another job is running.
        """
        if self.is_running():
            raise MolStudioError("Wait until the current job has finished (or stop it) before predicting.")
        if self._model is None or self._frame is None:
            raise MolStudioError("Predicting needs a model (train or open one) and an open table.")
        model, frame = self._model, self._frame
        columns = model.output_columns(mc_dropout)  # refuses MC-dropout for a network without dropout
        self.run_job("predict", lambda cancel: core_predict_table(model, frame, mc_dropout=mc_dropout)[columns],
                     self._on_report, self._on_failed, f"Predicting {len(frame):,} rows…")
        return True

    # ---- background job -----------------------------------------------------------
    def job_started(self) -> None:
        pause_full_collections(True)

    def job_ended(self) -> None:
        pause_full_collections(False)
        self.stop_button.setText("■  Stop")

    def _on_report(self, report: Any) -> None:
        if isinstance(report, StageReport):
            self.progress.stage(report)
        elif isinstance(report, EstimateReport):
            self.progress.estimate(report)
            self._say(f"Estimated time of this run: {report.text()}.")
        elif isinstance(report, EpochReport):
            self.loss_plot.add(report.epoch, report.train_loss, report.val_loss, report.best_epoch, report.member)
            self.progress.epoch(report)
            self._latest = report
            if not self._redraw.isActive():
                self._redraw.start()
        elif isinstance(report, FinishedReport):
            self._finished(report)
        elif isinstance(report, pd.DataFrame):
            self._predicted(report)

    def _draw_latest(self) -> None:
        self.loss_plot.refresh()
        r = self._latest
        if r is None:
            return
        self.results.show_set("Validation", r.val_rows, r.val_true, r.val_pred, r.val_metrics,
                              f" · epoch {r.epoch}")
        self.metrics.set_metrics("val", r.val_metrics)

    def _finished(self, final: FinishedReport) -> None:
        self._redraw.stop()
        self._draw_latest()
        if final.model is None:
            self._discard_autosave()
            self.progress.finish("Stopped before the first epoch ended: no model")
            self._say("Training stopped before the first epoch ended; no model was made.")
            return
        self._model = self._autosaved_model = final.model
        self.results.classes = final.model.classes
        for which in ("train", "val", "test"):
            self.metrics.set_metrics(which, final.metrics.get(which, {}))
        if len(final.test_rows):
            self.results.show_set("Test", final.test_rows, final.test_true, final.test_pred,
                                  final.metrics.get("test", {}), f" · best epoch {final.best_epoch}",
                                  final.test_spread, len(final.model.networks))
        ended = ENDED.get(final.stopped, final.stopped)
        took = clock(final.seconds.get("total", 0))
        text = f"{ended} after {final.epochs_run} epochs · kept the model of epoch {final.best_epoch} · {took}"
        self.progress.finish(f"{ended} after {final.epochs_run} epochs · best epoch {final.best_epoch} · {took}")
        self._runs += 1
        self.history.add(RunRecord(
            number=self._runs, config=final.model.config, task=final.model.task, metrics=final.metrics,
            history=list(final.history), best_epoch=final.best_epoch, epochs_run=final.epochs_run,
            stopped=final.stopped, seconds=final.seconds.get("total", 0.0), model=final.model))
        notes = list(final.warnings)  # rows left out are one of them, said once (by core)
        if notes:
            self.banner.show_message("Worth knowing about this run:\n" + "\n".join(notes), "warning")
        self._say(f"{text}. Save it with Model ▸ Save Model… to keep it.")

    def _predicted(self, predictions: pd.DataFrame) -> None:
        from molstudio.core.trained.model import ERROR_COLUMN

        flagged = int((predictions[ERROR_COLUMN] != "").sum()) if ERROR_COLUMN in predictions else 0
        self.progress.finish(f"Predicted {len(predictions):,} rows")
        note = f"; {flagged:,} could not be read and are flagged" if flagged else ""
        self._say(f"Predicted {len(predictions):,} rows{note}.")
        self.predictions_ready.emit(predictions)

    def _on_failed(self, message: str) -> None:
        self._redraw.stop()
        self._draw_latest()
        what = "Training" if self.running_job() == "train" else "Prediction"
        self.progress.finish(f"{what} failed")
        if self.running_job() == "train":
            message += self._keep_best_so_far()
        self.show_error(message)

    # ---- autosave -----------------------------------------------------------------
    def _new_autosave(self) -> Autosaver | None:
        """A fresh autosave for the run starting now; the previous run's copy is no longer needed."""
        self._discard_autosave()
        self._interrupted = False
        try:
            self._autosave = AutosaveSlot.create()
        except OSError:
            self._say("The best model so far cannot be autosaved: the application's data folder is not writable.")
            return None
        started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        return self._autosave.saver({"source": str(self._source or ""), "started": started})

    def _discard_autosave(self) -> None:
        if self._autosave is not None:
            self._autosave.discard()
        self._autosave, self._autosaved_model = None, None

    def _keep_best_so_far(self) -> str:
        """After a failed run: its autosaved best model becomes the current model; what to tell the user."""
        found = self._autosave.read() if self._autosave is not None else None
        if found is None:
            self._discard_autosave()
            return ""
        try:
            model = bundle.load_model(found.path)
        except MolStudioError:
            self._discard_autosave()
            return ""
        self._model = self._autosaved_model = model  # the curves of the run stay in view
        self.update_buttons()
        return (f"\n\nThe best model so far (epoch {found.info.get('best_epoch', '?')}) is kept as the current "
                "model: save it with Model ▸ Save Model….")

    # ---- helpers ------------------------------------------------------------------
    def update_buttons(self) -> None:
        busy = self.is_running()
        side_busy = self.search.is_running() or self.curve.is_running()
        self.train_button.setEnabled(not busy and not side_busy and self._frame is not None)
        self.stop_button.setEnabled(busy)
        self.predict_button.setEnabled(not busy and self._model is not None and self._frame is not None)
        self.panel.setEnabled(not busy)
        self.panel.estimate_hint.set_paused(busy or side_busy)
        self.search.update_buttons()
        self.curve.update_buttons()

    def _say(self, message: str) -> None:
        self.status_message.emit(message)

    def _show_model_metrics(self, model: TrainedModel, title: str) -> None:
        self.loss_plot.reset()
        self.results.start(model.task, model.targets)
        self.results.scatter.clear(f"{title}: no curves are stored in a model file")
        self.metrics.set_task(model.task)
        for which in ("train", "val", "test"):
            self.metrics.set_metrics(which, (model.metrics or {}).get(which, {}))
        self.progress.idle(title)
        self.update_buttons()

    def _predict_clicked(self) -> None:
        try:
            self.predict_table()
        except MolStudioError as exc:
            self.show_error(str(exc))

    def _load_run_settings(self, config: RunConfig) -> None:
        self.panel.set_config(config)
        self._say("The run's settings are back in the panel.")

    def _use_run_model(self, model: TrainedModel) -> None:
        self._model = model
        self.update_buttons()
        self._say(f"The current model is now the {model.config.model} of that run.")

    def _point_clicked(self, row: int) -> None:
        if self._run_frame is not None and self._run_frame is self._frame:
            self.compound_selected.emit(int(row))

    def _describe(self, row: int, measured: float, predicted: float, spread: float | None = None) -> str:
        """Hover text of a plotted compound: its id, its structure, both values (and an ensemble's ±)."""
        return self.tips.describe(row, measured, predicted, self.results.task, spread)
