"""Learning curve: would more measurements help?

Runs :func:`molstudio.core.search.curves.learning_curve` on the training panel's run in
the one background mechanism (:class:`~molstudio.gui.common.jobs.JobRunner`): the model is
trained on growing parts of the training set and measured on the same validation
compounds. The plot shows the validation score (mean ± spread over repeats) against the
number of training compounds, the training score for comparison, and the fitted curve;
under it the engine's plain-words reading. "Export CSV…" saves the points.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.errors import MolStudioError
from molstudio.core.search.curves import (
    DEFAULT_FRACTIONS,
    CurvePoint,
    LearningCurve,
    learning_curve,
)
from molstudio.core.search.tuning import objective_metric
from molstudio.core.training.reports import StageReport
from molstudio.gui.common.job_view import JobView
from molstudio.gui.common.plots import (
    BEST_COLOUR,
    FOREGROUND,
    TRAIN_COLOUR,
    VAL_COLOUR,
    corner_text,
    header,
    key_text,
    make_plot,
)
from molstudio.gui.common.run_status import METRIC_NAMES

CURVE_HINT = ("Press <b>▶ Learning curve</b>: the model of the training panel is trained on growing parts of "
              "the training set, and each is scored on the same validation compounds.")
EXPORT_FILTER = "CSV table (*.csv);;Tab-separated table (*.tsv);;Excel workbook (*.xlsx)"


def parse_fractions(text: str) -> list[float]:
    """``"0.1, 0.25, 50%, 1"`` -> fractions; raises MolStudioError in words."""
    out = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(float(part[:-1]) / 100 if part.endswith("%") else float(part))
        except ValueError:
            raise MolStudioError(f"'{part}' is not a share of the training set.",
                                 hint="Write numbers above 0 and at most 1 (or percentages), e.g. 0.1, 0.25, 0.5, 1.")\
                from None
    return out


class LearningCurveView(JobView):
    """The learning curve of the training panel's run; see the module docstring."""

    def __init__(self, panel: Any, table: Callable[[], tuple[pd.DataFrame | None, Path | None]],
                 others_busy: Callable[[], str] = lambda: "", parent: QWidget | None = None) -> None:
        super().__init__(others_busy, parent)
        self.panel = panel
        self._table = table
        self.curve: LearningCurve | None = None
        self.points: list[CurvePoint] = []
        self._metric = ("rmse", "RMSE", False)
        self._source: Path | None = None
        self._build()
        self.update_buttons()

    def _build(self) -> None:
        self.start_button = QPushButton("▶  Learning curve")
        self.start_button.setToolTip("Train the training panel's model on growing parts of the training set.")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setToolTip("Stop after the current epoch; the finished points are kept.")
        self.stop_button.clicked.connect(self.stop)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the points (one row per trained model) as a table.")
        self.export_button.clicked.connect(self._export_clicked)
        self.progress.setMinimumWidth(160)
        self.fractions = QLineEdit(", ".join(f"{f:g}" for f in DEFAULT_FRACTIONS))
        self.fractions.setToolTip("Shares of the training set to train on, e.g. 0.1, 0.25, 0.5, 1 "
                                  "(1 = the whole training set). Each share holds the smaller ones.")
        self.fractions.setMinimumWidth(160)
        self.repeats = QSpinBox()
        self.repeats.setRange(1, 20)
        self.repeats.setToolTip("Models per share, each with its own draw of compounds: the spread between them "
                                "shows how much a point can be trusted.")
        controls = QHBoxLayout()
        controls.addWidget(self.start_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.export_button)
        choices = QHBoxLayout()
        choices.addWidget(QLabel("Shares of the training set:"))
        choices.addWidget(self.fractions)
        choices.addSpacing(12)
        choices.addWidget(QLabel("Repeats:"))
        choices.addWidget(self.repeats)
        choices.addStretch(1)
        self.title = header("Validation score against training-set size")
        self.key = QLabel()
        self.key.setStyleSheet(f"color: {FOREGROUND};")
        self.plot = make_plot("Compounds in the training set", "Validation RMSE")
        item = self.plot.getPlotItem()
        self.spread = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0), beam=0,
                                      pen=pg.mkPen(213, 94, 0, 110, width=2))  # the validation colour, fainter
        item.addItem(self.spread)
        self.train_line = item.plot([], [], pen=pg.mkPen(TRAIN_COLOUR, width=1.5, style=Qt.PenStyle.DotLine),
                                    symbol="o", symbolSize=6, symbolBrush=pg.mkBrush(TRAIN_COLOUR), symbolPen=None)
        self.fit_line = item.plot([], [], pen=pg.mkPen(BEST_COLOUR, width=2, style=Qt.PenStyle.DashLine))
        self.val_line = item.plot([], [], pen=pg.mkPen(VAL_COLOUR, width=2), symbol="o", symbolSize=9,
                                  symbolBrush=pg.mkBrush(VAL_COLOUR), symbolPen=pg.mkPen("w"))
        self.hint = corner_text(self.plot)
        self.hint.setHtml(CURVE_HINT)
        self.reading = QLabel()
        self.reading.setWordWrap(True)
        self.reading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reading.setStyleSheet("QLabel { background: #f4f8fb; border: 1px solid #c9d6e2; border-radius: 4px;"
                                   " padding: 8px; color: #1d2b36; }")
        self.reading.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(choices)
        layout.addWidget(self.banner)
        layout.addWidget(self.title)
        layout.addWidget(self.key)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.reading)
        self._set_metric("regression")

    def _set_metric(self, task: str, targets: list[str] | None = None) -> None:
        metric, direction = objective_metric(task)
        label = METRIC_NAMES.get(metric, metric)
        self._metric = (metric, label, direction == "maximize")
        better = "higher" if direction == "maximize" else "lower"
        # an RMSE is in the target's own units: name the target
        of = f" of {', '.join(targets)}" if targets and task != "classification" else ""
        self.plot.getPlotItem().setLabel("left", f"{label}{of} ({better} is better)", color=FOREGROUND)
        self.key.setText(key_text([(f"validation {label} (mean ± spread over repeats)", VAL_COLOUR, "●"),
                                   (f"training {label}", TRAIN_COLOUR, "···"),
                                   ("fitted curve", BEST_COLOUR, "- -")]))

    # ---- running --------------------------------------------------------------------
    def start(self) -> bool:
        """Start the learning curve of the panel's run; whether it started."""
        if not self.may_start():
            return False
        frame, source = self._table()
        try:
            if frame is None:
                raise MolStudioError("Open a table first: drop a compound file on the window or use File ▸ Open.")
            config = self.panel.config()
            fractions = parse_fractions(self.fractions.text())
        except MolStudioError as exc:
            self.show_error(str(exc))
            return False
        repeats = self.repeats.value()
        self._source = source
        self.curve, self.points = None, []
        self.banner.hide()
        self.reading.hide()
        self._set_metric(config.task, list(config.targets))
        self._draw()
        self.run_job("curve", lambda cancel: learning_curve(config, frame, fractions, repeats, cancel),
                     self._on_report, self._on_failed, f"Learning curve of {config.model} on {len(frame):,} rows…")
        return True

    def job_stopping(self) -> None:
        self.stop_button.setEnabled(False)  # the curve still arrives, with the points finished so far

    def _on_report(self, report: Any) -> None:
        if isinstance(report, StageReport):
            self.progress.stage(report)
        elif isinstance(report, CurvePoint):
            self.points.append(report)
            self._draw()
        elif isinstance(report, LearningCurve):
            self.curve = report
            self.points = list(report.points)
            self._draw()
            self.progress.finish(f"{'Stopped' if report.stopped == 'cancelled' else 'Finished'}: "
                                 f"{len(report.points)} of {report.runs_planned} models trained")
            notes = [*report.notes, *report.warnings]
            val = report.split_counts.get("val", 0)
            text = html.escape(report.reading)
            text += (f"<br><span style='color:#5a6a78'>Every point is scored on the same {val} validation "
                     "compounds.</span>")
            if notes:  # one line each at most: the plot keeps its room; every note is in the tooltip
                more = f" (and {len(notes) - 1} more note(s): hover here to read them)" if len(notes) > 1 else ""
                text += f"<br><span style='color:#5a6a78'>{html.escape(notes[0])}{more}</span>"
            self.reading.setToolTip("\n".join(notes))
            self.reading.setText(text)
            self.reading.show()
            self.status_message.emit(report.reading)

    def _on_failed(self, message: str) -> None:
        self.progress.finish("Learning curve failed")
        self.show_error(message)

    # ---- drawing and export -------------------------------------------------------------
    def _draw(self) -> None:
        metric, label, higher = self._metric
        shown = LearningCurve(metric, label, higher, self.points, "", "", 0, {},
                              fit=self.curve.fit if self.curve is not None else None)
        arrays = shown.arrays()
        n, val, std = arrays["n_train"].astype(float), arrays["val"], np.nan_to_num(arrays["val_std"])
        self.val_line.setData(n, val)
        self.train_line.setData(n, arrays["train"])
        has_spread = bool(n.size) and bool((std > 0).any())
        self.spread.setData(x=n if has_spread else np.zeros(0), y=val if has_spread else np.zeros(0),
                            height=2 * std if has_spread else np.zeros(0))
        if "fit_n" in arrays:
            self.fit_line.setData(arrays["fit_n"], arrays["fit_val"])
        else:
            self.fit_line.setData([], [])
        self.hint.setVisible(not n.size)

    def point_count(self) -> int:
        """Training-set sizes drawn."""
        x, _ = self.val_line.getData()
        return 0 if x is None else len(x)

    def export_csv(self, path: str | Path) -> bool:
        """Save the curve's points (CSV, or TSV / XLSX by the extension); raises MolStudioError."""
        if self.curve is None or not self.curve.points:
            raise MolStudioError("There is no learning curve to export yet: run one first.")
        try:
            self.curve.write(path, forbid=self._source)
        except OSError as exc:
            raise MolStudioError(f"Could not write {path}: {exc.strerror or exc}.") from None
        self.status_message.emit(f"Saved the learning curve to {Path(path).name}.")
        return True

    def _export_clicked(self) -> None:
        start = str(self._source.with_name(f"{self._source.stem}-learning-curve.csv")) if self._source else ""
        path, _ = QFileDialog.getSaveFileName(self, "Export the learning curve", start, EXPORT_FILTER)
        if not path:
            return
        try:
            self.export_csv(path)
        except MolStudioError as exc:
            self.show_error(str(exc))

    def update_buttons(self) -> None:
        """Enable what can be done now (called again when the table or another job changes)."""
        running = self.is_running()
        frame, _ = self._table()
        self.start_button.setEnabled(not running and frame is not None)
        self.stop_button.setEnabled(running)
        self.export_button.setEnabled(not running and self.curve is not None and bool(self.curve.points))
        self.fractions.setEnabled(not running)
        self.repeats.setEnabled(not running)

