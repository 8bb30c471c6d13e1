"""The base of a view that runs one long background job at a time: training (or a
prediction), a search of settings, a learning curve.

A :class:`JobView` starts its job through its :class:`JobRunner` (the one background
mechanism), refuses to start while it or another view named by ``others_busy`` is busy
(saying why in its banner), answers Stop between the job's steps and waits for the job when
the window closes. Subclasses build their widgets, say how reports are shown and keep
their buttons right in :meth:`update_buttons`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from molstudio.gui.common.jobs import JobRunner
from molstudio.gui.common.run_status import MessageBanner, ProgressLine
from molstudio.gui.common.worker import Job, Worker


class JobView(QWidget):
    """See the module docstring. ``busy_changed(bool)`` follows every start and end of the job."""

    busy_changed = Signal(bool)
    status_message = Signal(str)

    def __init__(self, others_busy: Callable[[], str] = lambda: "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = JobRunner(self)
        self.banner = MessageBanner()
        self.progress = ProgressLine()
        self._others_busy = others_busy
        self._worker: Worker | None = None
        self._job = ""  # the kind of job running ("train", "predict", "search", "curve")

    def is_running(self) -> bool:
        """Whether this view's job is running (until its end has been handled)."""
        return self._worker is not None

    def running_job(self) -> str:
        return self._job

    def may_start(self) -> bool:
        """Whether a job may start now; when another view is busy, the banner says why."""
        if self._worker is not None:
            return False
        busy = self._others_busy()
        if busy:
            self.show_error(busy)
            return False
        return True

    def run_job(self, kind: str, job: Job, on_report: Callable[[Any], None], on_failed: Callable[[str], None],
                status: str) -> None:
        """Start ``job`` (see :class:`~molstudio.gui.common.worker.Worker`); ``status`` says what runs."""
        self._worker = self.jobs.start(kind, job, on_report, on_failed, self._ended)
        self._job = kind
        self.job_started()
        self.progress.start()
        self.status_message.emit(status)
        self.update_buttons()
        self.busy_changed.emit(True)

    def stop(self) -> None:
        """Ask the job to stop; its last reports (what it finished) still arrive."""
        if self._worker is not None:
            self._worker.cancel()
            self.progress.stopping()
            self.job_stopping()

    def shutdown(self, msecs: int = 30000) -> None:
        """Stop the job and wait for its thread (the window is closing)."""
        self.jobs.shutdown(msecs)
        if self._worker is not None:
            self._ended()

    def show_error(self, message: str) -> None:
        self.banner.show_message(message, "error")
        self.status_message.emit(message.split("\n")[0])

    def _ended(self) -> None:
        self._worker, self._job = None, ""
        self.job_ended()
        self.update_buttons()
        self.busy_changed.emit(False)

    # ---- what a view adds ---------------------------------------------------------------
    def update_buttons(self) -> None:
        """Enable what can be used now (every subclass has its own buttons)."""
        raise NotImplementedError

    def job_started(self) -> None:
        """Called as a job starts."""

    def job_stopping(self) -> None:
        """Called when Stop is pressed (a view disables its Stop button here)."""

    def job_ended(self) -> None:
        """Called when the job has ended, before the buttons are updated."""
