"""The Model menu and File ▸ Export Predictions: dialogs around the current tab.

Saving, opening and predicting belong to the tab's training view; exporting a
table and predicting a file run through :mod:`molstudio.core` in the background.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu

from molstudio.core.tables import reading as io
from molstudio.core.trained import predict
from molstudio.gui.common.dialogs import AppWindow, guarded, save_dialog
from molstudio.gui.explain.importance_view import open_importance
from molstudio.gui.window.data_tab import DataTab

MODEL_FILTER = "MolStudio model (*.molstudio)"
CONFIG_FILTER = "Run configuration (*.toml)"
MODEL_FILTERS = {MODEL_FILTER: (".molstudio", False)}
CONFIG_FILTERS = {CONFIG_FILTER: (".toml", False)}
TABLE_FILTER = "Compound tables (*.csv *.tsv *.txt *.xlsx *.sdf *.sd *.smi)"
EXPORT_FILTERS = {
    "CSV (*.csv)": (".csv", False),
    "Excel workbook (*.xlsx)": (".xlsx", False),
    "Excel workbook with structure images (*.xlsx)": (".xlsx", True),
    "SDF (*.sdf *.sd)": (".sdf", False),
    "Tab-separated text (*.tsv *.txt)": (".tsv", False),
    "SMILES and names (*.smi)": (".smi", False),
}


class _RowsDone(QObject):
    """Carries the row count of a running prediction to the GUI thread (a queued signal)."""

    rows = Signal(int)


def build_model_menu(window: AppWindow, menu: QMenu) -> None:
    entries: list[tuple[str, Callable[[], None], str | None]] = [
        ("&Save Model…", lambda: save_model_dialog(window), "Ctrl+S"),
        ("&Open Model…", lambda: open_model_dialog(window), "Ctrl+Shift+O"),
        ("", lambda: None, None),
        ("&Predict on This Table", lambda: predict_this_table(window), "Ctrl+P"),
        ("Predict &File…", lambda: predict_file_dialog(window), None),
        ("", lambda: None, None),
        ("Feature &Importance…", lambda: feature_importance_dialog(window), None),
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
        if text == "Predict &File…":
            mc_dropout = menu.addAction("Uncertainty by &MC-Dropout (single networks)")
            mc_dropout.setCheckable(True)
            mc_dropout.setToolTip(
                "For a single network trained with dropout: predict 20 times with dropout on and show their spread "
                "as ± uncertainty, with the interval calibrated for it. An ensemble always shows its networks' spread.")
            window.mc_dropout_action = mc_dropout


def feature_importance_dialog(window: AppWindow) -> None:
    """Model ▸ Feature Importance…: a window of its own (:mod:`molstudio.gui.explain.importance_view`)."""
    tab = _model_tab(window)
    if tab is not None:
        model = tab.training.model
        assert model is not None  # _model_tab refuses a tab without one
        open_importance(window, tab.title, tab.source, tab.frame, model)


def use_mc_dropout(window: AppWindow, model: Any) -> bool:
    """Whether predictions by ``model`` use MC-dropout (the menu option; ensembles never do)."""
    action = getattr(window, "mc_dropout_action", None)
    return bool(action is not None and action.isChecked() and model is not None and not model.is_ensemble)


def _tab(window: AppWindow) -> DataTab | None:
    tab = window.current_tab()
    if not isinstance(tab, DataTab):
        window.show_error("No table open", "Open a compound table first (File ▸ Open or drop a file on the window).")
        return None
    return tab


def _model_tab(window: AppWindow) -> DataTab | None:
    tab = _tab(window)
    if tab is not None and tab.training.model is None:
        window.show_error("No model yet", "Train a model on this table, or open one with Model ▸ Open Model…")
        return None
    return tab


def _folder(tab: DataTab | None) -> str:
    return str(tab.source.parent) if tab is not None and tab.source is not None else str(Path.home())


def _stem(tab: DataTab) -> str:
    return tab.source.stem if tab.source is not None else tab.title.lower().replace(" ", "_")


def save_model_dialog(window: AppWindow) -> None:
    tab = _model_tab(window)
    if tab is not None:
        save_dialog(window, "Save model", Path(_folder(tab), f"{_stem(tab)}.molstudio"), MODEL_FILTERS,
                    lambda target: tab.training.save_model(target.path), "Could not save the model",
                    "Model saved to {path}")


def open_dialog(window: AppWindow, caption: str, file_filter: str, read: Callable[[DataTab, Path], Any],
                failure: str) -> None:
    """Ask for a file to open into the current tab, then ``read`` it; a problem goes to ``show_error``."""
    tab = _tab(window)
    if tab is None:
        return
    path, _ = QFileDialog.getOpenFileName(window, caption, _folder(tab), file_filter)
    if path:
        guarded(window, failure, lambda: read(tab, Path(path)))


def open_model_dialog(window: AppWindow) -> None:
    open_dialog(window, "Open model", MODEL_FILTER, lambda tab, path: tab.training.open_model(path),
                "Could not open the model")


def predict_this_table(window: AppWindow) -> None:
    tab = _model_tab(window)
    if tab is not None:
        guarded(window, "Could not predict",
                 lambda: tab.training.predict_table(use_mc_dropout(window, tab.training.model)))


def export_config_dialog(window: AppWindow) -> None:
    tab = _tab(window)
    if tab is not None:
        save_dialog(window, "Export run configuration", Path(_folder(tab), f"{_stem(tab)}_run.toml"), CONFIG_FILTERS,
                    lambda target: tab.training.export_run_config(target.path),
                    "Could not export the run configuration",
                    "Run configuration written to {path} (molstudio-cli train --config)")


def import_config_dialog(window: AppWindow) -> None:
    open_dialog(window, "Import run configuration", CONFIG_FILTER,
                lambda tab, path: tab.training.import_run_config(path), "Could not import the run configuration")


def export_dialog(window: AppWindow) -> None:
    tab = _tab(window)
    if tab is None:
        return
    if not tab.is_loaded:
        window.show_error("Still reading", f"{tab.title} is still being read; export it once it is in.")
        return
    # the write runs in the background; export_table reports its end and its problems itself
    save_dialog(window, "Export table with predictions", Path(_folder(tab), f"{_stem(tab)}_predictions.csv"),
                EXPORT_FILTERS, lambda target: export_table(window, tab, target.path, images=target.images),
                "Could not export")


def export_table(window: AppWindow, tab: DataTab, path: Path, images: bool = False) -> None:
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


def predict_file_dialog(window: AppWindow) -> None:
    tab = _model_tab(window)
    if tab is None:
        return
    source, _ = QFileDialog.getOpenFileName(window, "Predict compounds in a file", _folder(tab), TABLE_FILTER)
    if not source:
        return
    model = tab.training.model
    save_dialog(window, "Save predictions as", Path(source).with_name(f"{Path(source).stem}_predictions.csv"),
                EXPORT_FILTERS, lambda target: predict_file(window, model, Path(source), target.path, target.images),
                "Prediction failed")


def predict_file(window: AppWindow, model: Any, source: Path, out: Path, images: bool = False) -> None:
    """Stream ``source`` through ``model`` into ``out`` in the background (any file size)."""
    mc_dropout = use_mc_dropout(window, model)
    relay = _RowsDone(window)
    relay.rows.connect(lambda n: window.set_job_progress(f"Predicting {source.name}: {n:,} rows", 0, 0))
    window.set_job_progress(f"Predicting {source.name}…")

    def job(cancel: threading.Event) -> predict.PredictionSummary:
        return predict.predict_file(model, source, out, images=images, progress=relay.rows.emit, cancel=cancel,
                                    mc_dropout=mc_dropout)

    def done(summary: predict.PredictionSummary) -> None:
        flagged = f", {summary.flagged:,} rows flagged" if summary.flagged else ""
        outside = f", {summary.outside:,} outside the applicability domain" if summary.outside else ""
        window.statusBar().showMessage(f"{summary.rows:,} predictions written to {out}{flagged}{outside}", 15000)

    def finished() -> None:
        window.set_job_progress(None)
        relay.deleteLater()

    window.jobs.start("predict", job, done, lambda message: window.show_error("Prediction failed", message), finished)
