"""The split section of the training panel: method, sizes and the compound counts, live.

Counts come from :func:`molstudio.core.splits.make_split` on the rows that have a
target value. A scaffold split of a large table takes seconds (every structure's
Murcko scaffold), so it is counted in the background :class:`~molstudio.gui.worker.Worker`.
"""

from __future__ import annotations

import molstudio.gui.qt_compat  # noqa: F401  (PySide6 6.12 reference-count guard, first)

from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from molstudio.core.errors import MolStudioError
from molstudio.gui.worker import Worker

SPLITS = (
    ("random", "Random"),
    ("scaffold", "Scaffold (Bemis–Murcko)"),
    ("stratified", "Stratified by class"),
    ("column", "From a column of the table"),
)
SCAFFOLD_NOW = 300  # up to this many compounds, scaffolds are counted at once
SCAFFOLD_LIMIT = 20000  # above this, the counts shown are the requested shares
NOTE = "Rows with a target value; rows whose structure cannot be read are set aside when training starts."


class SplitSection(QGroupBox):
    """Split method and sizes, with the resulting compound counts shown live."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training / validation / test split", parent)
        form = QFormLayout(self)
        self.method = QComboBox()
        for value, text in SPLITS:
            self.method.addItem(text, value)
        self.method.setToolTip("Scaffold: whole chemical series go to one set, a harder, more honest test.")
        form.addRow("Split:", self.method)
        self.column = QComboBox()
        self.column.setToolTip("A column holding train / val / test for each row.")
        form.addRow("Split column:", self.column)
        sizes = QHBoxLayout()
        self.val = self._percent("Share of compounds held out to watch training and stop early.")
        self.test = self._percent("Share of compounds kept aside for the final, unbiased test.")
        self.train_label = QLabel()
        for widget in (self.train_label, QLabel("validation"), self.val, QLabel("test"), self.test):
            sizes.addWidget(widget)
        sizes.addStretch(1)
        form.addRow("Sizes:", sizes)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The same seed gives the same split.")
        form.addRow("Split seed:", self.seed)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.counts.setObjectName("split_counts")
        self.counts.setToolTip(NOTE)
        form.addRow(self.counts)
        self._form = form
        self.val.setValue(10)
        self.test.setValue(10)
        for signal in (self.method.currentIndexChanged, self.column.currentIndexChanged,
                       self.val.valueChanged, self.test.valueChanged, self.seed.valueChanged):
            signal.connect(self._changed)
        self._timer = QTimer(self, singleShot=True, interval=120)
        self._timer.timeout.connect(self.update_counts)
        self._frame: pd.DataFrame | None = None
        self._structure: str | None = None
        self._targets: list[str] = []
        self._task = "regression"
        self._worker: Worker | None = None
        self._again = False
        self._changed()

    def _percent(self, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(0, 90)
        box.setSuffix(" %")
        box.setToolTip(tip)
        return box

    # ---- values ---------------------------------------------------------------------
    def set_table(self, frame: pd.DataFrame, structure: str | None) -> None:
        self._frame, self._structure = frame, structure
        current = self.column.currentText()
        self.column.blockSignals(True)
        self.column.clear()
        self.column.addItems([str(c) for c in frame.columns])
        guess = next((c for c in frame.columns if str(c).lower() in ("split", "set", "subset", "fold")), None)
        self.column.setCurrentText(current if current in frame.columns else str(guess or ""))
        self.column.blockSignals(False)
        self.schedule()

    def set_targets(self, targets: list[str], task: str) -> None:
        self._targets, self._task = targets, task
        self.schedule()

    def method_value(self) -> str:
        return str(self.method.currentData())

    def sizes(self) -> tuple[float, float, float]:
        val, test = self.val.value() / 100, self.test.value() / 100
        return (round(1 - val - test, 6), val, test)

    def set_values(self, method: str, sizes: tuple[float, ...], seed: int, column: str) -> None:
        index = self.method.findData(method.split(":")[0])
        self.method.setCurrentIndex(max(index, 0))
        full = list(sizes) if len(sizes) == 3 else [sizes[0], 0.0, sizes[-1]]
        self.val.setValue(round(full[1] * 100))
        self.test.setValue(round(full[2] * 100))
        self.seed.setValue(int(seed))
        if column or ":" in method:
            self.column.setCurrentText(column or method.partition(":")[2])

    def schedule(self) -> None:
        self._timer.start()

    def shutdown(self) -> None:
        """Wait for a background count (the window is closing)."""
        self._timer.stop()
        if self._worker is not None:
            self._worker.cancel()
            self._worker.wait(30000)
            self._release(self._worker)

    def is_counting(self) -> bool:
        return self._worker is not None

    def _changed(self, *_: Any) -> None:
        if self.val.value() + self.test.value() > 90:
            other = self.test if self.sender() is self.val else self.val
            other.setValue(90 - (self.val.value() if other is self.test else self.test.value()))
        is_column = self.method_value() == "column"
        self._form.setRowVisible(self.column, is_column)
        for w in (self.val, self.test):
            w.setEnabled(not is_column)
        self.train_label.setText("" if is_column else f"training {100 - self.val.value() - self.test.value()} %,")
        self.schedule()
        self.changed.emit()

    # ---- counts ---------------------------------------------------------------------
    def update_counts(self) -> None:
        """Show how many compounds each set gets (through :func:`molstudio.core.splits.make_split`)."""
        from molstudio.core.dataset import parse_targets
        from molstudio.core.splits import make_split

        if self._frame is None or not self._targets:
            self.counts.setText("Open a table and choose a target to see the split.")
            return
        frame, method = self._frame, self.method_value()
        try:
            y, _ = parse_targets(frame, self._targets, self._task)
            rows = np.flatnonzero(~np.isnan(y).all(axis=1))
            about = ""
            kwargs: dict[str, Any] = {"labels": y[rows]} if self._task == "classification" else {}
            if method == "scaffold":
                if len(rows) > SCAFFOLD_LIMIT or not self._structure:
                    method, about = "random", "about "
                else:
                    kwargs["smiles"] = frame[self._structure].iloc[rows].astype(str).tolist()
            if method == "column":
                kwargs["column"] = frame[self.column.currentText()].iloc[rows].astype(str).to_numpy()
            args = (len(rows), method, self.sizes(), self.seed.value())
            if method == "scaffold" and len(rows) > SCAFFOLD_NOW:
                self._count_in_background(args, kwargs)
                return
            self._show(make_split(*args, **kwargs), about)
        except (MolStudioError, KeyError) as exc:
            self._show_error(str(exc))

    def _count_in_background(self, args: tuple, kwargs: dict[str, Any]) -> None:
        from molstudio.core.splits import make_split

        if self._worker is not None:
            self._again = True  # the settings changed while counting: count again afterwards
            return
        self.counts.setText("Counting the compounds of each scaffold…")
        worker = Worker(lambda cancel: make_split(*args, **kwargs))
        worker.report.connect(lambda split: self._show(split, ""))
        worker.failed.connect(self._show_error)
        worker.finished.connect(lambda: self._release(worker))
        self._worker = worker
        worker.start()

    def _release(self, worker: Worker) -> None:
        if self._worker is not worker:
            return
        worker.wait(5000)
        self._worker = None
        worker.deleteLater()
        if self._again:
            self._again = False
            self.schedule()

    def _show(self, split: Any, about: str) -> None:
        c = split.counts()
        text = (f"<b>{about}{c['train']:,}</b> training · <b>{c['val']:,}</b> validation · "
                f"<b>{c['test']:,}</b> test compounds")
        if split.warnings:
            text += "<br><span style='color:#a15c00'>" + "<br>".join(split.warnings[:3]) + "</span>"
        self.counts.setText(text)

    def _show_error(self, message: str) -> None:
        self.counts.setText(f"<span style='color:#b00020'>{message}</span>")
