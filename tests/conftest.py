"""Shared test set-up: tests never need a display (Qt renders off screen), and a session that
used Qt takes it down in order before the interpreter exits."""

import gc
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

THREAD_WAIT_MS = 60_000  # a cancelled job ends within a batch; this only bounds a broken one


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    """Take Qt down while the interpreter is still whole (see :func:`shut_down_qt`)."""
    shut_down_qt()


def shut_down_qt() -> None:
    """End background threads, windows and garbage holding Qt objects before exit.

    Why: at exit PySide6's atexit handler deletes the QApplication (and, in an arbitrary
    order, every Python-owned QObject), and the interpreter then frees whatever is left.
    After the whole suite, the collector has not run a full pass for a long time (the
    core tests leave a large long-lived heap, and CPython skips full passes until it grows
    by a quarter), so tens of thousands of objects from closed windows still sit in
    reference cycles: pyqtgraph WidgetGroups (live QObjects), QPixmaps, QPictures, pens,
    fonts, wrappers of deleted widgets. Freeing those after or during the QApplication's
    destruction is what made the process die with SIGSEGV after every test had passed.
    Here they are freed while the application, its fonts and PySide's signal manager
    still exist, which is the order the application itself has at run time.
    """
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None:  # this session never imported Qt
        return
    app = widgets.QApplication.instance()
    if app is None:
        return
    from PySide6.QtCore import QCoreApplication, QEvent, QThread
    from shiboken6 import isValid

    # 1. no thread may run (Python) code while the interpreter finalizes, and destroying a
    #    running QThread aborts: cancel the jobs the GUI kept as stragglers, end every QThread
    jobs = sys.modules.get("molstudio.gui.common.jobs")
    for worker in list(getattr(jobs, "_STRAGGLERS", ())):
        if isValid(worker):
            worker.cancel()
    threads = [t for t in gc.get_objects() if issubclass(type(t), QThread) and isValid(t)]
    for thread in threads:
        if thread.isRunning():
            thread.quit()  # a worker thread quits when its job returns; this ends idle event loops
            if not thread.wait(THREAD_WAIT_MS):
                sys.stderr.write(f"\nwarning: a QThread ({thread!r}) was still running at the end of the session\n")
    del threads
    # 2. windows a test left behind (the leak check fails such a test, but exit must not crash)
    for widget in widgets.QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    # 3. deferred deletes, then the garbage cycles, until nothing more is found
    for _ in range(10):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        if gc.collect() == 0:
            break
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
