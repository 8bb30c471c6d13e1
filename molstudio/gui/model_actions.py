"""The Model menu and File ▸ Export Predictions: dialogs around the current tab.

Saving, opening and predicting belong to the tab's training view; exporting a
table and predicting a file run through :mod:`molstudio.core` in the background.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu

from molstudio.core import io, predict
from molstudio.core.errors import MolStudioError

if TYPE_CHECKING:
    from molstudio.gui.data_tab import DataTab
    from molstudio.gui.main_window import MainWindow

MODEL_FILTER = "MolStudio model (*.molstudio)"
CONFIG_FILTER = "Run configuration (*.toml)"
TABLE_FILTER = "Compound tables (*.csv *.tsv *.txt *.xlsx *.sdf *.sd *.smi)"
EXPORT_FILTERS = {
    "CSV (*.csv)": (".csv", False),
    "Excel workbook (*.xlsx)": (".xlsx", False),
    "Excel workbook with structure images (*.xlsx)": (".xlsx", True),
    "SDF (*.sdf)": (".sdf", False),
    "Tab-separated text (*.tsv)": (".tsv", False),
}


class _RowsDone(QObject):
    """Carries the row count of a running prediction to the GUI thread (a queued signal)."""

    rows = Signal(int)


def build_model_menu(window: MainWindow, menu: QMenu) -> None:
    entries: list[tuple[str, Callable[[], None], str | None]] = [
        ("&Save Model…", lambda: save_model_dialog(window), "Ctrl+S"),
        ("&Open Model…", lambda: open_model_dialog(window), "Ctrl+Shift+O"),
        ("", lambda: None, None),
        ("&Predict on This Table", lambda: predict_this_table(window), "Ctrl+P"),
        ("Predict &File…", lambda: predict_file_dialog(window), None),
        ("", lambda: None, None),
        ("E&xport Run Config…", lambda: export_config_dialog(window), None),
        ("&Import Run Config…", lambda: import_config_dialog(window), None),
    ]
    for text, slot, shortcut in entries:
        if not text:
            menu.addSeparator()
            continue
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))


def _tab(window: MainWindow) -> DataTab | None:
    tab = window.current_tab()
    if tab is None:
        window.show_error("No table open", "Open a compound table first (File ▸ Open or drop a file on the window).")
    return tab


def _model_tab(window: MainWindow) -> DataTab | None:
    tab = _tab(window)
    if tab is not None and tab.training.model is None:
        window.show_error("No model yet", "Train a model on this table, or open one with Model ▸ Open Model…")
        return None
    return tab


def _guarded(window: MainWindow, title: str, call: Callable[[], Any]) -> bool:
    try:
        call()
    except MolStudioError as exc:
        window.show_error(title, str(exc))
        return False
    return True


def _folder(tab: DataTab | None) -> str:
    return str(tab.source.parent) if tab is not None and tab.source is not None else str(Path.home())


def _stem(tab: DataTab) -> str:
    return tab.source.stem if tab.source is not None else tab.title.lower().replace(" ", "_")


def save_model_dialog(window: MainWindow) -> None:
    tab = _model_tab(window)
    if tab is None:
        return
    default = str(Path(_folder(tab), f"{_stem(tab)}.molstudio"))
    path, _ = QFileDialog.getSaveFileName(window, "Save model", default, MODEL_FILTER)
    if path:
        path = path if path.endswith(".molstudio") else path + ".molstudio"
        if _guarded(window, "Could not save the model", lambda: tab.training.save_model(Path(path))):
            window.statusBar().showMessage(f"Model saved to {path}", 8000)


def open_model_dialog(window: MainWindow) -> None:
    tab = _tab(window)
    if tab is None:
        return
    path, _ = QFileDialog.getOpenFileName(window, "Open model", _folder(tab), MODEL_FILTER)
    if path:
        _guarded(window, "Could not open the model", lambda: tab.training.open_model(Path(path)))


def predict_this_table(window: MainWindow) -> None:
    tab = _model_tab(window)
    if tab is not None:
        _guarded(window, "Could not predict", tab.training.predict_table)


def export_config_dialog(window: MainWindow) -> None:
    tab = _tab(window)
    if tab is None:
        return
    default = str(Path(_folder(tab), f"{_stem(tab)}_run.toml"))
    path, _ = QFileDialog.getSaveFileName(window, "Export run configuration", default, CONFIG_FILTER)
    if path:
        path = path if path.endswith(".toml") else path + ".toml"
        if _guarded(window, "Could not export the run configuration", lambda: tab.training.export_run_config(Path(path))):
            window.statusBar().showMessage(f"Run configuration written to {path} (molstudio-cli train --config)", 10000)


def import_config_dialog(window: MainWindow) -> None:
    tab = _tab(window)
    if tab is None:
        return
    path, _ = QFileDialog.getOpenFileName(window, "Import run configuration", _folder(tab), CONFIG_FILTER)
    if path:
        _guarded(window, "Could not import the run configuration", lambda: tab.training.import_run_config(Path(path)))


def export_dialog(window: MainWindow) -> None:
    tab = _tab(window)
    if tab is None:
        return
    if not tab.is_loaded:
        window.show_error("Still reading", f"{tab.title} is still being read; export it once it is in.")
        return
    default = str(Path(_folder(tab), f"{_stem(tab)}_predictions.csv"))
    path, chosen = QFileDialog.getSaveFileName(window, "Export table with predictions", default, ";;".join(EXPORT_FILTERS))
    if not path:
        return
    suffix, images = EXPORT_FILTERS.get(chosen, (".csv", False))
    out = Path(path) if Path(path).suffix else Path(path + suffix)
    export_table(window, tab, out, images=images)


def export_table(window: MainWindow, tab: DataTab, path: Path, images: bool = False) -> None:
    """Write the tab's table, every input column, prediction columns and row order kept."""
    frame = tab.frame  # pandas copy-on-write: later edits of the tab do not reach this
    structure = tab.roles.structure if tab.roles else None
    window.set_job_progress(f"Exporting {path.name}…")

    def job(cancel: threading.Event) -> Path:
        io.write_table(frame, path, structure_column=structure, images=images, forbid=tab.source)
        return path

    def done(written: Path) -> None:
        window.statusBar().showMessage(f"{len(frame):,} rows exported to {written}", 10000)

    window.jobs.start(
        "export", job, done, lambda message: window.show_error("Could not export", message),
        lambda: window.set_job_progress(None),
    )


def predict_file_dialog(window: MainWindow) -> None:
    tab = _model_tab(window)
    if tab is None:
        return
    source, _ = QFileDialog.getOpenFileName(window, "Predict compounds in a file", _folder(tab), TABLE_FILTER)
    if not source:
        return
    default = str(Path(source).with_name(f"{Path(source).stem}_predictions.csv"))
    out, chosen = QFileDialog.getSaveFileName(window, "Save predictions as", default, ";;".join(EXPORT_FILTERS))
    if out:
        suffix, images = EXPORT_FILTERS.get(chosen, (".csv", False))
        out_path = Path(out) if Path(out).suffix else Path(out + suffix)
        predict_file(window, tab.training.model, Path(source), out_path, images=images)


def predict_file(window: MainWindow, model: Any, source: Path, out: Path, images: bool = False) -> None:
    """Stream ``source`` through ``model`` into ``out`` in the background (any file size)."""
    relay = _RowsDone(window)
    relay.rows.connect(lambda n: window.set_job_progress(f"Predicting {source.name}: {n:,} rows", 0, 0))
    window.set_job_progress(f"Predicting {source.name}…")

    def job(cancel: threading.Event) -> predict.PredictionSummary:
        return predict.predict_file(model, source, out, images=images, progress=relay.rows.emit, cancel=cancel)

    def done(summary: predict.PredictionSummary) -> None:
        flagged = f", {summary.flagged:,} rows flagged" if summary.flagged else ""
        window.statusBar().showMessage(f"{summary.rows:,} predictions written to {out}{flagged}", 15000)

    def finished() -> None:
        window.set_job_progress(None)
        relay.deleteLater()

    window.jobs.start("predict", job, done, lambda message: window.show_error("Prediction failed", message), finished)
