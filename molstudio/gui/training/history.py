"""Every run of the session, side by side: settings, metrics and loss curves.

Runs are kept in memory while the application is open, so a chemist can compare,
say, a D-MPNN ensemble with a two-hidden-layer network, bring a run's settings back
into the panel, or make its model the current one again. Each row names the
architecture, the ensemble size (networks trained) and what the network read
(the molecular graph or SMILES, plus any molecule-level features).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.architectures import MODELS
from molstudio.core.run.config import RunConfig
from molstudio.core.run.metrics import PRIMARY_METRIC
from molstudio.gui.common.plots import add_legend, header, make_plot
from molstudio.gui.common.run_status import METRIC_NAMES, clock, metric_text
from molstudio.gui.common.table_items import cell

COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
SECOND_METRIC = {"regression": "r2", "classification": "mcc"}
# the figures come first, the long settings text last: nothing to compare is scrolled out of view
COLUMNS = ("#", "Architecture", "Ensemble", "Metric", "Training", "Validation", "Test", "Test R² / MCC",
           "Epochs", "Time", "Target", "Input", "Settings")
ENSEMBLE_TIP = "Networks trained with different weight seeds; their mean is the prediction, their spread its uncertainty."
#: what a graph or sequence architecture reads itself, before any molecule-level features
READS = {"graph": "molecular graph", "tokens": "SMILES"}
SETTINGS_COLUMN = len(COLUMNS) - 1
STOPPED = {"completed": "", "early_stopping": " · early stop", "cancelled": " · stopped"}


class SortItem(QTableWidgetItem):
    """A cell that sorts by its number (``UserRole``) when it has one, else by its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:  # noqa: D105
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if a is not None and b is not None:
            return float(a) < float(b)
        return self.text() < other.text()


@dataclass
class RunRecord:
    """One finished (or stopped) run."""

    number: int
    config: RunConfig
    task: str
    metrics: dict[str, dict[str, Any]]
    history: list[dict[str, Any]]
    best_epoch: int
    epochs_run: int
    stopped: str
    seconds: float
    model: Any = None
    finished_at: _dt.datetime = field(default_factory=_dt.datetime.now)

    def settings_text(self) -> str:
        """Short text of the hyperparameters (from the schema) and the learning rate."""
        schema = MODELS.get(self.config.model).schema
        parts = []
        for name, value in self.config.resolved_hparams().items():
            param = schema.get(name)
            label = name.replace("_", " ")
            if param is not None and param.type == "choice":
                parts.append(str(value))
            elif isinstance(value, bool):
                parts.append(label if value else "")
            elif isinstance(value, list):
                parts.append(f"{label} {','.join(map(str, value)) or 'none'}")
            else:
                parts.append(f"{label} {value:g}" if isinstance(value, float) else f"{label} {value}")
        t = self.config.resolved_training()
        parts.append(f"{t['optimizer']} lr {t['lr']:g}")  # the ensemble size has its own column
        return " · ".join(p for p in parts if p)

    @property
    def ensemble(self) -> int:
        """Networks in the run's model (the setting, when no model was kept)."""
        networks = getattr(self.model, "networks", None)
        return len(networks) if networks else int(self.config.resolved_training().get("ensemble", 1))

    def reads_text(self) -> str:
        """What the network read: ``"molecular graph + rdkit2d"``, ``"morgan_count, rdkit2d"``."""
        features = ["table columns" if str(f) == "columns" else str(f) for f in self.config.features if str(f) != "none"]
        arch = MODELS.get(self.config.model) if self.config.model in MODELS else None
        own = READS.get(getattr(arch, "input_kind", "vector"))
        if own:
            return " + ".join([own, *features])
        return ", ".join(features)

    def label(self) -> str:
        hidden = self.config.resolved_hparams().get("hidden_sizes")
        extra = f" {','.join(map(str, hidden))}" if isinstance(hidden, list) else ""
        members = f" ×{self.ensemble}" if self.ensemble > 1 else ""
        return f"#{self.number} {self.config.model}{extra}{members} lr {self.config.resolved_training()['lr']:g}"


class RunHistory(QWidget):
    """Table of runs and their validation-loss curves overlaid."""

    config_requested = Signal(object)
    model_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[RunRecord] = []
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(header("Runs of this session (select several to compare their curves)"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(SETTINGS_COLUMN, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(SETTINGS_COLUMN, 260)
        self.table.setSortingEnabled(True)
        self.table.sortItems(0, Qt.SortOrder.AscendingOrder)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        top_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.load_button = QPushButton("Load settings into the panel")
        self.load_button.setToolTip("Put this run's architecture, hyperparameters and split back into the panel.")
        self.use_button = QPushButton("Make this the current model")
        self.use_button.setToolTip("Save, predict and export with this run's model.")
        self.remove_button = QPushButton("Remove")
        self.load_button.clicked.connect(lambda: self._emit(self.config_requested, "config"))
        self.use_button.clicked.connect(lambda: self._emit(self.model_requested, "model"))
        self.remove_button.clicked.connect(self._remove_selected)
        for b in (self.load_button, self.use_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        top_layout.addLayout(buttons)
        split.addWidget(top)
        curves = QWidget()
        curves_layout = QVBoxLayout(curves)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addWidget(header("Validation loss of the selected runs"))
        self.plot = make_plot("Epoch", "Validation loss")
        add_legend(self.plot)
        curves_layout.addWidget(self.plot, 1)
        split.addWidget(curves)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout.addWidget(split)
        self._selection_changed()

    def add(self, record: RunRecord) -> None:
        """Append a run and select it."""
        self.records.append(record)
        self.table.setSortingEnabled(False)
        row = self.table.rowCount()
        self.table.insertRow(row)
        primary = PRIMARY_METRIC.get(record.task, "rmse")
        second = SECOND_METRIC.get(record.task, "r2")
        m = record.metrics
        cells: list[tuple[str, Any]] = [
            (str(record.number), record.number),
            (record.config.model, None),
            (f"{record.ensemble} networks" if record.ensemble > 1 else "1 network", record.ensemble),
            (METRIC_NAMES.get(primary, primary), None),
            *[(metric_text(m.get(s, {}).get(primary)), m.get(s, {}).get(primary)) for s in ("train", "val", "test")],
            (metric_text(m.get("test", {}).get(second)), m.get("test", {}).get(second)),
            (f"{record.epochs_run}, best {record.best_epoch}{STOPPED.get(record.stopped, '')}", record.epochs_run),
            (clock(record.seconds), record.seconds),
            (", ".join(record.config.targets), None),
            (record.reads_text(), None),
            (record.settings_text(), None),
        ]
        for col, (text, sort_value) in enumerate(cells):
            item = SortItem(text)
            if sort_value is not None and np.isfinite(float(sort_value)):
                item.setData(Qt.ItemDataRole.UserRole, float(sort_value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(Qt.ItemDataRole.UserRole + 1, record.number)
            item.setToolTip(ENSEMBLE_TIP if COLUMNS[col] == "Ensemble" else text)
            self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.clearSelection()
        self.table.selectRow(self._row_of(record.number))

    def selected(self) -> list[RunRecord]:
        numbers = {cell(self.table, i.row(), 0).data(Qt.ItemDataRole.UserRole + 1)
                   for i in self.table.selectionModel().selectedRows()}
        return [r for r in self.records if r.number in numbers]

    def select_numbers(self, numbers: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for n in numbers:
            self.table.selectRow(self._row_of(n))
        self.table.setSelectionMode(mode)

    def curve_count(self) -> int:
        return len(self.plot.getPlotItem().listDataItems())

    def _row_of(self, number: int) -> int:
        for row in range(self.table.rowCount()):
            if cell(self.table, row, 0).data(Qt.ItemDataRole.UserRole + 1) == number:
                return row
        return -1

    def _emit(self, signal: Any, what: str) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            signal.emit(chosen[0].config if what == "config" else chosen[0].model)

    def _remove_selected(self) -> None:
        gone = {r.number for r in self.selected()}
        self.records = [r for r in self.records if r.number not in gone]
        for row in reversed(range(self.table.rowCount())):
            if cell(self.table, row, 0).data(Qt.ItemDataRole.UserRole + 1) in gone:
                self.table.removeRow(row)
        self._selection_changed()

    def _selection_changed(self) -> None:
        chosen = self.selected()
        one = len(chosen) == 1
        self.load_button.setEnabled(one)
        self.use_button.setEnabled(one and chosen[0].model is not None)
        self.remove_button.setEnabled(bool(chosen))
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is not None:
            item.legend.clear()
        for record in chosen:
            epochs = [h["epoch"] for h in record.history]
            val = [np.nan if h.get("val_loss") is None else h["val_loss"] for h in record.history]
            colour = COLOURS[(record.number - 1) % len(COLOURS)]
            item.plot(epochs, val, pen=pg.mkPen(colour, width=2), name=record.label(), connect="finite")
