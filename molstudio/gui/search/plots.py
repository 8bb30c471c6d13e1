"""Plots of a hyperparameter search (pyqtgraph): the value of each trial with the best so
far, and how much each setting mattered (Optuna's parameter importances)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from molstudio.gui.common.plots import (
    BEST_COLOUR,
    FOREGROUND,
    TRAIN_COLOUR,
    corner_text,
    header,
    key_text,
    make_plot,
)

PRUNED_COLOUR = "#999999"
BEST_HINT = "Start a search: each trial's validation score is drawn here, with the best so far as a line."
IMPORTANCE_HINT = "How much each setting mattered is shown once {need} trials have run to the end ({done} so far)."


class BestSoFarPlot(QWidget):
    """One dot per trial (finished: blue, stopped early: grey) and a step line of the best so far."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = header("Trials and the best so far")
        layout.addWidget(self.title)
        self.key = QLabel(key_text([("finished trial", TRAIN_COLOUR, "●"), ("stopped early", PRUNED_COLOUR, "●"),
                                    ("best so far", BEST_COLOUR, "━")]))
        self.key.setStyleSheet(f"color: {FOREGROUND};")
        self.key.setWordWrap(True)
        layout.addWidget(self.key)
        self.plot = make_plot("Trial", "Validation score")
        self.plot.setMinimumSize(200, 180)
        layout.addWidget(self.plot, 1)
        item = self.plot.getPlotItem()
        self.best_line = item.plot([], [], pen=pg.mkPen(BEST_COLOUR, width=2), stepMode=None)
        self.done_dots = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w"), brush=pg.mkBrush(TRAIN_COLOUR))
        self.pruned_dots = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w"), brush=pg.mkBrush(PRUNED_COLOUR))
        item.addItem(self.pruned_dots)
        item.addItem(self.done_dots)
        self.hint = corner_text(self.plot)
        self.hint.setHtml(BEST_HINT)
        self.maximize = False

    def reset(self, metric_label: str, maximize: bool) -> None:
        """Empty the plot; the y axis reads e.g. "Validation RMSE (lower is better)"."""
        self.maximize = maximize
        better = "higher" if maximize else "lower"
        self.plot.getPlotItem().setLabel("left", f"Validation {metric_label} ({better} is better)",
                                         color=FOREGROUND)
        self.set_trials([], [], [])

    def set_trials(self, numbers: Sequence[int], values: Sequence[float | None], states: Sequence[str]) -> None:
        """Every trial so far: its number, its value (None if it has none) and its state."""
        x = np.asarray(numbers, dtype=float)
        y = np.asarray([np.nan if v is None else v for v in values], dtype=float)
        states_a = np.asarray(states, dtype=object)
        order = np.argsort(x, kind="stable")
        x, y, states_a = x[order], y[order], states_a[order]
        done = (states_a == "complete") & np.isfinite(y)
        pruned = (states_a == "pruned") & np.isfinite(y)
        self.done_dots.setData(x=x[done], y=y[done])
        self.pruned_dots.setData(x=x[pruned], y=y[pruned])
        steps_x, steps_y = self.best_steps(x[done], y[done])
        if steps_x.size and x.size and x[-1] > steps_x[-1]:  # flat to the last trial: nothing beat it since
            steps_x, steps_y = np.append(steps_x, x[-1]), np.append(steps_y, steps_y[-1])
        self.best_line.setData(steps_x, steps_y)
        self.hint.setVisible(not (done.any() or pruned.any()))
        # whole trial numbers only: a range of at least five trials keeps the ticks at integers
        last = float(x.max()) if x.size else 0.0
        self.plot.getPlotItem().setXRange(-0.5, max(last, 4.0) + 0.5, padding=0)

    def best_steps(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The best-so-far line as steps: flat until a trial beats it, then down (or up)."""
        if not x.size:
            return np.zeros(0), np.zeros(0)
        best = np.maximum.accumulate(y) if self.maximize else np.minimum.accumulate(y)
        sx = np.repeat(x, 2)[1:]
        sy = np.repeat(best, 2)[:-1]
        return sx, sy

    def best_curve(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.best_line.getData()
        return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x), np.asarray(y))

    def dot_count(self) -> int:
        return len(self.done_dots.data) + len(self.pruned_dots.data)


class ImportancePlot(QWidget):
    """Horizontal bars: the share of the score's variation each setting explains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = header("Which settings mattered")
        self.title.setToolTip("Optuna's parameter importance: the share of the variation of the validation score "
                              "that each setting explains over the finished trials. A rough guide with few trials.")
        layout.addWidget(self.title)
        self.plot = make_plot("", "")
        self.plot.setMinimumSize(200, 180)
        item = self.plot.getPlotItem()
        item.showGrid(x=False, y=False)
        item.hideAxis("bottom")  # each bar carries its share as text: no crowded tick labels in a narrow plot
        item.getViewBox().setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6, brush=pg.mkBrush(TRAIN_COLOUR), pen=None)
        item.addItem(self.bars)
        layout.addWidget(self.plot, 1)
        self.hint = corner_text(self.plot)
        self.set_waiting(0, 3)
        self.labels: list[str] = []
        self.values: list[float] = []

    def set_waiting(self, done: int, need: int) -> None:
        """The empty plot's note: how many finished trials it still waits for."""
        self.hint.setHtml(IMPORTANCE_HINT.format(done=done, need=need))

    def set_importances(self, importances: dict[str, float]) -> None:
        """``label -> importance``; the most important setting on top."""
        pairs = sorted(((k, float(v)) for k, v in importances.items() if math.isfinite(v)), key=lambda kv: kv[1])
        self.labels = [k for k, _ in pairs]
        self.values = [v for _, v in pairs]
        n = len(pairs)
        self.bars.setOpts(x0=np.zeros(n), y=np.arange(n, dtype=float), width=np.asarray(self.values),
                          height=0.6)
        axis = self.plot.getPlotItem().getAxis("left")
        # the share is written in the label: text beside a bar would be cut off in a narrow plot
        axis.setTicks([[(i, f"{label}  {value:.0%}") for i, (label, value) in enumerate(pairs)]])
        item = self.plot.getPlotItem()
        if n:
            item.setXRange(0, max(max(self.values), 0.05), padding=0.02)
            item.setYRange(-0.6, n - 0.4, padding=0)
        self.hint.setVisible(n == 0)
