"""Model ▸ Feature Importance…: the descriptor a target depends on is ranked first in the bars and the
exported table, the metric is stated in words, Stop works, SHAP is offered only when installed,
and a model on structures is pointed to the atom contributions."""

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table, logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtWidgets import QFileDialog

from molstudio.core.explain.importance import ShapValues
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.trained.file import save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.explain import importance_view
from molstudio.gui.explain.importance_view import ImportanceWindow
from molstudio.gui.window import model_actions


def _frame(n=120, seed=0):
    frame = descriptor_table(n, seed=seed)
    frame["y"] = 3 * frame["f2"] + np.random.default_rng(seed).normal(0, 0.05, n)  # f2 alone matters
    return frame


@pytest.fixture(scope="module")
def descriptor_model(tmp_path_factory):
    config = RunConfig(model="mlp", targets=["y"], features=["columns"], descriptor_columns=["f1", "f2", "f3", "f4"],
                       hparams={"hidden_sizes": [32], "dropout": 0.0}, split=SplitConfig(sizes=(1.0, 0.0, 0.0)),
                       training={"epochs": 30, "lr": 0.01, "patience": 0, "seed": 0, "device": "cpu"})
    return save_model(run_to_end(config, _frame()).model, tmp_path_factory.mktemp("models") / "y.molstudio")


@pytest.fixture
def descriptor_csv(tmp_path):
    path = tmp_path / "assay.csv"
    _frame(60, seed=3).to_csv(path, index=False)
    return path


def open_view(window, qtbot):
    model_actions.feature_importance_dialog(window)
    (view,) = [v for v in window.findChildren(ImportanceWindow) if v.isVisible()]
    assert not view.isModal()
    return view


def test_the_descriptor_the_target_depends_on_comes_first(window, open_table, descriptor_csv, descriptor_model,
                                                           qtbot, monkeypatch, tmp_path):
    tab = open_table(descriptor_csv)
    assert tab.training.open_model(descriptor_model)
    view = open_view(window, qtbot)
    qtbot.waitUntil(lambda: view.result is not None, timeout=BACKGROUND_MS)
    assert view.labels[0] == "f2" and sorted(view.labels) == ["f1", "f2", "f3", "f4"]
    ticks = view.plot.getPlotItem().getAxis("left")._tickLevels[0]
    assert max(ticks)[1] == "f2"  # the top bar
    bars = view.bars.opts["width"]
    assert bars[0] > 10 * np.abs(bars[1:]).max()
    summary = view.summary.text()
    assert "RMSE of y on the 60 compounds of assay.csv" in summary
    assert "rises" in summary and "relies most on <b>f2</b>" in summary
    assert "Rise in RMSE of y when the descriptor is shuffled" in view.plot.getPlotItem().getAxis("bottom").labelText
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "ranked"), "CSV (*.csv)"))
    view.export_button.click()
    exported = pd.read_csv(tmp_path / "ranked.csv")
    assert exported["feature"].iloc[0] == "f2" and len(exported) == 4
    assert list(exported.columns[:3]) == ["feature", "importance_mean", "importance_std"]
    view.close()


def test_stop_ends_the_measurement_and_it_can_run_again(window, open_table, descriptor_csv, descriptor_model, qtbot):
    tab = open_table(descriptor_csv)
    assert tab.training.open_model(descriptor_model)
    view = open_view(window, qtbot)
    view.stop()
    assert view.result is None and "Stopped" in view.summary.text() and view.run_button.isEnabled()
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=BACKGROUND_MS)
    assert view.result is None  # a stopped job's late result is dropped
    view.repeats.setValue(2)
    view.run_button.click()
    qtbot.waitUntil(lambda: view.result is not None, timeout=BACKGROUND_MS)
    assert "mean of 2 shuffles" in view.summary.text()
    view.close()


def test_shap_is_offered_only_when_installed(window, open_table, descriptor_csv, descriptor_model, qtbot,
                                             monkeypatch):
    tab = open_table(descriptor_csv)
    assert tab.training.open_model(descriptor_model)
    monkeypatch.setattr(importance_view, "shap_available", lambda: False)
    view = open_view(window, qtbot)
    assert not view.shap_choice.isVisibleTo(view)
    assert 'pip install "molstudio[explain]"' in view.shap_note.text()
    view.close()
    # installed: the option shows mean |SHAP| per feature (the engine's values stood in for here)
    monkeypatch.setattr(importance_view, "shap_available", lambda: True)
    values = pd.DataFrame({"f1": [0.1, -0.1], "f2": [2.0, -3.0], "f3": [0.0, 0.2], "f4": [0.0, 0.0]})
    monkeypatch.setattr(importance_view.feature_importance, "shap_values",
                        lambda model, frame, target: ShapValues(values, 1.0, "units of y"))
    view = open_view(window, qtbot)
    qtbot.waitUntil(lambda: view.result is not None, timeout=BACKGROUND_MS)
    view.shap_choice.setChecked(True)
    qtbot.waitUntil(lambda: view.shap is not None, timeout=BACKGROUND_MS)
    assert view.labels == ["f2", "f1", "f3", "f4"]
    assert view.bars.opts["width"][0] == pytest.approx(2.5)
    assert "Mean |SHAP value| (units of y)" in view.plot.getPlotItem().getAxis("bottom").labelText
    view.close()


def test_a_model_on_structures_is_pointed_to_atom_contributions(window, open_table, tmp_path, qtbot):
    path = tmp_path / "logp.csv"
    logp_table(30).to_csv(path, index=False)
    config = RunConfig(model="dmpnn", hparams={"hidden_size": 16, "ffn_hidden_size": 16},
                       training={"epochs": 1, "patience": 0, "device": "cpu"})
    model = save_model(run_to_end(config, logp_table(30)).model, tmp_path / "graph.molstudio")
    tab = open_table(path)
    assert tab.training.open_model(model)
    model_actions.feature_importance_dialog(window)
    assert window.findChild(ImportanceWindow) is None
    assert "reads the structures themselves" in window.last_error
    assert "Atom contributions" in window.last_error
