"""Autosaved training runs in the window: where they live, who holds them, the offer to recover.

Each training run writes its best model so far to a file of its own in
``<application data>/autosave/`` (see :mod:`molstudio.core.training.autosave`), and the window
holds a lock file beside it (:class:`AutosaveSlot`) for as long as the run is its own. A
clean end deletes the file: the model saved by the user, the run replaced by the next
one, the tab or the window closed with no training running. A run that did not end
cleanly (the window closed during training, or MolStudio crashed) leaves its file
unlocked; at the next start the window offers it in a :class:`RecoveryBanner`.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from molstudio.core.training.autosave import (
    Autosave,
    Autosaver,
    find_autosaves,
    read_autosave,
    remove_autosave,
)

LOCK_SUFFIX = ".lock"
_numbers = itertools.count(1)
FINISHED = ("completed", "early_stopping", "diverged")


def autosave_folder() -> Path:
    """Where the window keeps its autosaves (the application's data folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "autosave"


class AutosaveSlot:
    """One run's autosave file, locked while this window owns it."""

    def __init__(self, path: Path, lock: QLockFile) -> None:
        self.path = path
        self._lock = lock

    @classmethod
    def create(cls, folder: Path | None = None) -> AutosaveSlot:
        """A new, locked slot for a run starting now; raises OSError if the folder cannot be made."""
        folder = folder or autosave_folder()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"run-{_dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-{next(_numbers)}.molstudio"
        slot = cls.claim(folder / name)
        if slot is None:
            raise OSError(f"cannot lock {folder / name}")
        return slot

    @classmethod
    def claim(cls, path: Path) -> AutosaveSlot | None:
        """Lock ``path`` for this window; None when a running MolStudio holds it."""
        lock = QLockFile(str(path) + LOCK_SUFFIX)
        lock.setStaleLockTime(0)  # a lock is stale only when its process is gone, however old it is
        return cls(path, lock) if lock.tryLock(0) else None

    def saver(self, details: dict[str, Any]) -> Autosaver:
        """What :func:`molstudio.core.training.loop.train` writes through."""
        return Autosaver(self.path, details)

    def read(self) -> Autosave | None:
        return read_autosave(self.path)

    def discard(self) -> None:
        """A clean end: delete the autosave and let go of it."""
        remove_autosave(self.path)
        self.release()

    def release(self) -> None:
        """Let go of the autosave but keep it: the next start offers it."""
        self._lock.unlock()


def claim_leftovers(folder: Path | None = None) -> list[tuple[AutosaveSlot, Autosave]]:
    """The autosaves no running MolStudio holds (newest first), each now locked by the caller."""
    claimed = []
    for found in find_autosaves(folder or autosave_folder()):
        slot = AutosaveSlot.claim(found.path)
        if slot is not None:
            claimed.append((slot, found))
    return claimed


def describe(found: Autosave) -> str:
    """The offer, in words: what was trained on which file, when, and what was kept."""
    info = found.info
    source = str(info.get("source") or "")
    table = Path(source).name if source else "an example table"
    targets = ", ".join(str(t) for t in info.get("targets", [])) or "?"
    when = _local_time(str(info.get("saved", "")))
    epoch = info.get("best_epoch") or info.get("epoch") or "?"
    members = int(info.get("members", 1) or 1)
    networks = f", {info.get('members_saved', 1)} of {members} networks" if members > 1 else ""
    if info.get("state") in FINISHED:
        return (f"A model of {info.get('architecture', '?')} trained on {table} ({targets}) on {when} was "
                f"never saved; MolStudio kept it (epoch {epoch}{networks}).")
    return (f"A training run of {info.get('architecture', '?')} on {table} ({targets}) was interrupted on "
            f"{when}; the best model so far (epoch {epoch}{networks}) was saved.")


def _local_time(stamp: str) -> str:
    try:
        moment = _dt.datetime.fromisoformat(stamp).astimezone()
    except ValueError:
        return "an earlier day"
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M}"


class RecoveryBanner(QFrame):
    """A strip across the top of the window offering an autosaved model: Recover or Discard."""

    recover_requested = Signal()
    discard_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setStyleSheet("QFrame#recoveryBanner { background: #fff6d6; border-bottom: 1px solid #e0c46c; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recover_button = QPushButton("Recover")
        self.recover_button.setToolTip("Open the saved model as the current model, to save it or predict with it.")
        self.recover_button.clicked.connect(self.recover_requested)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Delete the saved model.")
        self.discard_button.clicked.connect(self.discard_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.recover_button)
        row.addWidget(self.discard_button)
        self.hide()

    def offer(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text()
