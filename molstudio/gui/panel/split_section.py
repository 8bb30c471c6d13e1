"""The split section of the training panel: method, sizes and the compound counts, live.

Counts come from :func:`molstudio.core.run.splits.make_split` on the rows that have a
target value, always computed in the background (:mod:`molstudio.gui.panel.split_counts`
through the window's :class:`~molstudio.gui.common.jobs.JobRunner`): reading the targets of a
large table and a scaffold split take seconds. One count runs at a time; settings
changed meanwhile are counted when it ends, and only the latest settings' counts are
shown. "counting…" appears when a count takes longer than :data:`COUNTING_DELAY_MS`.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from molstudio.gui.common.jobs import JobRunner
from molstudio.gui.common.worker import Worker
from molstudio.gui.panel.split_counts import CountRequest, SplitCounts, count_job

SPLITS = (
    ("random", "Random"),
    ("scaffold", "Scaffold (Bemis–Murcko)"),
    ("stratified", "Stratified by class"),
    ("column", "From a column of the table"),
)
COUNTING_DELAY_MS = 150  # a quicker count replaces the old numbers without a "counting…" flash
COUNTING = "<span style='color:palette(placeholder-text)'><i>counting…</i></span>"
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
        self.jobs = JobRunner(self)
        self._worker: Worker | None = None  # the count running now
        self._counting: CountRequest | None = None  # what it counts
        self._wanted: CountRequest | None = None  # the latest settings; only their counts are shown
        self._shown: CountRequest | None = None
        self._counting_note = QTimer(self, singleShot=True, interval=COUNTING_DELAY_MS)
        self._counting_note.timeout.connect(self._show_counting)
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
        """Stop counting and wait for the background count (the window is closing)."""
        self._timer.stop()
        self._counting_note.stop()
        self._wanted = None
        self.jobs.shutdown()
        self._worker = None

    def is_counting(self) -> bool:
        """Whether a count runs in the background now."""
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
        """Count the compounds of each set for the current settings, in the background."""
        if self._frame is None or not self._targets:
            self._wanted = None
            self._counting_note.stop()
            self.counts.setText("Open a table and choose a target to see the split.")
            return
        method = self.method_value()
        request = CountRequest(
            self._frame, tuple(self._targets), self._task, method, self.sizes(), self.seed.value(),
            self.column.currentText() if method == "column" else "", self._structure)
        if request.same_as(self._wanted):
            return  # counted, or being counted, already
        self._wanted = request
        if not self._counting_note.isActive():
            self._counting_note.start()
        if self._worker is not None:
            self._worker.cancel()  # stale: ends at its next check; the latest settings follow
        else:
            self._start(self._wanted)

    def _start(self, request: CountRequest) -> None:
        self._counting = request
        self._worker = self.jobs.start(
            "count", count_job(request),
            lambda counts: self._show(counts) if request is self._wanted else None,
            lambda message: self._show_error(message) if request is self._wanted else None,
            self._count_ended)

    def _count_ended(self) -> None:
        self._worker = None
        if self._wanted is not None and self._wanted is not self._counting:
            self._start(self._wanted)

    def _show_counting(self) -> None:
        if self._wanted is not None and self._shown is not self._wanted:
            self.counts.setText(COUNTING)

    def _show(self, counts: SplitCounts) -> None:
        self._shown = self._wanted
        self._counting_note.stop()
        about = "about " if counts.approximate else ""
        text = (f"<b>{about}{counts.train:,}</b> training · <b>{counts.val:,}</b> validation · "
                f"<b>{counts.test:,}</b> test compounds")
        if counts.warnings:
            notes = "<br>".join(html.escape(w) for w in counts.warnings[:3])
            text += f"<br><span style='color:#a15c00'>{notes}</span>"
        self.counts.setText(text)

    def _show_error(self, message: str) -> None:
        self._shown = self._wanted
        self._counting_note.stop()
        text = html.escape(message).replace("\n", "<br>")
        self.counts.setText(f"<span style='color:#b00020'>{text}</span>")
