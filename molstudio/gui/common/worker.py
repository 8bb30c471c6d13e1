"""The ONE background-work mechanism of the GUI.

A :class:`Worker` runs a function that returns an iterator (a core generator such as
``training.train``) on a ``QThread``; every yielded object is delivered on the GUI
thread through the ``report`` signal, a :class:`MolStudioError` (or any other
exception) through ``failed`` with a message for the user, and the end through
``finished``. ``cancel()`` sets the ``threading.Event`` the generator checks
(cooperative: the core looks at it every batch), so Stop answers quickly and the
generator ends cleanly with what it has.

Example
-------
>>> worker = Worker(lambda cancel: train(config, frame, cancel))
>>> worker.report.connect(on_report); worker.start()
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from molstudio.core.device import out_of_memory, out_of_memory_message
from molstudio.core.errors import MolStudioError

Job = Callable[[threading.Event], Iterator[Any] | Any]


class _Runner(QObject):
    report = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(self, job: Job, cancel: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self._cancel)
            if hasattr(result, "__next__"):
                # the generator itself winds down when the cancel event is set
                for item in result:
                    self.report.emit(item)
            elif result is not None:
                self.report.emit(result)
        except MolStudioError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug must not kill the window; show it and keep the details
            if out_of_memory(exc):
                self.failed.emit(out_of_memory_message(exc))
            else:
                self.failed.emit(f"Unexpected problem: {exc}\n\n{traceback.format_exc(limit=6)}")
        finally:
            self.done.emit()


class Worker(QObject):
    """Run ``job(cancel_event)`` off the GUI thread; see the module docstring."""

    report = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, job: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self._thread = QThread()
        self._runner = _Runner(job, self.cancel_event)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.report.connect(self.report)
        self._runner.failed.connect(self.failed)
        # direct: quit() must reach the thread even while the GUI thread blocks in wait()
        self._runner.done.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(self._on_thread_finished)
        self._running = False

    def start(self) -> None:
        self._running = True
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_event.set()

    def is_running(self) -> bool:
        return self._running

    def wait(self, msecs: int = 10000) -> bool:
        """Block until the thread has ended (used when the window closes)."""
        if not self._thread.isRunning():
            return True
        return self._thread.wait(msecs)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._running = False
        self.finished.emit()
