"""The state of a run in words: progress with time estimates, the metrics table, messages."""

from __future__ import annotations

import html
import math
import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QWidget,
)

from molstudio.core.run.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from molstudio.core.training.reports import EpochReport, EstimateReport, StageReport, duration_text
from molstudio.gui.common.table_items import cell

METRIC_NAMES = {
    "rmse": "RMSE", "mse": "MSE", "mae": "MAE", "r2": "R²", "spearman": "Spearman ρ",
    "roc_auc": "ROC-AUC", "pr_auc": "PR-AUC", "accuracy": "Accuracy", "mcc": "MCC",
}
SETS = (("train", "Training"), ("val", "Validation"), ("test", "Test"))


def clock(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``; hours when needed."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def metric_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"


def metric_names(task: str) -> list[str]:
    names = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    return [n for n in names if n != "mse"]


class ProgressLine(QProgressBar):
    """Progress bar reading "Epoch 12 / 150 · 0:05 elapsed · about 0:40 left"; before the first
    epoch, "Training · about 6 minutes in all (5 networks × 25 epochs) · 0:12 elapsed"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextVisible(True)
        self.setMinimumWidth(260)
        self._tick = QTimer(self, interval=500)
        self._tick.timeout.connect(self._update_text)
        self._started = 0.0
        self._stage = ""
        self._epoch_times: list[float] = []
        self._epoch = (0, 0)
        self._network = (0, 1)  # which network of an ensemble is trained, of how many
        self._note = ""
        self._estimate: EstimateReport | None = None
        self.idle("Ready")

    def setFormat(self, text: str) -> None:  # noqa: N802 (Qt name)
        """The text on the bar; also its tooltip, in full, for when the bar is too narrow for it."""
        super().setFormat(text)
        self.setToolTip(text)

    def text(self) -> str:  # Qt override: what the bar draws, cut with "…" to fit (never wrapped)
        room = self.contentsRect().width() - 2 * self.fontMetrics().averageCharWidth()
        return self.fontMetrics().elidedText(super().text(), Qt.TextElideMode.ElideRight, max(room, 0))

    def idle(self, text: str) -> None:
        self._tick.stop()
        self.setRange(0, 1)
        self.setValue(0)
        self.setFormat(text)

    def start(self) -> None:
        self._started = time.monotonic()
        self._epoch_times, self._epoch, self._stage, self._note = [], (0, 0), "Starting", ""
        self._network = (0, 1)
        self._estimate = None
        self.setRange(0, 0)  # busy until the first report
        self._tick.start()
        self._update_text()

    def stage(self, report: StageReport) -> None:
        self._stage = report.stage
        if report.total and report.done:
            self.setRange(0, report.total)
            self.setValue(report.done)
        else:
            self.setRange(0, 0)
        self._update_text()

    def estimate(self, report: EstimateReport) -> None:
        """The run's estimate: said until the first epoch, the time left until the second."""
        self._estimate = report
        self._stage = f"Training · {duration_text(report.seconds)} in all ({report.work()})"
        self.setRange(0, max(report.max_epochs * report.networks, 1))  # a busy bar would hide the text
        self.setValue(0)
        self._update_text()

    def epoch(self, report: EpochReport) -> None:
        self._epoch_times.append(time.monotonic())
        self._epoch = (report.epoch, report.epochs)
        self._network = (report.member, max(report.members, 1))
        member, members = self._network
        self.setRange(0, report.epochs * members)
        self.setValue(member * report.epochs + report.epoch)
        self._update_text()

    def stopping(self) -> None:
        """Say that Stop was pressed and the current step is being finished."""
        self._note = "Stopping after the current step · "
        self._update_text()

    def remaining(self) -> float | None:
        """Seconds left if every remaining epoch runs, of every network (early stopping may end sooner)."""
        done, total = self._epoch
        member, members = self._network
        times = self._epoch_times
        if len(times) < 2 and self._estimate is not None:  # no epoch time measured yet
            return max(0.0, self._estimate.seconds - (time.monotonic() - self._started))
        if len(times) < 2 or not total:
            return None
        per_epoch = (times[-1] - times[0]) / (len(times) - 1)
        return per_epoch * (total - done + (members - member - 1) * total)

    def finish(self, text: str) -> None:
        self._tick.stop()
        self.setRange(0, 1)
        self.setValue(1)
        self.setFormat(text)

    def _update_text(self) -> None:
        elapsed = clock(time.monotonic() - self._started)
        done, total = self._epoch
        if not done:
            if self._estimate is not None:
                self.setFormat(f"{self._note}{self._stage} · {elapsed} elapsed")
                return
            counts = f" {self.value():,} / {self.maximum():,} compounds" if self.maximum() > 0 else ""
            self.setFormat(f"{self._note}{self._stage}…{counts} · {elapsed} elapsed")
            return
        left = self.remaining()
        eta = f" · about {clock(left)} left" if left is not None and not self._note else ""
        member, members = self._network
        network = f"Network {member + 1} of {members} · " if members > 1 else ""
        self.setFormat(f"{self._note}{network}Epoch {done} / {total} · {elapsed} elapsed{eta}")


class MetricsTable(QTableWidget):
    """Metrics (rows) of the training, validation and test sets (columns)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(SETS), parent)
        self.setHorizontalHeaderLabels([title for _, title in SETS])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setAlternatingRowColors(True)
        self.set_task("regression")

    def set_task(self, task: str) -> None:
        """Empty table with the metric rows of ``task``."""
        names = metric_names(task)
        self.setRowCount(len(names))
        self.setVerticalHeaderLabels([METRIC_NAMES.get(n, n) for n in names])
        self._names = names
        for i in range(len(names)):
            for j in range(len(SETS)):
                self._set(i, j, "–")
        self.setFixedHeight(self.horizontalHeader().height() + sum(self.rowHeight(i) for i in range(len(names))) + 4)

    def set_metrics(self, which: str, metrics: dict[str, Any]) -> None:
        """Fill the column of set ``which`` ("train", "val" or "test")."""
        j = [key for key, _ in SETS].index(which)
        for i, name in enumerate(self._names):
            self._set(i, j, metric_text(metrics.get(name)) if metrics else "–")

    def value(self, metric: str, which: str) -> str:
        return cell(self, self._names.index(metric), [key for key, _ in SETS].index(which)).text()

    def _set(self, i: int, j: int, text: str) -> None:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setItem(i, j, item)


class MessageBanner(QFrame):
    """A coloured strip that says what went wrong (or what to keep in mind), with a close button."""

    STYLES = {
        "error": ("#fdecea", "#b00020", "⚠"),
        "warning": ("#fff4e5", "#8a4b00", "ℹ"),
        "info": ("#e8f4fd", "#0b4f79", "✔"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message_banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        background, colour, icon = self.STYLES[kind]
        self.kind = kind
        self.setStyleSheet(f"#message_banner {{ background: {background}; border: 1px solid {colour};"
                           f" border-radius: 4px; }} QLabel {{ color: {colour}; }}")
        self.icon.setText(f"<span style='font-size: 16px'>{icon}</span>")
        first, _, rest = text.partition("\n")
        body = f"<b>{html.escape(first)}</b>"
        if rest.strip():
            body += "<br>" + html.escape(rest.strip()).replace("\n", "<br>")
        self.label.setText(body)
        self.show()

    def text(self) -> str:
        return self.label.text()
