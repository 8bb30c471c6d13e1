"""Predictions of one set (validation while training, test at the end) as plots.

Regression: predicted against measured, with the y = x line and RMSE / R².
Classification: the ROC curve and the confusion matrix. With several targets a
drop-down picks the one shown. Curves and matrices come from :mod:`molstudio.core.run.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.errors import MolStudioError
from molstudio.core.run import metrics as core_metrics
from molstudio.gui.common.plots import Describe, ScatterPlot
from molstudio.gui.common.run_status import metric_text
from molstudio.gui.training.class_plots import ConfusionMatrix, RocPlot

SCATTER_HINT = ("Press <b>▶ Train</b>: each compound of the validation set is drawn here, predicted "
                "against measured, while the network learns; the test set when training ends.")
ROC_HINT = "Press <b>▶ Train</b>: the ROC curve of the validation set is drawn here."


@dataclass
class ShownSet:
    which: str  # "Validation" or "Test"
    rows: np.ndarray
    true: np.ndarray
    pred: np.ndarray
    metrics: dict[str, Any]
    note: str
    spread: np.ndarray | None = None  # (compounds, targets): an ensemble's spread
    members: int = 1


def _columns(values: np.ndarray) -> np.ndarray:
    """(compounds, targets) floats from one or two dimensions."""
    values = np.asarray(values, float)
    return values[:, None] if values.ndim == 1 else values


class ResultsView(QWidget):
    """See the module docstring; ``point_clicked`` carries a table row position."""

    point_clicked = Signal(int)

    def __init__(self, describe: Describe | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.target_label = QLabel("Target shown:")
        self.target = QComboBox()
        self.target.currentIndexChanged.connect(lambda *_: self._draw())
        top.addWidget(self.target_label)
        top.addWidget(self.target)
        top.addStretch(1)
        layout.addLayout(top)
        self.stack = QStackedWidget()
        self.scatter = ScatterPlot(describe)
        self.scatter.point_clicked.connect(self.point_clicked)
        self.stack.addWidget(self.scatter)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        self.roc = RocPlot()
        self.confusion = ConfusionMatrix()
        column.addWidget(self.roc, 1)
        column.addWidget(self.confusion, 0)
        self.stack.addWidget(page)
        layout.addWidget(self.stack, 1)
        self.task = "regression"
        self.classes: list[list[str]] | None = None
        self._shown: ShownSet | None = None
        self.start("regression", [])

    def start(self, task: str, targets: list[str]) -> None:
        """Empty plots for a new run."""
        self.task, self.classes, self._shown = task, None, None
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(targets)
        self.target.blockSignals(False)
        for w in (self.target, self.target_label):
            w.setVisible(len(targets) > 1)
        self.stack.setCurrentIndex(1 if task == "classification" else 0)
        waiting = "Validation set: waiting for the first epoch" if targets else "Predicted vs measured"
        self.scatter.clear(waiting, "" if targets else SCATTER_HINT)
        self.roc.clear("ROC curve: waiting for the first epoch" if targets else "ROC curve", "" if targets else ROC_HINT)
        self.confusion.set_matrix(np.zeros((2, 2), dtype=int), ["0", "1"], "Confusion matrix", "")

    def show_set(self, which: str, rows: np.ndarray, true: np.ndarray, pred: np.ndarray,
                 metrics: dict[str, Any], note: str = "", spread: np.ndarray | None = None,
                 members: int = 1) -> None:
        """Draw the predictions of one set; ``true``/``pred`` (and an ensemble of ``members``
        networks' ``spread``) are (compounds, targets)."""
        true, pred = _columns(true), _columns(pred)
        spread = _columns(spread) if spread is not None and members > 1 else None
        self._shown = ShownSet(which, np.asarray(rows), true, pred, metrics or {}, note, spread, members)
        self._draw()

    def shown(self) -> ShownSet | None:
        return self._shown

    def _draw(self) -> None:
        s = self._shown
        if s is None or s.true.shape[1] == 0:
            return
        j = max(self.target.currentIndex(), 0)
        name = self.target.itemText(j) if self.target.count() else ""
        m = s.metrics.get("per_task", {}).get(name, s.metrics) if s.metrics else {}
        title = f"{s.which} set{(' · ' + name) if name else ''}{s.note}"
        if self.task == "classification":
            self._draw_classes(s, j, m, title)
            return
        n = int(np.sum(np.isfinite(s.true[:, j])))
        caption = (f"<b>RMSE {metric_text(m.get('rmse'))}</b><br><b>R² {metric_text(m.get('r2'))}</b>"
                   f"<br>{n:,} compounds") if m else ""
        spread = s.spread[:, j] if s.spread is not None and j < s.spread.shape[1] else None
        if spread is not None and caption:
            caption += (f"<br>bars: ± spread of the {s.members} networks<br>"
                        f"(typical ± {np.nanmedian(spread):.2g})")
        self.scatter.set_points(s.true[:, j], s.pred[:, j], s.rows, title, caption, spread)

    def _draw_classes(self, s: ShownSet, j: int, m: dict[str, Any], title: str) -> None:
        labels = (self.classes[j] if self.classes and j < len(self.classes) else ["0", "1"])
        labels = labels if len(labels) == 2 else ["0", "1"]
        try:
            fpr, tpr = core_metrics.roc_points(s.true[:, j], s.pred[:, j])
            matrix = core_metrics.confusion(s.true[:, j], s.pred[:, j])
        except MolStudioError as exc:
            self.roc.clear(f"{title}: {exc.message}")
            return
        if len(fpr):
            caption = f"<b>ROC-AUC {metric_text(m.get('roc_auc'))}</b><br>PR-AUC {metric_text(m.get('pr_auc'))}"
        else:
            caption = "Only one class in this set:<br>no ROC curve"
        self.roc.set_curve(fpr, tpr, title, caption)
        self.confusion.set_matrix(matrix, [str(x) for x in labels], f"Confusion matrix · {s.which.lower()} set",
                                  f"Threshold 0.5 · accuracy {metric_text(m.get('accuracy'))} · "
                                  f"MCC {metric_text(m.get('mcc'))}")
        self.confusion.caption.setToolTip(f"A compound is predicted {labels[1]} when its predicted "
                                          f"probability of {labels[1]} is at least 0.5.")
