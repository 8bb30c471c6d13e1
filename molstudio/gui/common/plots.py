"""Live training plots (pyqtgraph): loss curves and prediction-vs-truth scatter.

Plot items are created once and updated with ``setData``; the caller decides how
often to redraw (:meth:`LossPlot.refresh`), so a fast run does not flood the GUI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

TRAIN_COLOUR = "#0072B2"  # Okabe-Ito palette: readable for colour-blind users
VAL_COLOUR = "#D55E00"
BEST_COLOUR = "#009E73"
POINT_COLOUR = (0, 114, 178, 170)
SPREAD_COLOUR = (0, 114, 178, 90)  # error bars: fainter than the points they belong to
SELECT_COLOUR = "#CC0066"
FOREGROUND = "#333333"
Describe = Callable[[int, float, float, "float | None"], str]  # row, measured, predicted, spread
LOSS_HINT = "Press <b>▶ Train</b>: the training and validation loss of every epoch is drawn here."


def make_plot(x_label: str, y_label: str) -> pg.PlotWidget:
    """A white plot with labelled axes and a faint grid."""
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.15)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.enableAutoSIPrefix(False)  # "(x0.001)" next to a loss label only confuses
        axis.setStyle(maxTickLevel=0)  # grid at major ticks only: a full grid costs 5x the paint time
    item.setLabel("bottom", x_label, color=FOREGROUND)
    item.setLabel("left", y_label, color=FOREGROUND)
    widget.setMinimumSize(260, 220)
    adopt_menus(widget)
    return widget


def adopt_menus(widget: pg.PlotWidget) -> None:
    """Parent pyqtgraph's context menus to the plot, so they go when the window goes.

    pyqtgraph creates them without a parent: as separate top-level windows they would
    outlive a closed view for as long as any Python reference to its plots remains.
    """
    item = widget.getPlotItem()
    for menu in (item.ctrlMenu, item.getViewBox().menu):
        if menu is not None and menu.parent() is None:
            menu.setParent(widget, menu.windowFlags())


def header(title: str) -> QLabel:
    label = QLabel(title)
    label.setStyleSheet("font-weight: 600;")
    return label


class CornerText(pg.TextItem):
    """A text box pinned to a corner of a plot's view; lines wrap when the plot is narrower."""

    def __init__(self, vb: pg.ViewBox, bottom_right: bool) -> None:
        super().__init__(anchor=(1, 1) if bottom_right else (0, 0), color=FOREGROUND,
                         fill=pg.mkBrush(255, 255, 255, 235), border=pg.mkPen("#bbbbbb"))
        self._vb, self._bottom_right = vb, bottom_right
        self.setParentItem(vb)
        vb.sigResized.connect(lambda *_: self.place())
        self.place()

    def setHtml(self, html: str) -> None:  # noqa: N802 (pyqtgraph name)
        super().setHtml(html)
        self.place()

    def place(self) -> None:
        """Wrap the text to the view's width and move it to its corner."""
        rect = self._vb.boundingRect()
        room = max(rect.width() - 12, 80.0)
        self.setTextWidth(-1)
        if self.textItem.boundingRect().width() > room:
            self.setTextWidth(room)
        self.setPos(rect.width() - 6, rect.height() - 6) if self._bottom_right else self.setPos(6, 6)


def corner_text(plot: pg.PlotWidget, corner: str = "top-left") -> CornerText:
    """A text box pinned to a corner of the plot area (not to data coordinates).

    ``corner`` is "top-left" or "bottom-right" (for curves that crowd the top left, as ROC curves do).
    """
    return CornerText(plot.getPlotItem().getViewBox(), corner == "bottom-right")


def add_legend(plot: pg.PlotWidget) -> pg.LegendItem:
    """A legend in the top-right corner on an opaque white card (the user can drag it away)."""
    return plot.getPlotItem().addLegend(offset=(-10, 10), labelTextColor=FOREGROUND,
                                        brush=pg.mkBrush(255, 255, 255, 240), pen=pg.mkPen("#cccccc"))


def key_text(entries: Sequence[tuple[str, str, str]]) -> str:
    """Rich text of a plot's key: ``(name, colour, symbol)`` per entry, on one line."""
    return " &nbsp; ".join(f"<span style='color:{colour}'>{symbol}</span>&nbsp;{name}" for name, colour, symbol in entries)


class LossPlot(QWidget):
    """Training and validation loss per epoch, best epoch marked, optional log scale."""

    plot: pg.PlotWidget  # made after the log-scale box whose toggle reaches it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.title = header("Loss per epoch")
        top.addWidget(self.title)
        top.addStretch(1)
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Show the loss on a logarithmic axis (late improvements become visible).")
        self.log_scale.toggled.connect(lambda on: self.plot.getPlotItem().setLogMode(y=on))
        top.addWidget(self.log_scale)
        layout.addLayout(top)
        # the key sits above the plot: inside it, a rising validation loss would run under it
        self.key = QLabel(key_text([("training", TRAIN_COLOUR, "━"), ("validation", VAL_COLOUR, "━"),
                                    ("best epoch", BEST_COLOUR, "★")]))
        self.key.setWordWrap(True)
        self.key.setStyleSheet(f"color: {FOREGROUND};")
        self.key.setToolTip("The star marks the best epoch: the model of that epoch is the one kept.")
        layout.addWidget(self.key)
        self.plot = make_plot("Epoch", "Loss")
        layout.addWidget(self.plot, 1)
        item = self.plot.getPlotItem()
        self.train_curve = item.plot([], [], pen=pg.mkPen(TRAIN_COLOUR, width=2), name="training", connect="finite")
        self.val_curve = item.plot([], [], pen=pg.mkPen(VAL_COLOUR, width=2), name="validation", connect="finite")
        self.best_point = item.plot([], [], pen=None, symbol="star", symbolSize=16, symbolPen=pg.mkPen("w"),
                                    symbolBrush=pg.mkBrush(BEST_COLOUR), name="best epoch")
        self.best_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen(BEST_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
        self.best_line.setVisible(False)
        item.addItem(self.best_line, ignoreBounds=True)
        self.hint = corner_text(self.plot)
        self.hint.setHtml(LOSS_HINT)
        self._epochs: list[float] = []  # NaN between the networks of an ensemble: no line joins them
        self._train: list[float] = []
        self._val: list[float] = []
        self._best = 0
        self._member, self._segment = 0, 0  # the network being trained; where its points start
        self._dirty = False

    def reset(self, loss_name: str = "Loss") -> None:
        """Empty the plot for a new run; ``loss_name`` labels the y axis."""
        self._epochs, self._train, self._val, self._best = [], [], [], 0
        self._member, self._segment = 0, 0
        self.plot.getPlotItem().setLabel("left", loss_name, color=FOREGROUND)
        self._dirty = True
        self.refresh()

    def add(self, epoch: int, train_loss: float, val_loss: float | None, best_epoch: int, member: int = 0) -> None:
        """Record one epoch of network ``member`` of an ensemble (drawn at the next :meth:`refresh`).

        Each network's curves start again at epoch 1, drawn over the earlier networks'.
        """
        if member != self._member and self._epochs:
            for values in (self._epochs, self._train, self._val):
                values.append(np.nan)
            self._segment = len(self._epochs)
        elif len(self._epochs) > self._segment and epoch <= self._epochs[-1]:
            for values in (self._epochs, self._train, self._val):  # the network started again (out of
                del values[self._segment:]  # GPU memory, a smaller batch): its earlier points go
        self._member = member
        self._epochs.append(epoch)
        self._train.append(train_loss)
        self._val.append(np.nan if val_loss is None else val_loss)
        self._best = best_epoch
        self._dirty = True

    def set_history(self, history: Sequence[dict[str, Any]], best_epoch: int, loss_name: str = "Loss") -> None:
        """Show a finished run's curves (a run from the history)."""
        self.reset(loss_name)
        for h in history:
            self.add(int(h["epoch"]), float(h["train_loss"]), h.get("val_loss"), best_epoch)
        self.refresh()

    def epoch_count(self) -> int:
        """Epochs drawn (of every network of an ensemble)."""
        return int(np.isfinite(np.asarray(self._epochs, dtype=float)).sum())

    def refresh(self) -> None:
        """Push the recorded epochs to the plot items, if anything changed."""
        if not self._dirty:
            return
        self._dirty = False
        self.hint.setVisible(not self._epochs)
        x = np.asarray(self._epochs, dtype=float)
        self.train_curve.setData(x, np.asarray(self._train, dtype=float))
        val = np.asarray(self._val, dtype=float)
        has_val = bool(np.isfinite(val).any())
        self.val_curve.setData(x if has_val else [], val if has_val else [])
        current = self._epochs[self._segment:]
        if self._best and self._best in current:
            i = self._segment + current.index(self._best)
            y = val[i] if has_val else self._train[i]
            self.best_point.setData([self._best], [y])
            self.best_line.setValue(self._best)
            self.best_line.setVisible(True)
            self.best_point.setToolTip(f"Best epoch {self._best}: the model kept")
        else:
            self.best_point.setData([], [])
            self.best_line.setVisible(False)


class ScatterPlot(QWidget):
    """Predicted against measured values, the y = x line and the metrics written on it.

    Hovering a point shows what ``describe(row, measured, predicted, spread)`` returns
    (rich text: the compound's id and structure); clicking it emits :attr:`point_clicked`.
    With an ensemble's ``spread`` each point gets a vertical bar of ± one spread.
    """

    point_clicked = Signal(int)

    def __init__(self, describe: Describe | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.describe = describe
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = header("Predicted vs measured")
        layout.addWidget(self.title)
        self.plot = make_plot("Measured", "Predicted")
        layout.addWidget(self.plot, 1)
        item = self.plot.getPlotItem()
        self.identity = item.plot([], [], pen=pg.mkPen("#888888", width=1.2, style=Qt.PenStyle.DashLine))
        self.bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0), beam=0,
                                    pen=pg.mkPen(*SPREAD_COLOUR, width=1.5))
        item.addItem(self.bars)
        self.points = pg.ScatterPlotItem(size=8, pen=pg.mkPen(255, 255, 255, 180), brush=pg.mkBrush(*POINT_COLOUR),
                                         hoverable=True, tip=None, hoverSize=12, hoverPen=pg.mkPen("k", width=1.5),
                                         hoverBrush=pg.mkBrush(*POINT_COLOUR))
        item.addItem(self.points)
        self.marker = pg.ScatterPlotItem(size=18, pen=pg.mkPen(SELECT_COLOUR, width=2.5), brush=None)
        item.addItem(self.marker)
        self.text = corner_text(self.plot)
        self.points.sigClicked.connect(self._clicked)
        self.points.sigHovered.connect(self._hovered)
        self._rows = np.zeros(0, dtype=np.int64)
        self._spread: np.ndarray | None = None

    def set_points(self, true: np.ndarray, pred: np.ndarray, rows: np.ndarray, title: str, caption: str,
                   spread: np.ndarray | None = None) -> None:
        """Show one point per compound with a measured value; ``caption`` is HTML (metrics).

        ``spread`` (an ensemble's standard deviation per compound) draws ± bars.
        """
        true, pred = np.asarray(true, float).ravel(), np.asarray(pred, float).ravel()
        rows = np.asarray(rows, dtype=np.int64).ravel()
        keep = np.isfinite(true) & np.isfinite(pred)
        true, pred, rows = true[keep], pred[keep], rows[keep]
        self._rows = rows
        self._spread = None if spread is None else np.nan_to_num(np.asarray(spread, float).ravel()[keep])
        self.title.setText(title)
        self.points.setData(x=true, y=pred, data=rows)
        bars = self._spread if self._spread is not None else np.zeros(0)
        shown = len(bars) == len(true) and len(bars) > 0
        self.bars.setData(x=true if shown else np.zeros(0), y=pred if shown else np.zeros(0),
                          height=2 * bars if shown else np.zeros(0))
        self.bars.setVisible(shown)
        self.text.setHtml(caption)
        self.text.setVisible(bool(caption))
        if len(true):
            lo, hi = float(true.min()), float(true.max())
            span = max(hi - lo, 1e-6)
            shown = np.clip(pred, lo - span, hi + span)  # a wild early prediction must not squash the view
            lo, hi = min(lo, float(shown.min())), max(hi, float(shown.max()))
            pad = 0.06 * max(hi - lo, 1e-6)
            self.identity.setData([lo - pad, hi + pad], [lo - pad, hi + pad])
            self.plot.getPlotItem().getViewBox().setRange(xRange=(lo - pad, hi + pad), yRange=(lo - pad, hi + pad),
                                                          padding=0)
        else:
            self.identity.setData([], [])

    def clear(self, title: str = "Predicted vs measured", hint: str = "") -> None:
        """No points; ``hint`` (HTML) says what will be drawn here."""
        self.set_points(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), title, hint)
        self.marker.setData([], [])

    def count(self) -> int:
        """Number of compounds drawn."""
        return len(self.points.data)

    def rows(self) -> np.ndarray:
        return self._rows.copy()

    def spread(self) -> np.ndarray | None:
        """The ± spread drawn per point (None without an ensemble)."""
        return None if self._spread is None else self._spread.copy()

    def mark_row(self, row: int) -> None:
        """Ring the point of table row ``row`` (if drawn)."""
        spots = [p for p in self.points.points() if p.data() == row]
        self.marker.setData([p.pos().x() for p in spots], [p.pos().y() for p in spots])

    def tooltip_for(self, index: int) -> str:
        """The hover text of the ``index``-th drawn point."""
        spot = self.points.points()[index]
        row = int(spot.data())
        spread = float(self._spread[index]) if self._spread is not None and index < len(self._spread) else None
        if self.describe is None:
            return f"Row {row + 1}" + (f" · ± {spread:.3g}" if spread is not None else "")
        return self.describe(row, spot.pos().x(), spot.pos().y(), spread)

    def _hovered(self, _item: Any, spots: Sequence[Any], _event: Any) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if len(spots) == 0:
            vb.setToolTip("")
            return
        spot = spots[0]
        index = int(spot.index())
        vb.setToolTip(self.tooltip_for(index))

    def _clicked(self, _item: Any, spots: Sequence[Any], _event: Any = None) -> None:
        if len(spots):
            row = int(spots[0].data())
            self.mark_row(row)
            self.point_clicked.emit(row)
