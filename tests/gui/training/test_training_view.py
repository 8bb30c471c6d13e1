"""The training view: live plots, Stop, errors, models, predictions, run history."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time

import pandas as pd
import pytest
from factories import descriptor_table, logp_table, nitrogen_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt, QTimer

import molstudio.gui.qt_compat  # noqa: F401
from molstudio.core.errors import MolStudioError
from molstudio.core.tables.columns import detect_roles
from molstudio.gui.training.view import TrainingView


@pytest.fixture
def view(qtbot):
    widget = TrainingView()
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    yield widget
    widget.shutdown()
    assert not widget.is_busy()  # no thread left running
    widget.close()


def load(view, frame):
    view.set_table(frame, detect_roles(frame), None)
    return frame


def quick(view, epochs=6, hidden=(16, 16), **training):
    """Small, fast settings on the CPU."""
    view.panel.set_architecture("mlp")  # not the graph ensemble preselected for a table with structures
    view.panel.features.set_specs(["morgan_count", "rdkit2d"])  # a descriptor table keeps its columns
    view.panel.hparams.set_values({"hidden_sizes": list(hidden), "dropout": 0.0})
    view.panel.training.set_values({"epochs": epochs, "patience": 0, "lr": 0.01, "batch_size": 32,
                                    "device": "cpu", "ensemble": 1, **training})


def run(view, qtbot, timeout=BACKGROUND_MS):
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=timeout)


def test_training_draws_one_loss_point_per_epoch_and_the_test_scatter(view, qtbot):
    frame = load(view, descriptor_table(120))
    quick(view, epochs=6)
    run(view, qtbot)
    assert view.banner.isHidden()
    train_x, _ = view.loss_plot.train_curve.getData()
    val_x, _ = view.loss_plot.val_curve.getData()
    assert list(train_x) == [1, 2, 3, 4, 5, 6] and list(val_x) == [1, 2, 3, 4, 5, 6]
    assert view.loss_plot.best_line.isVisible()
    # after training: the 12 test compounds (10 % of 120) with their metrics written on the plot
    assert view.results.scatter.count() == 12
    assert view.results.scatter.title.text().startswith("Test set")
    assert "RMSE" in view.results.scatter.text.toPlainText() and "R²" in view.results.scatter.text.toPlainText()
    assert set(view.results.scatter.rows()) <= set(range(len(frame)))
    assert view.metrics.value("rmse", "test") != "–" and view.metrics.value("r2", "train") != "–"
    assert "Finished after 6 epochs" in view.progress.format()
    assert view.model is not None and view.history.table.rowCount() == 1


def test_validation_scatter_is_live_and_stop_keeps_the_best_model(view, qtbot):
    load(view, descriptor_table(120))
    quick(view, epochs=100000)
    lateness = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        lateness.append(now - last[0] - 0.02)
        last[0] = now

    timer = QTimer(interval=20)
    timer.timeout.connect(tick)
    assert view.train()
    qtbot.waitUntil(lambda: view.results.scatter.count() > 0 and view.loss_plot.epoch_count() >= 5,
                    timeout=BACKGROUND_MS)
    assert view.results.scatter.count() == 12  # the validation compounds
    assert view.results.scatter.title.text().startswith("Validation set")
    assert view.is_training() and "Epoch" in view.progress.format() and "left" in view.progress.format()
    last[0] = time.perf_counter()
    timer.start()
    qtbot.wait(400)  # epochs keep coming while the event loop runs
    started = time.perf_counter()
    view.stop()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    took = time.perf_counter() - started
    timer.stop()
    assert took < 1.0, f"Stop took {took:.2f} s"
    assert len(lateness) >= 5 and max(lateness) < 0.5  # the window kept repainting during training
    record = view.history.records[-1]
    assert record.stopped == "cancelled" and view.model is record.model
    assert 1 <= record.best_epoch <= record.epochs_run
    assert view.model.info["best_epoch"] == record.best_epoch
    assert "Stopped" in view.progress.format() and view.train_button.isEnabled()


def test_nan_loss_shows_a_message_and_the_view_stays_usable(view, qtbot):
    load(view, descriptor_table(120))
    quick(view, epochs=50, hidden=(256, 256), optimizer="sgd", lr=10.0)
    run(view, qtbot)
    assert view.banner.isVisible() and view.banner.kind == "error"
    assert "not a number" in view.banner.text()
    assert "failed" in view.progress.format() and view.model is None
    quick(view, epochs=3)
    run(view, qtbot)
    assert view.model is not None and view.loss_plot.epoch_count() == 3


def test_bad_settings_are_explained_not_crashed_on(view, qtbot):
    load(view, descriptor_table(120))
    quick(view, epochs=3)
    view.panel.target.set_selected([])
    for i in range(view.panel.target.targets.count()):
        view.panel.target.targets.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert not view.train()
    assert "Choose the column to predict" in view.banner.text()
    view.panel.target.set_selected(["y"])
    # a split column that holds no train/val/test labels fails in the engine, in the background
    view.panel.split.method.setCurrentIndex(view.panel.split.method.findData("column"))
    view.panel.split.column.setCurrentText("f1")
    run(view, qtbot)
    assert view.banner.kind == "error" and view.banner.isVisible()
    assert not view.is_busy() and view.train_button.isEnabled()


def test_save_model_then_open_it_and_predict_with_the_tables_index(view, qtbot, tmp_path):
    frame = descriptor_table(120)
    frame.index = pd.RangeIndex(100, 220)
    load(view, frame)
    quick(view, epochs=4)
    run(view, qtbot)
    path = tmp_path / "tutorial.molstudio"
    assert view.save_model(path) and path.exists()
    test_rmse = view.metrics.value("rmse", "test")

    other = TrainingView()
    qtbot.addWidget(other)
    load(other, frame)
    assert other.model is None
    assert other.open_model(path)
    assert other.model is not None and other.model.targets == ["y"]
    assert other.metrics.value("rmse", "test") == test_rmse
    assert other.panel.config().hparams["hidden_sizes"] == [16, 16]
    with qtbot.waitSignal(other.predictions_ready, timeout=BACKGROUND_MS) as got:
        assert other.predict_table()
    predictions = got.args[0]
    assert predictions.index.equals(frame.index)
    assert list(predictions.columns) == ["y_predicted", "y_lower", "y_upper", "not_predicted_because"]  # no structures: no domain
    assert predictions["y_predicted"].notna().all()
    qtbot.waitUntil(lambda: not other.is_busy(), timeout=BACKGROUND_MS)
    other.shutdown()


def test_a_damaged_model_or_missing_model_is_explained(view, tmp_path):
    bad = tmp_path / "broken.molstudio"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(MolStudioError, match="broken.molstudio"):
        view.open_model(bad)
    assert view.model is None
    with pytest.raises(MolStudioError, match="no model"):
        view.save_model(tmp_path / "none.molstudio")  # nothing trained yet
    assert not (tmp_path / "none.molstudio").exists()


def test_hovering_shows_the_compound_and_clicking_selects_it(view, qtbot):
    frame = load(view, logp_table())
    quick(view, epochs=3)
    run(view, qtbot)
    scatter = view.results.scatter
    assert scatter.count() > 0
    spot = scatter.points.points()[0]
    row = int(spot.data())
    tip = scatter.tooltip_for(0)
    assert frame["compound_id"].iloc[row] in tip and "<img src='data:image/png;base64," in tip
    vb = scatter.plot.getPlotItem().getViewBox()
    pos = scatter.plot.mapFromScene(vb.mapViewToScene(spot.pos()))
    qtbot.mouseMove(scatter.plot.viewport(), pos)
    qtbot.waitUntil(lambda: frame["compound_id"].iloc[row] in vb.toolTip(), timeout=3000)
    with qtbot.waitSignal(view.compound_selected, timeout=3000) as clicked:
        qtbot.mouseClick(scatter.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args == [row]


def test_classification_shows_roc_curve_and_confusion_matrix(view, qtbot):
    load(view, nitrogen_table())
    assert view.panel.config().task == "classification"
    quick(view, epochs=5)
    view.panel.split.set_values("random", (0.6, 0.2, 0.2), 0, "")
    run(view, qtbot)
    assert view.results.stack.currentWidget() is view.results.roc.parentWidget()
    assert view.results.roc.count() > 1
    record = view.history.records[-1]
    counts = view.results.confusion.values()
    assert counts.sum() == 12  # 20 % of 60 test compounds
    assert view.metrics.value("roc_auc", "test") != "–"
    assert record.task == "classification"


def test_log_scale_toggle_changes_the_loss_axis(view, qtbot):
    load(view, descriptor_table(120))
    quick(view, epochs=3)
    run(view, qtbot)
    axis = view.loss_plot.plot.getPlotItem().getAxis("left")
    assert not axis.logMode
    view.loss_plot.log_scale.setChecked(True)
    assert axis.logMode
    assert view.loss_plot.train_curve.getData()[0].size == 3


def test_run_history_compares_runs_side_by_side(view, qtbot):
    load(view, descriptor_table(120))
    view.panel.set_architecture("linear")
    view.panel.training.set_values({"epochs": 4, "patience": 0, "device": "cpu"})
    run(view, qtbot)
    quick(view, epochs=4)
    run(view, qtbot)
    history = view.history
    assert history.table.rowCount() == 2
    assert [r.config.model for r in history.records] == ["linear", "mlp"]
    history.select_numbers([1, 2])
    assert history.curve_count() == 2
    history.select_numbers([1])
    history.load_button.click()
    assert view.panel.config().model == "linear"
    history.use_button.click()
    assert view.model is history.records[0].model


def test_predict_without_a_model_explains_what_is_missing(view):
    load(view, descriptor_table(120))
    assert not view.predict_button.isEnabled()
    with pytest.raises(MolStudioError, match="needs a model"):
        view.predict_table()
