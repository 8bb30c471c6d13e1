"""The training panel's line on how long the run will take, and the quick choice beside it.

A moment after the settings last change, :func:`molstudio.core.training.estimate.estimate_run`
measures the run on a sample of the table's compounds (a second or two) in the one background
:class:`~molstudio.gui.common.worker.Worker`, through this widget's
:class:`~molstudio.gui.common.jobs.JobRunner`. When the run would take more than
:data:`QUICK_ABOVE` seconds, the quick configuration (core's
:func:`~molstudio.core.run.recommend.quick`) is measured as well and offered as a button.
Nothing is measured while a job of the training view runs (:meth:`EstimateHint.set_paused`):
it would slow that job down and be slowed down by it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from molstudio.core.run.config import RunConfig
from molstudio.core.training.estimate import estimate_run
from molstudio.core.training.reports import EstimateReport, duration_text
from molstudio.gui.common.jobs import JobRunner

QUICK_ABOVE = 180.0  # seconds: a longer run is offered the quick choice
DELAY_MS = 1200  # after the last change: settings typed digit by digit are measured once


@dataclass(frozen=True, eq=False)
class HintRequest:
    """What to measure, taken from the panel on the GUI thread; ``quick`` None: the run is the quick one."""

    frame: pd.DataFrame
    config: RunConfig
    quick: RunConfig | None


@dataclass
class HintResult:
    which: str  # "run" or "quick"
    estimate: EstimateReport
    model: str


def hint_job(request: HintRequest) -> Callable[[threading.Event], Iterator[HintResult]]:
    """A worker job: the run's estimate, then the quick choice's when the run is long."""
    def job(cancel: threading.Event) -> Iterator[HintResult]:
        run = estimate_run(request.config, request.frame, cancel)
        yield HintResult("run", run, request.config.model)
        if request.quick is not None and run.seconds > QUICK_ABOVE and not cancel.is_set():
            yield HintResult("quick", estimate_run(request.quick, request.frame, cancel), request.quick.model)
    return job


class EstimateHint(QWidget):
    """"Estimated time: about 25 minutes (5 networks × 25 epochs)" and, for a long run, a
    "Quick start" button; ``request()`` gives what to measure (None: nothing to measure yet)."""

    quick_requested = Signal()

    def __init__(self, request: Callable[[], HintRequest | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request = request
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setToolTip("Measured on a few of the table's compounds with these settings; early stopping "
                              "can end a run sooner.")
        self.quick_button = QPushButton()
        self.quick_button.setToolTip("Switch to the quick settings: one feed-forward network on fingerprints "
                                     "and descriptors. Usually a little less accurate, much faster.")
        self.quick_button.clicked.connect(self.quick_requested.emit)
        row = QHBoxLayout()
        row.addWidget(self.quick_button)
        row.addStretch(1)
        layout.addWidget(self.label)
        layout.addLayout(row)
        self.jobs = JobRunner(self)
        self._timer = QTimer(self, singleShot=True, interval=DELAY_MS)
        self._timer.timeout.connect(self.measure)
        self._paused = False
        self._stale = True  # the settings changed since the last measurement
        self.estimate: EstimateReport | None = None
        self.quick_estimate: EstimateReport | None = None
        self._show(None, None)

    def schedule(self) -> None:
        """The settings changed: measure again a moment after the last change."""
        self._stale = True
        self.jobs.cancel("estimate")
        if not self._paused:
            self._timer.start()

    def set_paused(self, paused: bool) -> None:
        """Measure nothing while ``paused`` (a job runs); afterwards, measure what changed meanwhile
        (a measurement due when the job started is dropped: the user has chosen)."""
        if paused == self._paused:
            return
        self._paused = paused
        if paused:
            self._timer.stop()
            if self.jobs.is_running("estimate"):
                self.jobs.cancel("estimate")
                self._show(None, None)  # not "Estimating…" for good
            self._stale = False
        elif self._stale:
            self._timer.start()

    def is_measuring(self) -> bool:
        return self._timer.isActive() or self.jobs.is_running("estimate")

    def measure(self) -> None:
        """Start measuring the panel's run now (in the background)."""
        self._timer.stop()
        request = self._request() if not self._paused else None
        if request is None:
            self._show(None, None)
            return
        self._stale = False
        self._show(None, None, "Estimating how long the run will take…")
        self.jobs.start("estimate", hint_job(request), self._arrived, self._failed)

    def shutdown(self) -> None:
        """Stop measuring and wait for the background job (the window is closing)."""
        self._timer.stop()
        self.jobs.shutdown()

    def _arrived(self, result: HintResult) -> None:
        if result.which == "run":
            self._show(result.estimate, None)
        else:
            self._show(self.estimate, result.estimate, model=result.model)

    def _failed(self, _message: str) -> None:
        self._show(None, None)  # the panel says what is wrong with the settings when Train is pressed

    def _show(self, run: EstimateReport | None, quick: EstimateReport | None, text: str = "", model: str = "") -> None:
        self.estimate, self.quick_estimate = run, quick
        if run is not None:
            text = f"Estimated time: {run.text()}."
        self.label.setText(text)
        self.label.setVisible(bool(text))
        if quick is not None:
            networks = f"{quick.networks} network{'s' if quick.networks != 1 else ''}"
            self.quick_button.setText(f"Quick start instead: {model}, {networks} ({duration_text(quick.seconds)})")
        self.quick_button.setVisible(quick is not None)
        self.setVisible(bool(text) or quick is not None)
