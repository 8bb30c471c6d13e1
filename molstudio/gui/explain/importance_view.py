"""Model ▸ Feature Importance…: which descriptors or fingerprint bits a model relies on.

:func:`open_importance` opens an :class:`ImportanceWindow` (non-modal) for the current tab's
model. It runs :func:`molstudio.core.explain.importance.permutation_importance_steps` on the
tab's compounds with a measured target, in the window's JobRunner (progress, Stop), and draws
the 20 most important features as horizontal bars with their spread over the shuffles. With
the optional ``shap`` package, "SHAP values" shows the mean |SHAP| per feature instead.
"Export CSV…" writes the whole table. A model that reads the structures themselves (graphs,
SMILES) has no features to rank: the user is pointed to the atom contributions.
"""

from __future__ import annotations

import html
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from molstudio.core.explain import importance as feature_importance
from molstudio.core.explain.importance import FeatureImportance, ShapValues
from molstudio.core.inputs.vector import VectorInputs
from molstudio.core.tables import reading as io
from molstudio.core.training.reports import StageReport
from molstudio.gui.common.dialogs import AppWindow, save_dialog
from molstudio.gui.common.jobs import JobRunner
from molstudio.gui.common.plots import FOREGROUND, TRAIN_COLOUR, make_plot

if TYPE_CHECKING:
    from molstudio.core.trained.model import TrainedModel

TOP = 20
LABEL_CHARS = 60  # a longer feature name (a bit's example substructure) is cut with "…"
SHAP_INSTALL = 'pip install "molstudio[explain]"'
CSV_FILTERS = {"CSV (*.csv)": (".csv", False)}


def shap_available() -> bool:
    """Whether the optional ``shap`` package can be imported (without importing it: it is slow)."""
    return importlib.util.find_spec("shap") is not None


def open_importance(window: AppWindow, title: str, source: Path | None, frame: pd.DataFrame,
                    model: TrainedModel) -> ImportanceWindow | None:
    """Model ▸ Feature Importance…: the window for the model of the table ``title`` (read from
    ``source``, None for an example), or a message why it has no features to rank."""
    if not isinstance(model.inputs, VectorInputs):
        window.show_error(
            "No features to rank",
            f"This {model.config.model} model reads the structures themselves (as molecular graphs or SMILES), "
            "not descriptors or fingerprints, so there are no features whose importance could be measured.\n\n"
            "To see what drives its predictions, select a compound and switch on “Atom contributions” above "
            "its picture: atoms that raise the prediction are coloured red, atoms that lower it blue.")
        return None
    view = ImportanceWindow(window, title, source, frame, model)
    view.show()
    return view


class ImportanceWindow(QDialog):
    """Permutation importance (and optionally SHAP values) of one model on one table."""

    def __init__(self, window: AppWindow, title: str, source: Path | None, frame: pd.DataFrame,
                 model: TrainedModel) -> None:
        super().__init__(window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(False)
        self.setWindowTitle(f"Feature importance: {model.config.model} model on {title}")
        self.resize(760, 640)
        self._window, self._title, self._source, self._model = window, title, source, model
        self._frame = frame  # copy-on-write: later edits of the tab do not reach this
        # the window's runner: closing the main window stops and waits for this job too
        self._jobs: JobRunner = window.jobs
        self._job = f"importance-{id(self)}"
        self._repeats = 5
        # shadows QDialog.result(), which nothing calls on this modeless window (tests read .result)
        self.result: FeatureImportance | None = None  # type: ignore[assignment]
        self.shap: ShapValues | None = None
        self._examples: dict[str, str] = {}  # fingerprint bit -> substructure, from the last permutation run
        self._build()
        self.start()

    # --- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.target = QComboBox()
        self.target.addItems(self._model.targets)
        self.target.setToolTip("The target whose predictions are measured")
        self.repeats = QSpinBox()
        self.repeats.setRange(1, 50)
        self.repeats.setValue(5)
        self.repeats.setToolTip("How many times each feature is shuffled; the bars show the mean, the whiskers "
                                "the spread (standard deviation) over the shuffles.")
        self.run_button = QPushButton("Measure again")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        controls = QHBoxLayout()
        target_label = QLabel("Target:")
        controls.addWidget(target_label)
        controls.addWidget(self.target)
        for widget in (target_label, self.target):
            widget.setVisible(len(self._model.targets) > 1)
        controls.addWidget(QLabel("Shuffles per feature:"))
        controls.addWidget(self.repeats)
        controls.addWidget(self.run_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)
        self.permutation_choice = QRadioButton("Permutation importance")
        self.permutation_choice.setChecked(True)
        self.shap_choice = QRadioButton("SHAP values (mean |SHAP| per feature)")
        choices = QButtonGroup(self)
        choices.addButton(self.permutation_choice)
        choices.addButton(self.shap_choice)
        kind = QHBoxLayout()
        kind.addWidget(self.permutation_choice)
        kind.addWidget(self.shap_choice)
        if shap_available():
            self.shap_note = QLabel("")
        else:  # one method only: no choice to show, but how to get the other
            self.permutation_choice.hide()
            self.shap_choice.hide()
            self.shap_note = QLabel(f"SHAP values need the optional shap package: <code>{SHAP_INSTALL}</code>")
            self.shap_note.setToolTip(f"Install it with {SHAP_INSTALL} (or pip install shap), then open this "
                                      "window again.")
            self.shap_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shap_note.setStyleSheet("color: #606060;")
        kind.addWidget(self.shap_note)
        kind.addStretch(1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot = make_plot("", "")
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=False, alpha=0.15)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brush=TRAIN_COLOUR, pen=pg.mkPen(None))
        self.whiskers = pg.ErrorBarItem(x=np.array([]), y=np.array([]), beam=0.25,
                                        pen=pg.mkPen(FOREGROUND, width=1.2))
        item.addItem(self.bars)
        item.addItem(self.whiskers)
        item.addLine(x=0, pen=pg.mkPen(FOREGROUND, width=1))
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save every feature's importance (not only the 20 shown) as a table")
        self.export_button.setEnabled(False)
        close = QPushButton("Close")
        bottom = QHBoxLayout()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #606060;")
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(kind)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot, 1)
        layout.addLayout(bottom)
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.target.currentIndexChanged.connect(lambda _i: self.start())
        self.shap_choice.toggled.connect(lambda _on: self.start())
        self.export_button.clicked.connect(self.export_dialog)
        close.clicked.connect(self.close)

    # --- the background work --------------------------------------------------------------
    def start(self) -> None:
        """Measure (again) with the chosen target, method and number of shuffles."""
        self._jobs.cancel(self._job)
        model, frame, target = self._model, self._frame, self.target.currentText()
        self.result, self.shap = None, None
        self._draw([], [], None)
        self.export_button.setEnabled(False)
        if self.shap_choice.isChecked():
            self.summary.setText("Computing SHAP values…")

            def job(cancel: threading.Event) -> Iterator[Any]:
                yield StageReport("Computing SHAP values")
                yield feature_importance.shap_values(model, frame, target)
        else:
            repeats = self._repeats = self.repeats.value()
            self.summary.setText("Shuffling each feature between the compounds…")

            def job(cancel: threading.Event) -> Iterator[Any]:
                return feature_importance.permutation_importance_steps(model, frame, target, repeats, 0, cancel)

        self.progress.setRange(0, 0)
        self.progress.setFormat("Starting…")
        self._running(True)
        self._jobs.start(self._job, job, self._on_report, self._on_failed, self._on_finished)

    def stop(self) -> None:
        self._jobs.cancel(self._job)
        self._running(False)
        if self.result is None and self.shap is None:
            self.summary.setText("Stopped before every feature was measured. Press “Measure again” to start over.")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress.setFormat("Stopped")

    def _running(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.run_button.setEnabled(not running)
        self.repeats.setEnabled(not running and not self.shap_choice.isChecked())

    def _on_report(self, report: Any) -> None:
        if isinstance(report, StageReport):
            self.progress.setRange(0, max(report.total, 0))
            self.progress.setValue(report.done)
            self.progress.setFormat(f"{report.stage}: {report.done:,} of {report.total:,} features"
                                    if report.total else f"{report.stage}…")
        elif isinstance(report, FeatureImportance):
            self.result = report
            self._examples = dict(zip(report.table["feature"], report.table["example"]))
            self._show_permutation(report)
        elif isinstance(report, ShapValues):
            self.shap = report
            self._show_shap(report)

    def _on_failed(self, message: str) -> None:
        self._running(False)
        self.progress.setRange(0, 1)
        self.progress.setFormat("Failed")
        self.summary.setText(f"<span style='color:#a4262c'>{html.escape(message)}</span>")

    def _on_finished(self) -> None:
        self._running(False)
        if self.result is not None or self.shap is not None:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.setFormat("Done")

    # --- showing ----------------------------------------------------------------------------
    def _show_permutation(self, result: FeatureImportance) -> None:
        table = result.table
        top = table.head(TOP)
        labels = [_label(name, example) for name, example in zip(top["feature"], top["example"])]
        self._draw(labels, top["importance_mean"].to_numpy(), top["importance_std"].to_numpy())
        classification = self._model.task == "classification"
        metric, change = ("ROC AUC", "falls") if classification else ("RMSE", "rises")
        what = self._what()
        self.plot.getPlotItem().setLabel("bottom", f"{'Fall in ROC AUC' if classification else 'Rise in RMSE'} "
                                         f"of {result.target} when the {what} is shuffled", color=FOREGROUND)
        first = top.iloc[0] if len(top) else None
        lead = (f" The model relies most on <b>{html.escape(str(first['feature']))}</b>: its {metric} {change} by "
                f"{first['importance_mean']:.3g} when this {what}'s values are shuffled." if first is not None else "")
        self.summary.setText(
            f"{metric} of {html.escape(result.target)} on the {result.compounds:,} compounds of "
            f"{html.escape(self._title)} with a measured value: <b>{result.baseline:.3g}</b>. Each bar: how much "
            f"the {metric} {change} when that {what}'s values are shuffled between the compounds (mean of "
            f"{self._repeats} shuffles; the whiskers show their spread). The longer the bar, the more "
            f"the model relies on the {what}; a bar near zero means the model does without it.{lead}")
        shown = min(TOP, len(table))
        self.note.setText(f"The {shown} most important of {len(table):,} features. Measured on every compound of "
                          "the table, training compounds included: it shows what the model uses, not how well "
                          "it generalises.")
        self.export_button.setEnabled(True)

    def _show_shap(self, result: ShapValues) -> None:
        means = result.values.abs().mean().sort_values(ascending=False, kind="stable")
        top = means.head(TOP)
        self._draw([_label(name, self._examples.get(name, "")) for name in top.index], top.to_numpy(), None)
        self.plot.getPlotItem().setLabel("bottom", f"Mean |SHAP value| ({result.units})", color=FOREGROUND)
        self.summary.setText(
            f"SHAP values of {len(result.values):,} compounds of {html.escape(self._title)}: how far each "
            f"{self._what()} moves each compound's prediction away from the average prediction "
            f"({result.base_value:.3g}, {html.escape(result.units)}). Each bar: the mean size of that move.")
        self.note.setText(f"The {len(top)} features with the largest mean |SHAP| of {len(means):,}.")
        self.export_button.setEnabled(True)

    def _what(self) -> str:
        names = [type(f).__name__.lower() for f in self._model.inputs.pipeline.featurizers]
        return "fingerprint bit" if names and all("morgan" in n for n in names) else "descriptor"

    def _draw(self, labels: list[str], values: Any, spread: Any) -> None:
        n = len(labels)
        y = np.arange(n)[::-1].astype(float)  # the most important at the top
        values = np.asarray(values, dtype=float)
        self.bars.setOpts(x0=np.zeros(n), y=y, width=values, height=0.6)
        if spread is not None and n:
            self.whiskers.setData(x=values, y=y, left=np.asarray(spread, float), right=np.asarray(spread, float))
            self.whiskers.show()
        else:
            self.whiskers.hide()
        axis = self.plot.getPlotItem().getAxis("left")
        axis.setTicks([list(zip(y.tolist(), labels)), []])
        metrics = QFontMetrics(axis.font() if hasattr(axis, "font") else self.font())
        widest = max((metrics.horizontalAdvance(text) for text in labels), default=40)
        axis.setWidth(widest + 16)  # every name in full: pyqtgraph would clip them
        self.labels = labels
        if n:
            low = min(0.0, float(np.min(values - (spread if spread is not None else 0))))
            high = max(float(np.max(values + (spread if spread is not None else 0))), 1e-9)
            self.plot.getPlotItem().setRange(xRange=(low, high * 1.05), yRange=(-0.6, n - 0.4), padding=0)

    # --- export and closing -------------------------------------------------------------------
    def export_dialog(self) -> None:
        if self.result is None and self.shap is None:
            return
        if self.shap is not None:
            table = self.shap.values.abs().mean().sort_values(ascending=False, kind="stable")
            frame = table.rename_axis("feature").reset_index(name="mean_abs_shap")
            suffix = "shap"
        else:
            assert self.result is not None  # one of the two, checked above
            frame, suffix = self.result.table, "importance"
        folder = self._source.parent if self._source is not None else Path.home()
        stem = self._source.stem if self._source is not None else "table"
        save_dialog(self._window, "Export feature importance", folder / f"{stem}_{suffix}.csv",
                                  CSV_FILTERS, lambda target: io.write_table(frame, target.path, forbid=self._source),
                                  "Could not export the feature importance", "Feature importance written to {path}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._jobs.cancel(self._job)  # its late reports are dropped; the thread ends by itself
        super().closeEvent(event)


def _label(name: str, example: str) -> str:
    """A feature's name on the axis; a fingerprint bit with the substructure that sets it."""
    text = f"{name}, e.g. {example}" if example else str(name)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"
