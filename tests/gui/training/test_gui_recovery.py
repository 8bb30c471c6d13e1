"""After a crash (or the window closed mid-run) the next start offers the autosaved model, once and
without blocking: Recover makes it the current model, Discard deletes it. A clean end leaves nothing."""

import json
import threading

import numpy as np
import pytest
from factories import logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt

from molstudio.core.run.config import RunConfig
from molstudio.core.trained import file as bundle
from molstudio.core.training.autosave import Autosaver, find_autosaves, sidecar_path
from molstudio.core.training.loop import train
from molstudio.core.training.reports import EpochReport
from molstudio.gui.training.recovery import AutosaveSlot, autosave_folder
from molstudio.gui.window.main_window import MainWindow

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


def crashed_run(source, epochs_before_crash=3):
    """A training that wrote its autosave and then died (no clean end, no lock left)."""
    folder = autosave_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run-crashed.molstudio"
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [16], "dropout": 0.0})
    cfg.training = {"epochs": 50, "patience": 0, "batch_size": 16, "device": "cpu"}
    run = train(cfg, logp_table(), threading.Event(),
                autosave=Autosaver(path, {"source": str(source), "started": "2024-03-05T09:00:00+00:00"}, 0))
    for report in run:
        if isinstance(report, EpochReport) and report.epoch == epochs_before_crash:
            break  # the process is gone: nothing after this epoch happens
    run.close()
    return path


def open_window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_a_crashed_run_is_offered_and_recover_makes_it_the_current_model(qtbot, compounds_csv, tmp_path):
    path = crashed_run(compounds_csv.resolve())
    info = json.loads(sidecar_path(path).read_text())
    assert info["state"] == "running"
    saved = bundle.load_model(path).predict_frame(logp_table())["logp_predicted"].to_numpy()
    win = open_window(qtbot)
    assert win.recovery.isVisible() and win.stack.currentWidget() is win.start_view
    text = win.recovery.text()
    assert text.startswith("A training run of mlp on compounds.csv (logp) was interrupted on ")
    assert text.endswith(f"; the best model so far (epoch {info['best_epoch']}) was saved.")
    qtbot.mouseClick(win.recovery.recover_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.current_tab() is not None and win.current_tab().training.model is not None,
                    timeout=BACKGROUND_MS)
    tab = win.current_tab()
    assert tab.source == compounds_csv.resolve() and not win.recovery.isVisible()
    assert tab.pages.currentWidget() is tab.training
    model = tab.training.model
    assert np.allclose(model.predict_frame(logp_table())["logp_predicted"], saved)
    # usable as any model: predict on the table, save it; saving ends the autosave
    assert tab.training.predict_table()
    qtbot.waitUntil(lambda: "logp_predicted" in tab.frame.columns, timeout=BACKGROUND_MS)
    assert tab.training.save_model(tmp_path / "kept.molstudio")
    assert find_autosaves(autosave_folder()) == [] and bundle.load_model(tmp_path / "kept.molstudio")
    win.close()
    again = open_window(qtbot)
    assert not again.recovery.isVisible()  # nothing left to offer
    again.close()


def test_discard_deletes_the_autosave_and_it_is_not_offered_again(qtbot, compounds_csv):
    path = crashed_run(compounds_csv)
    win = open_window(qtbot)
    assert win.recovery.isVisible()
    qtbot.mouseClick(win.recovery.discard_button, Qt.MouseButton.LeftButton)
    assert not win.recovery.isVisible()
    assert not path.exists() and not sidecar_path(path).exists()
    assert list(autosave_folder().iterdir()) == []
    win.close()


def test_an_offer_left_unanswered_is_made_again_at_the_next_start(qtbot, compounds_csv):
    crashed_run(compounds_csv)
    first = open_window(qtbot)
    assert first.recovery.isVisible()
    second = open_window(qtbot)
    assert not second.recovery.isVisible()  # the first window holds it: offered once
    first.close()
    second.close()
    third = open_window(qtbot)
    assert third.recovery.isVisible()
    third.close()


def test_a_run_still_going_in_another_window_is_not_offered(qtbot, compounds_csv):
    path = crashed_run(compounds_csv)
    live = AutosaveSlot.claim(path)  # as a running MolStudio holds its own run
    try:
        win = open_window(qtbot)
        assert not win.recovery.isVisible()
        win.close()
    finally:
        live.release()


def test_recovering_with_the_table_gone_asks_for_a_table_first(qtbot, tmp_path, compounds_csv):
    moved = tmp_path / "moved_away.csv"
    crashed_run(moved)  # trained on a file that is no longer there
    win = open_window(qtbot)
    assert "moved_away.csv" in win.recovery.text()
    win.recovery.recover_button.click()
    assert "moved_away.csv is no longer at" in win.last_error and "Open a compound table" in win.last_error
    assert win.recovery.isVisible()
    (tab,) = win.open_paths([compounds_csv])
    qtbot.waitUntil(lambda: tab.is_loaded, timeout=BACKGROUND_MS)
    win.recovery.recover_button.click()
    assert tab.training.model is not None and tab.training.model.targets == ["logp"]
    assert not win.recovery.isVisible()
    win.close()


def test_closing_mid_run_then_starting_again_offers_the_run(qtbot, compounds_csv):
    win = open_window(qtbot)
    (tab,) = win.open_paths([compounds_csv])
    qtbot.waitUntil(lambda: tab.is_loaded and not tab.jobs.busy(), timeout=BACKGROUND_MS)
    view = tab.training
    view.panel.set_architecture("mlp")
    view.panel.features.set_specs(["morgan_count"])
    view.panel.hparams.set_values({"hidden_sizes": [16], "dropout": 0.0})
    view.panel.training.set_values({"epochs": 100000, "patience": 0, "batch_size": 16, "device": "cpu",
                                    "ensemble": 1})
    assert view.train()
    qtbot.waitUntil(lambda: view.loss_plot.epoch_count() >= 2, timeout=BACKGROUND_MS)
    win.close()
    again = open_window(qtbot)
    assert again.recovery.text().startswith("A training run of mlp on compounds.csv (logp) was interrupted on ")
    again.recovery.recover_button.click()
    qtbot.waitUntil(lambda: again.current_tab() is not None and again.current_tab().training.model is not None,
                    timeout=BACKGROUND_MS)
    assert again.current_tab().training.model.info["stopped"] == "cancelled"
    again.close()  # closed normally after recovering: a clean end
    assert find_autosaves(autosave_folder()) == []


@pytest.mark.parametrize("end", ["saved", "closed"])
def test_a_clean_end_leaves_no_autosave(qtbot, compounds_csv, tmp_path, end):
    win = open_window(qtbot)
    (tab,) = win.open_paths([compounds_csv])
    qtbot.waitUntil(lambda: tab.is_loaded and not tab.jobs.busy(), timeout=BACKGROUND_MS)
    view = tab.training
    view.panel.set_architecture("mlp")
    view.panel.features.set_specs(["morgan_count"])
    view.panel.training.set_values({"epochs": 3, "patience": 0, "batch_size": 16, "device": "cpu", "ensemble": 1})
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    (during,) = find_autosaves(autosave_folder())  # the finished model is on disk until it is saved
    assert during.info["state"] == "completed" and len(list(autosave_folder().glob("*.lock"))) == 1
    assert "Save it with Model ▸ Save Model… to keep it." in win.statusBar().currentMessage()
    if end == "saved":
        view.save_model(tmp_path / "mine.molstudio")
        assert find_autosaves(autosave_folder()) == []
    win.close()
    assert list(autosave_folder().iterdir()) == []
    again = open_window(qtbot)
    assert not again.recovery.isVisible()
    again.close()


def test_a_new_run_replaces_the_previous_runs_autosave(qtbot, compounds_csv):
    win = open_window(qtbot)
    (tab,) = win.open_paths([compounds_csv])
    qtbot.waitUntil(lambda: tab.is_loaded and not tab.jobs.busy(), timeout=BACKGROUND_MS)
    view = tab.training
    view.panel.set_architecture("mlp")
    view.panel.features.set_specs(["morgan_count"])
    view.panel.training.set_values({"epochs": 2, "patience": 0, "batch_size": 16, "device": "cpu", "ensemble": 1})
    for _ in range(2):
        assert view.train()
        qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert len(find_autosaves(autosave_folder())) == 1
    win.close()
    assert list(autosave_folder().iterdir()) == []  # closing the window ended the second run cleanly
