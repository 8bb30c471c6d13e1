"""Book-keeping for the :class:`~molstudio.gui.common.worker.Worker` objects a widget starts.

One running job per name ("load", "check", "search", ...): starting a name again
cancels the previous job of that name, and its late reports are ignored. The
owner calls :meth:`JobRunner.shutdown` when it closes, which cancels every job and
waits for its thread, so no thread outlives its window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal

from molstudio.gui.common.worker import Job, Worker

# threads that did not end in time are kept referenced: destroying a running
# QThread aborts the process
_STRAGGLERS: list[Worker] = []


class JobRunner(QObject):
    """Starts, replaces, cancels and waits for named background jobs."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: dict[str, Worker] = {}
        self._all: list[Worker] = []

    def start(
        self,
        name: str,
        job: Job,
        on_report: Callable[[Any], None],
        on_failed: Callable[[str], None],
        on_finished: Callable[[], None] | None = None,
    ) -> Worker:
        """Run ``job`` off the GUI thread; the callbacks run on the GUI thread."""
        self.cancel(name)
        worker = Worker(job)
        self._current[name] = worker
        self._all.append(worker)

        def current() -> bool:
            return self._current.get(name) is worker

        worker.report.connect(lambda item: on_report(item) if current() else None)
        worker.failed.connect(lambda message: on_failed(message) if current() else None)
        worker.finished.connect(lambda: self._finished(name, worker, on_finished if current() else None))
        worker.start()
        self.busy_changed.emit(True)
        return worker

    def cancel(self, name: str) -> None:
        """Ask the job ``name`` to stop; its remaining reports are dropped."""
        worker = self._current.pop(name, None)
        if worker is not None:
            worker.cancel()

    def is_running(self, name: str) -> bool:
        worker = self._current.get(name)
        return worker is not None and worker.is_running()

    def busy(self) -> bool:
        return any(w.is_running() for w in self._all)

    def shutdown(self, msecs: int = 10000) -> bool:
        """Cancel every job and wait for the threads; False if one did not end in time."""
        self._current.clear()
        workers = list(self._all)
        for worker in workers:
            worker.cancel()
        wait_for_queued(lambda: not any(w.is_running() for w in workers), msecs)
        ended = True
        for worker in workers:
            if not worker.wait(10):
                _STRAGGLERS.append(worker)
                ended = False
        self._all.clear()
        return ended

    def _finished(self, name: str, worker: Worker, callback: Callable[[], None] | None) -> None:
        if self._current.get(name) is worker:
            del self._current[name]
        if worker in self._all:
            self._all.remove(worker)
        for signal in (worker.report, worker.failed, worker.finished):
            signal.disconnect()  # frees the closures that hold the worker
        if callback is not None:
            callback()
        if not self.busy():
            self.busy_changed.emit(False)


def wait_for_queued(done: Callable[[], bool], msecs: int) -> bool:
    """Deliver queued signals until ``done()`` or ``msecs`` pass; whether it got done.

    A Worker's thread is told to quit through a queued call to the GUI thread, so
    blocking in ``Worker.wait`` alone would wait out its whole timeout. User input
    is not delivered here (only queued signal calls), so nothing re-enters the window.
    """
    deadline = time.monotonic() + msecs / 1000
    while not done():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
        time.sleep(0.005)
    return True
