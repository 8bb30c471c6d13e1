"""Faults in the window: closing it mid-run, a full disk while exporting, a run that breaks down
or fails. The window explains each one and keeps working; no thread outlives it, no model is lost."""

import errno
import gc
import json
import time

import pandas as pd
import pytest
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QMessageBox

from molstudio.core.inputs.vector import VectorInputs
from molstudio.core.tables import writers
from molstudio.core.trained import file as bundle
from molstudio.core.training import fitting, loop
from molstudio.core.training.autosave import find_autosaves
from molstudio.gui.training.recovery import autosave_folder
from molstudio.gui.window import model_actions

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


def quick(view, epochs=6, **training):
    """Small, fast settings on the CPU."""
    view.panel.set_architecture("mlp")
    view.panel.features.set_specs(["morgan_count", "rdkit2d"])
    view.panel.hparams.set_values({"hidden_sizes": [16, 16], "dropout": 0.0})
    view.panel.training.set_values({"epochs": epochs, "patience": 0, "lr": 0.01, "batch_size": 16,
                                    "device": "cpu", "ensemble": 1, **training})


def running_threads():
    return [t for t in gc.get_objects() if issubclass(type(t), QThread) and t.isRunning()]


def test_closing_the_window_mid_run_stops_the_worker_and_keeps_the_best_model(window, open_table, compounds_csv,
                                                                               qtbot):
    tab = open_table(compounds_csv)
    view = tab.training
    quick(view, epochs=100000)
    assert view.train()
    qtbot.waitUntil(lambda: view.loss_plot.epoch_count() >= 3, timeout=BACKGROUND_MS)
    started = time.perf_counter()
    window.close()
    took = time.perf_counter() - started
    assert took < 5, f"closing took {took:.1f} s"
    assert not view.is_busy() and not running_threads()
    (kept,) = find_autosaves(autosave_folder())
    assert kept.info["state"] == "cancelled" and kept.info["source"] == str(compounds_csv.resolve())
    assert kept.info["best_epoch"] >= 1 and kept.info["targets"] == ["logp"]
    assert not list(autosave_folder().glob("*.lock"))  # let go of: the next start may offer it
    model = bundle.load_model(kept.path)
    predictions = model.predict_frame(pd.read_csv(compounds_csv).head(60))["logp_predicted"]
    assert predictions.notna().all()


def test_a_full_disk_during_export_is_shown_and_the_window_keeps_working(window, open_table, compounds_csv, qtbot,
                                                                          tmp_path, monkeypatch):
    tab = open_table(compounds_csv)
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "compounds_predictions.csv"
    real_write = writers.DelimitedWriter._write

    def disk_fills_up(self, frame):
        real_write(self, frame.head(5))  # five rows reach the disk, then it is full
        self._fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.DelimitedWriter, "_write", disk_fills_up)
    input_bytes = compounds_csv.read_bytes()
    model_actions.export_table(window, tab, target)
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=BACKGROUND_MS)
    assert window.last_error.startswith(f"Could not write {target}: the disk is full.")
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and boxes[-1].windowTitle() == "Could not export" and "disk is full" in boxes[-1].text()
    assert list(out.iterdir()) == [] and compounds_csv.read_bytes() == input_bytes
    assert not window.job_label.isVisible()  # the progress of the failed export is gone
    boxes[-1].close()

    monkeypatch.undo()  # space freed: the same export now works
    model_actions.export_table(window, tab, target)
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=BACKGROUND_MS)
    assert len(pd.read_csv(target)) == 63 and [p.name for p in out.iterdir()] == [target.name]


def test_a_loss_that_breaks_down_keeps_the_best_model_and_says_why(window, open_table, compounds_csv, qtbot,
                                                                   monkeypatch):
    view = open_table(compounds_csv).training
    real_loss = fitting.masked_loss
    calls = [0]

    def loss(*args):
        calls[0] += 1
        value = real_loss(*args)
        return value * float("nan") if calls[0] > 9 else value  # 48 training rows: 3 batches an epoch

    monkeypatch.setattr(fitting, "masked_loss", loss)
    monkeypatch.setattr(loop, "_estimate", lambda *args: None)  # its measuring steps would be counted too
    quick(view, epochs=20)
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert view.model is not None and view.model.info["stopped"] == "diverged"
    assert view.banner.kind == "warning" and "Training stopped at epoch 4: the training loss became not a number; " \
        f"the model from epoch {view.model.info['best_epoch']} is kept" in view.banner.text()
    assert view.progress.format().startswith("Stopped (loss not a number) after 3 epochs")
    assert view.predict_button.isEnabled()


def test_a_failed_run_keeps_its_best_model_so_far_as_the_current_model(window, open_table, compounds_csv, qtbot,
                                                                       monkeypatch):
    view = open_table(compounds_csv).training
    real_loss = fitting.masked_loss
    calls = [0]

    def loss(*args):
        calls[0] += 1
        if calls[0] > 12:
            raise RuntimeError("something nobody expected")
        return real_loss(*args)

    monkeypatch.setattr(fitting, "masked_loss", loss)
    quick(view, epochs=20)
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert view.banner.kind == "error" and "something nobody expected" in view.banner.text()
    assert "is kept as the current model: save it with Model ▸ Save Model…" in view.banner.text()
    assert view.model is not None and view.predict_button.isEnabled()
    assert "Training failed" in view.progress.format()


def test_out_of_memory_is_retried_with_a_smaller_batch_and_said(window, open_table, compounds_csv, qtbot,
                                                                monkeypatch):
    view = open_table(compounds_csv).training
    real_batch = VectorInputs.batch

    def batch(self, stored, idx, view_):
        import torch

        if torch.is_grad_enabled() and len(idx) > 8:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real_batch(self, stored, idx, view_)

    monkeypatch.setattr(VectorInputs, "batch", batch)
    quick(view, epochs=3)
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert view.model is not None and view.loss_plot.epoch_count() == 3
    assert "ran out of memory; retrying with batch size 8." in view.banner.text()
    info = json.loads(next(autosave_folder().glob("*.json")).read_text())
    assert info["state"] == "completed"  # the finished run is kept on disk until it is saved
