"""Screenshots of the real main window in each of its main states, for review and the README.

Drives :class:`~molstudio.gui.window.main_window.MainWindow` (offscreen unless a display
platform is set) at 1400 x 900 through: the start view, the built-in ChEMBL binding set
with its structures, a table whose load report lists invalid structures, the training
panel with the recommended graph model (D-MPNN ensemble) preselected, an MLP run in
progress and finished, the predictions as table columns, a small D-MPNN ensemble run
(test scatter with ± bars), the run history comparing the two, the ensemble's
predictions with their ± uncertainty column, and a classification run (ROC curve and
confusion matrix), saving ``window.grab()`` of each as a PNG.

    python benchmarks/gui_screenshots.py [--out docs/screenshots]

(from the repository root, with this checkout importable, e.g. ``PYTHONPATH=.``). The
settings of the run are kept in a temporary folder; the user's settings are not touched.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

import molstudio.gui.qt_compat  # noqa: F401  (before any Qt call)
from molstudio.core.tables.examples import EXAMPLES

SIZE = (1400, 900)
BROKEN = [("1620001", "c1ccc(cc1", 6.1), ("1620002", "CN(C)(C)(C)C", 5.2), ("1620003", "C1CC", 7.3), ("1620004", "", 5.9)]


def wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Run the event loop until ``condition()``; fail naming ``what`` after ``seconds``."""
    app = QApplication.instance()
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(f"gave up waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)


def settle(seconds: float = 0.6) -> None:
    """Let timers, depictions and layouts catch up before a grab."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.instance().processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


class Shooter:
    """Saves grabs of one window under ``out``."""

    def __init__(self, window, out: Path) -> None:
        self.window, self.out = window, out
        self.saved: list[Path] = []

    def __call__(self, name: str) -> Path:
        settle()
        path = self.out / f"{name}.png"
        if not self.window.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        self.saved.append(path)
        print(f"  {path}")
        return path


def loaded(window, tab, seconds: float = 120):
    wait(lambda: tab.is_loaded and not tab.jobs.busy(), seconds, f"{tab.title} to load")
    wait(lambda: not tab.training.panel.split.is_counting(), 30, "the split counts")
    return tab


def choose(tab, model: str, ensemble: int, features: list[str] | None = None) -> None:
    """Pick an architecture, its ensemble size and (optionally) the features in the panel."""
    panel = tab.training.panel
    panel.set_architecture(model)
    panel.training.set_values({"ensemble": ensemble})
    if features is not None:
        panel.features.set_specs(features)


def predict(window, tab) -> None:
    """Model ▸ Predict on This Table, and wait for the columns."""
    from molstudio.gui.window import model_actions

    done = []
    tab.training.predictions_ready.connect(lambda *_: done.append(True))
    model_actions.predict_this_table(window)
    wait(lambda: bool(done) and not tab.training.is_busy(), 300, "the predictions")


def train(tab, epochs: int, patience: int, mid: Callable[[], None] | None = None, at_epoch: int = 0) -> None:
    """Train with the panel's settings (CPU, seeded); ``mid()`` runs once ``at_epoch`` epochs are drawn."""
    panel = tab.training.panel
    panel.training.set_values({"epochs": epochs, "patience": patience, "device": "cpu", "seed": 0})
    tab.pages.setCurrentWidget(tab.training)
    if not tab.training.train():
        raise RuntimeError(f"training did not start: {tab.training.banner.text()}")
    if mid is not None:
        wait(lambda: tab.training.loss_plot.epoch_count() >= at_epoch or not tab.training.is_busy(), 600,
             f"epoch {at_epoch}")
        mid()
    wait(lambda: not tab.training.is_busy(), 900, "the end of training")
    if tab.training.model is None:
        raise RuntimeError(f"training failed: {tab.training.banner.text()}")


def classification_table(folder: Path) -> Path:
    """The ChEMBL set with its potency as a class, the way a chemist's hit list looks."""
    frame = EXAMPLES["chembl_binding"].make()
    frame["outcome"] = np.where(frame["activity"] >= 7.0, "active", "inactive")
    path = folder / "chembl_actives.csv"
    frame[["compound_id", "smiles", "outcome"]].to_csv(path, index=False)
    return path


def broken_table(folder: Path) -> Path:
    """The first 200 ChEMBL compounds and four rows a real file has: typos, a blank."""
    frame = EXAMPLES["chembl_binding"].make().head(200)
    rows = pd.DataFrame(BROKEN, columns=["compound_id", "smiles", "activity"])
    path = folder / "compounds_to_check.csv"
    pd.concat([frame.iloc[:40], rows, frame.iloc[40:]], ignore_index=True).to_csv(path, index=False)
    return path


def shoot_all(out: Path, work: Path) -> list[Path]:
    from molstudio.gui.window.main_window import MainWindow

    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    shot = Shooter(window, out)
    try:
        shot("start")

        tab = loaded(window, window.open_example("chembl_binding"))
        tab.select_position(5)
        shot("compounds")

        checked = loaded(window, window.open_paths([broken_table(work)])[0])
        checked.select_position(40)
        shot("load-report-invalid-structures")
        window.close_tab(window.tabs.indexOf(checked))

        tab.pages.setCurrentWidget(tab.training)
        shot("train-panel-graph-model")  # the recommendation for a table with structures

        choose(tab, "mlp", 1, ["morgan_count", "rdkit2d"])
        train(tab, epochs=150, patience=30, mid=lambda: shot("training-live"), at_epoch=12)
        shot("training")

        predict(window, tab)
        tab.select_position(5)
        shot("compounds-with-predictions")

        choose(tab, "dmpnn", 3, ["rdkit2d"])  # a short run: three networks, 15 epochs each, on the CPU
        train(tab, epochs=15, patience=0)
        shot("training-graph-ensemble")
        tab.training.tabs.setCurrentWidget(tab.training.history)
        tab.training.history.select_numbers([1, 2])
        shot("run-history")
        tab.training.tabs.setCurrentIndex(0)

        predict(window, tab)
        tab.select_position(5)
        shot("compounds-with-uncertainty")

        classes = loaded(window, window.open_paths([classification_table(work)])[0])
        if not classes.training.panel.target.set_selected(["outcome"]):
            raise RuntimeError("the outcome column is not offered as a target")
        choose(classes, "mlp", 1, ["morgan_count", "rdkit2d"])
        train(classes, epochs=60, patience=15)
        shot("classification")
    finally:
        window.close()
        window.deleteLater()
        settle(0.2)
    return shot.saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="folder for the PNG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        QCoreApplication.setOrganizationName("MolStudioScreenshots")
        QCoreApplication.setApplicationName("MolStudioScreenshots")
        QStandardPaths.setTestModeEnabled(True)
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "settings"))
        saved = shoot_all(args.out, work)
    print(f"{len(saved)} screenshots in {args.out}")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
