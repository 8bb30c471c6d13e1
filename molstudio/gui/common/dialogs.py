"""What any part of the application may ask of the main window, and its save dialogs.

:class:`AppWindow` is the base of the main window: a non-blocking error message, the
progress of a window-level job in the status bar, the window's :class:`JobRunner` and the
widget of the open table. :func:`save_dialog` asks where to save and writes there,
reporting a problem in the window instead of raising.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from molstudio.core.errors import MolStudioError
from molstudio.gui.common.jobs import JobRunner


class AppWindow(QMainWindow):
    """The main window as the rest of the application sees it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last_error = ""
        self.jobs = JobRunner(self)
        self.job_label = QLabel()
        self.job_progress = QProgressBar()
        self.job_progress.setMaximumWidth(180)
        self.mc_dropout_action: QAction | None = None  # the Model menu's option, once the menu is built

    def show_job_progress_in_status_bar(self) -> None:
        """Put the job label and bar at the right of the status bar (hidden until a job runs)."""
        self.statusBar().addPermanentWidget(self.job_label)
        self.statusBar().addPermanentWidget(self.job_progress)
        self.set_job_progress(None)

    def current_tab(self) -> QWidget | None:
        """The widget of the open table (the main window's current tab); None without one."""
        return None

    def show_error(self, title: str, message: str) -> None:
        """A non-blocking message box (the window keeps working behind it)."""
        self.last_error = message
        self.statusBar().showMessage(message.splitlines()[0] if message else title, 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def set_job_progress(self, text: str | None, done: int = 0, total: int = 0) -> None:
        """Progress of a window-level job (export, file prediction) in the status bar."""
        self.job_label.setVisible(text is not None)
        self.job_progress.setVisible(text is not None)
        self.job_label.setText(text or "")
        self.job_progress.setRange(0, total)
        self.job_progress.setValue(done)


def guarded(window: AppWindow, title: str, call: Callable[[], Any]) -> bool:
    """Run ``call``; a :class:`MolStudioError` is shown under ``title`` (False) instead of raised."""
    try:
        call()
    except MolStudioError as exc:
        window.show_error(title, str(exc))
        return False
    return True


@dataclass(frozen=True)
class SaveTarget:
    """Where the user chose to save, and whether the chosen format embeds structure images."""

    path: Path
    images: bool = False


def ask_save_target(window: QWidget, caption: str, default: Path,
                    filters: dict[str, tuple[str, bool]]) -> SaveTarget | None:
    """A save dialog; the chosen filter's suffix is added unless the name ends in one the filters list.

    ``filters`` maps a filter text (``"CSV (*.csv)"``) to its suffix and whether it embeds
    images. None when cancelled.
    """
    path, chosen = QFileDialog.getSaveFileName(window, caption, str(default), ";;".join(filters))
    if not path:
        return None
    suffix, images = filters.get(chosen, next(iter(filters.values())))
    known = {s.lower() for text in filters for s in re.findall(r"\*(\.\w+)", text)}
    out = Path(path)
    return SaveTarget(out if out.suffix.lower() in known else Path(path + suffix), images)


def save_dialog(window: AppWindow, caption: str, default: Path, filters: dict[str, tuple[str, bool]],
                write: Callable[[SaveTarget], Any], failure: str, done: str = "") -> SaveTarget | None:
    """Ask where to save, then ``write`` there (atomically, in core); a problem goes to ``show_error``.

    ``done`` is the status-bar message after a successful write, with ``{path}`` filled in.
    Returns the target written (None if cancelled or failed).
    """
    target = ask_save_target(window, caption, default, filters)
    if target is None or not guarded(window, failure, lambda: write(target)):
        return None
    if done:
        window.statusBar().showMessage(done.format(path=target.path), 10000)
    return target
