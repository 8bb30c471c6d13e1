"""Plots of a classification run: ROC curve and confusion matrix.

The numbers come from :mod:`molstudio.core.run.metrics` (``roc_points``, ``confusion``);
these widgets only draw them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from molstudio.gui.common.plots import (
    FOREGROUND,
    TRAIN_COLOUR,
    corner_text,
    header,
    make_plot,
)
from molstudio.gui.common.table_items import cell


class RocPlot(QWidget):
    """Receiver-operating-characteristic curve with the chance diagonal and its AUC."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = header("ROC curve")
        layout.addWidget(self.title)
        self.plot = make_plot("False-positive rate", "True-positive rate")
        layout.addWidget(self.plot, 1)
        item = self.plot.getPlotItem()
        item.plot([0, 1], [0, 1], pen=pg.mkPen("#888888", width=1.2, style=Qt.PenStyle.DashLine))
        self.curve = item.plot([], [], pen=pg.mkPen(TRAIN_COLOUR, width=2.5), stepMode=None)
        item.getViewBox().setRange(xRange=(-0.02, 1.04), yRange=(-0.02, 1.03), padding=0)  # room for the "1" tick
        item.getViewBox().setLimits(xMin=-0.05, xMax=1.05, yMin=-0.05, yMax=1.05)
        self.text = corner_text(self.plot, "bottom-right")
        self.text.setVisible(False)

    def set_curve(self, fpr: np.ndarray, tpr: np.ndarray, title: str, caption: str) -> None:
        self.title.setText(title)
        self.curve.setData(np.asarray(fpr, float), np.asarray(tpr, float))
        self.text.setHtml(caption)
        self.text.setVisible(bool(caption))

    def clear(self, title: str = "ROC curve", hint: str = "") -> None:
        """No curve; ``hint`` (HTML) says what will be drawn here."""
        self.set_curve(np.zeros(0), np.zeros(0), title, hint)

    def count(self) -> int:
        x, _ = self.curve.getData()
        return 0 if x is None else len(x)


class ConfusionMatrix(QWidget):
    """2 × 2 table of measured against predicted classes, shaded by the share of each row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = header("Confusion matrix")
        layout.addWidget(self.title)
        self.table = QTableWidget(2, 2)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.table)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {FOREGROUND};")
        layout.addWidget(self.caption)
        self.set_matrix(np.zeros((2, 2), dtype=int), ["0", "1"], "Confusion matrix", "")

    def set_matrix(self, matrix: np.ndarray, labels: list[str], title: str, caption: str) -> None:
        """``matrix`` is ``[[TN, FP], [FN, TP]]``; ``labels`` the two class names."""
        self.title.setText(title)
        # two lines: "Predicted inactive" does not fit half of a narrow plot column
        self.table.setHorizontalHeaderLabels([f"Predicted\n{labels[0]}", f"Predicted\n{labels[1]}"])
        self.table.setVerticalHeaderLabels([f"Measured {labels[0]}", f"Measured {labels[1]}"])
        self._fit_height()
        matrix = np.asarray(matrix, dtype=int)
        for i in range(2):
            total = max(int(matrix[i].sum()), 1)
            for j in range(2):
                share = matrix[i, j] / total
                item = QTableWidgetItem(f"{matrix[i, j]:,}   ({100 * share:.0f} %)")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                good = i == j
                base = QColor(0, 158, 115) if good else QColor(213, 94, 0)
                base.setAlphaF(0.12 + 0.6 * share if matrix[i].sum() else 0.0)
                item.setBackground(QBrush(base))
                item.setForeground(QBrush(QColor("#111111")))
                kind = "correct" if good else ("false positives" if i == 0 else "false negatives")
                item.setToolTip(f"{matrix[i, j]:,} compounds measured {labels[i]} and predicted {labels[j]} "
                                f"({kind}; {100 * share:.0f} % of those measured {labels[i]})")
                self.table.setItem(i, j, item)
        self.caption.setText(caption)

    def _fit_height(self) -> None:
        """Exactly the header and the two rows: no scrolling, no empty band."""
        header = self.table.horizontalHeader()
        self.table.setFixedHeight(max(header.sizeHint().height(), header.height()) + 2 * 34
                                  + 2 * self.table.frameWidth())

    def values(self) -> np.ndarray:
        return np.array([[int(cell(self.table, i, j).text().split()[0].replace(",", "")) for j in range(2)]
                         for i in range(2)])
