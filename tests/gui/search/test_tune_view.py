"""Search settings from the GUI: ranges, a live search, Stop, resuming, using the best settings."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time

import optuna
import pytest
from factories import descriptor_table
from gui_fixtures import BACKGROUND_MS

import molstudio.core.search.tuning as tuning
import molstudio.gui.qt_compat  # noqa: F401
from molstudio.core.search.tuning import open_study


@pytest.fixture
def assays(tmp_path):
    path = tmp_path / "assays.csv"
    descriptor_table(120).to_csv(path, index=False)
    return path


@pytest.fixture
def no_pruning(monkeypatch):
    """Every trial runs to its end, so how many trials finish does not depend on chance."""
    monkeypatch.setattr(tuning, "_pruner", lambda name, epochs: optuna.pruners.NopPruner())


def search_view(tab, epochs=3, trials=3):
    """The tab's Search settings page, around a small, fast mlp run on the CPU."""
    view = tab.training
    view.panel.set_architecture("mlp")
    view.panel.hparams.set_values({"hidden_sizes": [16, 16], "dropout": 0.0})
    view.panel.training.set_values({"epochs": epochs, "patience": 0, "lr": 0.01, "batch_size": 32,
                                    "device": "cpu", "ensemble": 1})
    tab.pages.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.search)
    search = view.search
    search.refresh()
    search.trials.setValue(trials)
    return search


def wait_idle(qtbot, search, timeout=BACKGROUND_MS):
    qtbot.waitUntil(lambda: not search.jobs.busy(), timeout=timeout)


def test_a_three_trial_search_fills_the_table_the_curve_and_the_importances(open_table, assays, qtbot, no_pruning):
    tab = open_table(assays)
    search = search_view(tab)
    wait_idle(qtbot, search)
    assert search.storage.text() == str(assays.with_name("assays.search.db"))  # next to the data, as the CLI
    assert search.study_name.text() == "assays-mlp"
    assert search.start()
    assert not tab.training.train_button.isEnabled()  # one job at a time
    wait_idle(qtbot, search)
    assert search.trial_states() == {0: "complete", 1: "complete", 2: "complete"}
    assert search.table.rowCount() == 3
    headers = [search.table.horizontalHeaderItem(i).text() for i in range(search.table.columnCount())]
    assert "Validation RMSE" in headers and "Learning rate" in headers and "Batch size" in headers
    values = [search.rows[n].value for n in range(3)]
    assert search.trial_plot.dot_count() == 3
    _, best = search.trial_plot.best_curve()
    assert best[-1] == pytest.approx(min(values)) and best[0] == pytest.approx(values[0])
    assert "Learning rate" in search.importance_plot.labels  # plain words, not Optuna's "lr"
    assert sum(search.importance_plot.values) == pytest.approx(1.0)
    assert search.progress.format() == "Finished: 3 trial(s) run"
    best = min(range(3), key=lambda n: values[n])
    assert f"Best so far: trial {best}, validation RMSE {values[best]:.4g}" in search.banner.text()
    assert assays.with_name("assays.search.db").is_file()
    assert search.use_button.isEnabled() and tab.training.train_button.isEnabled()


def test_stop_ends_quickly_and_keeps_the_finished_trials(open_table, assays, qtbot, no_pruning):
    tab = open_table(assays)
    search = search_view(tab, epochs=15, trials=1000)
    wait_idle(qtbot, search)
    assert search.start()
    qtbot.waitUntil(lambda: sum(s == "complete" for s in search.trial_states().values()) >= 2, timeout=BACKGROUND_MS)
    started = time.perf_counter()
    search.stop()
    wait_idle(qtbot, search, timeout=BACKGROUND_MS)
    assert time.perf_counter() - started < 3.0
    kept = [t for t in open_study(search.storage.text(), "assays-mlp").trials
            if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(kept) >= 2
    states = search.trial_states()
    assert "running" not in states.values()  # the trial cut short is not shown as if it still ran
    assert sorted(n for n, s in states.items() if s == "complete") == sorted(t.number for t in kept)
    assert search.progress.format().startswith("Stopped")
    assert search.start_button.isEnabled() and search.use_button.isEnabled()


def test_a_search_kept_from_an_earlier_session_is_shown_and_continued(window, open_table, assays, qtbot,
                                                                      no_pruning):
    tab = open_table(assays)
    search = search_view(tab, trials=2)
    wait_idle(qtbot, search)
    assert search.start()
    wait_idle(qtbot, search)
    first = {n: r.value for n, r in search.rows.items()}
    window.close_tab(window.tabs.indexOf(tab))  # as if MolStudio were closed

    tab = open_table(assays)
    search = search_view(tab, trials=1)
    wait_idle(qtbot, search)
    assert {n: r.value for n, r in search.rows.items()} == first  # the earlier trials, as they were
    assert search.banner.isVisible() and "started before: 2 trial(s)" in search.banner.text()
    assert search.trial_plot.dot_count() == 2 and search.use_button.isEnabled()
    assert search.start()
    wait_idle(qtbot, search)
    assert search.trial_states() == {0: "complete", 1: "complete", 2: "complete"}
    assert len(open_study(search.storage.text(), "assays-mlp").trials) == 3
    assert search.start_over(confirm=False)
    assert search.table.rowCount() == 0 and not search.use_button.isEnabled()


def test_a_bad_range_is_explained_and_the_search_does_not_start(open_table, assays, qtbot):
    tab = open_table(assays)
    search = search_view(tab)
    wait_idle(qtbot, search)
    search.ranges.set_range("lr", "1e-2 .. 1e-4")
    assert search.ranges.message.isVisible()
    assert "Learning rate: The search range of lr goes from 0.01 down to 0.0001" in search.ranges.message.text()
    assert not search.start()
    assert search.banner.kind == "error" and "Learning rate" in search.banner.text()
    search.ranges.set_range("lr", "1e-4 .. 1e-2")
    search.ranges.set_range("dropout", "0 .. 2")
    assert "Dropout" in search.ranges.message.text() and "outside the allowed range" in search.ranges.message.text()
    search.ranges.set_range("activation", "relu, swish")
    assert "'swish' is not a valid value for activation" in search.ranges.message.text()
    assert not search.start()
    assert not search.is_running() and not assays.with_name("assays.search.db").exists()
    search.ranges.set_range("dropout", "0 .. 0.3")
    search.ranges.set_range("activation", "relu, gelu")
    assert search.ranges.message.isHidden()
    assert search.ranges.overrides() == {"lr": ("1e-4", "1e-2"), "dropout": ("0", "0.3"),
                                         "activation": ["relu", "gelu"]}


def test_use_best_settings_puts_them_in_the_training_panel(open_table, assays, qtbot, no_pruning):
    tab = open_table(assays)
    search = search_view(tab, trials=2)
    wait_idle(qtbot, search)
    search.ranges.set_range("batch_size", "16")  # fixed: every trial trains with it
    search.ranges.set_range("hidden_sizes", "24, 24")  # fixed layer sizes (commas are one list here)
    assert search.start()
    wait_idle(qtbot, search)
    assert search.trial_states() == {0: "complete", 1: "complete"}
    assert tab.training.panel.training.values()["batch_size"] == 32
    changes = search.use_best()
    config = tab.training.panel.config()
    assert config.training["batch_size"] == 16 and config.hparams["hidden_sizes"] == [24, 24]
    assert "Batch size 32 → 16" in changes and "Hidden sizes 16, 16 → 24, 24" in changes
    assert "the next Train uses them" in search.banner.text() and "Batch size 32 → 16" in search.banner.text()
    best = min(search.rows.values(), key=lambda r: r.value)
    assert config.training["lr"] == pytest.approx(best.params["lr"])


def test_cross_validated_scoring_is_its_own_search(open_table, assays, qtbot, no_pruning):
    tab = open_table(assays)
    search = search_view(tab, trials=1)
    wait_idle(qtbot, search)
    search.scoring.setCurrentIndex(search.scoring.findData(5))
    wait_idle(qtbot, search)
    assert search.study_name.text() == "assays-mlp-cv5"  # not mixed with a search scored on the validation set
    assert "5-fold cross-validation" in search.run_label.text()
    assert search.table.horizontalHeaderItem(2).text() == "5-fold CV RMSE"
    assert search.start()
    wait_idle(qtbot, search)
    assert search.trial_states() == {0: "complete"}
    study = open_study(search.storage.text(), "assays-mlp-cv5")
    assert study.user_attrs["fingerprint"]["folds"] == 5
    assert study.trials[0].value == pytest.approx(search.rows[0].value)
    assert "Best so far: trial 0, 5-fold CV RMSE" in search.banner.text()


def test_a_cross_validated_search_started_from_the_command_line_is_found(open_table, assays, qtbot, no_pruning,
                                                                          capsys):
    from molstudio.cli import main as cli_main

    run = ["--target", "y", "--model", "mlp", "--set", "hidden_sizes=16,16", "--set", "dropout=0", "--set", "epochs=3",
           "--set", "patience=0", "--set", "lr=0.01", "--set", "batch_size=32", "--device", "cpu"]
    assert cli_main(["tune", str(assays), *run, "--folds", "5", "--trials", "1", "--quiet"]) == 0
    capsys.readouterr()
    tab = open_table(assays)
    search = search_view(tab, trials=1)
    wait_idle(qtbot, search)
    search.scoring.setCurrentIndex(search.scoring.findData(5))
    wait_idle(qtbot, search)
    assert search.study_name.text() == "assays-mlp-cv5"  # the name the command line gave it
    assert search.banner.isVisible() and "started before: 1 trial(s)" in search.banner.text()
    assert search.trial_states() == {0: "complete"}
