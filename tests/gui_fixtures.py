"""Fixtures of every GUI test (tests/gui and its folders): offscreen Qt, private settings,
leak checks, small tables. Each GUI folder's conftest.py imports them all."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import gc
import threading
from pathlib import Path

import pandas as pd
import pytest
from factories import logp_table
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths, QThread
from PySide6.QtWidgets import QApplication

import molstudio.gui.qt_compat  # noqa: F401  (PySide6 6.12 would free None after many Qt calls)

# rows a chemist's file really has: a ring left open, a pentavalent carbon, a blank cell
BROKEN = [("BAD1", "C1CC", 1.0), ("BAD2", "C(C)(C)(C)(C)C", 2.0), ("BLANK", "", 3.0)]

# The limit of a wait for background work (reading a file, checking or searching structures,
# counting a split, drawing depictions). Such work shares two cores with the GUI thread and
# with whatever else the machine runs; a file that loads in 0.2 s on an idle machine once
# took more than 20 s on a busy CI machine. Every wait is for a condition, so a long limit
# costs nothing when the work is quick: it only bounds a real hang.
# MOLSTUDIO_TEST_TIMEOUT_SCALE=3 triples it on a machine slower still.
BACKGROUND_MS = int(120_000 * float(os.environ.get("MOLSTUDIO_TEST_TIMEOUT_SCALE", "1")))


@pytest.fixture(autouse=True)
def private_settings(qapp, tmp_path, monkeypatch):
    """Every test gets its own QSettings folder and application data folder (autosaved runs);
    the user's are never touched."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # test-mode QStandardPaths live under $HOME/.qttest
    qapp.setOrganizationName("MolStudioTests")
    qapp.setApplicationName("MolStudioTests")
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield tmp_path / "settings"


@pytest.fixture(autouse=True)
def no_leaks(qapp):
    """Fail a test that leaves a window, a dialog or a running thread behind."""
    before = {id(w) for w in QApplication.topLevelWidgets()}
    python_threads = threading.active_count()
    yield
    for attempt in range(4):  # let close(), deleteLater() and queued signals finish
        if attempt:
            gc.collect()  # parentless popup menus (pyqtgraph's) go with their Python owners
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qapp.processEvents()
        # no reference is kept between rounds: it would keep a Python-owned widget alive
        if not any(id(w) not in before for w in QApplication.topLevelWidgets()):
            break
    leaked = [w for w in QApplication.topLevelWidgets() if id(w) not in before]
    names = [f"{type(w).__name__}({w.windowTitle()!r})" for w in leaked]
    for widget in leaked:
        widget.close()
        widget.deleteLater()
    # type() rather than isinstance(): it does not touch lazy module proxies (torch warns)
    running = [t for t in gc.get_objects() if issubclass(type(t), QThread) and t.isRunning()]
    for thread in running:
        thread.quit()
        thread.wait(5000)
    assert not names, f"windows left open: {names}"
    assert not running, f"{len(running)} QThread(s) still running"
    assert threading.active_count() <= python_threads


@pytest.fixture
def window(qtbot):
    """The main window as the application shows it; closed (and deleted) after the test."""
    from molstudio.gui.window.main_window import MainWindow

    win = MainWindow()
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    win.deleteLater()


@pytest.fixture
def compounds_csv(tmp_path) -> Path:
    """60 valid compounds with an id and logP, then three broken rows (positions 60-62)."""
    frame = logp_table()
    broken = pd.DataFrame(BROKEN, columns=["compound_id", "smiles", "logp"])
    path = tmp_path / "compounds.csv"
    pd.concat([frame, broken], ignore_index=True).to_csv(path, index=False)
    return path


@pytest.fixture
def wait_loaded(qtbot):
    """Wait until a tab holds the whole table and its structures are checked."""

    def wait(tab, timeout: int = BACKGROUND_MS):
        try:
            qtbot.waitUntil(lambda: tab.is_loaded and not tab.jobs.busy(), timeout=timeout)
        except qtbot.TimeoutError:
            running = [name for name in ("load", "check", "search", "atoms") if tab.jobs.is_running(name)]
            raise AssertionError(
                f"{tab.title} not ready after {timeout / 1000:.0f} s: is_loaded={tab.is_loaded}, "
                f"jobs still running: {running or 'none by name'}, busy={tab.jobs.busy()}"
            ) from None
        return tab

    return wait


@pytest.fixture
def open_table(window, wait_loaded):
    """Open a file the way a dropped file is opened, and wait until it is loaded."""

    def open_(path: Path):
        (tab,) = window.open_paths([path])
        return wait_loaded(tab)

    return open_
