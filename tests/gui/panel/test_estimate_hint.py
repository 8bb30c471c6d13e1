"""How long a run will take, in the training panel (and its quick choice) and in the training view."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from factories import descriptor_table, logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt

import molstudio.gui.qt_compat  # noqa: F401
from molstudio.core.run.choices import recommended_start
from molstudio.core.tables.columns import detect_roles
from molstudio.core.training.reports import EpochReport, EstimateReport
from molstudio.gui.common.run_status import ProgressLine
from molstudio.gui.panel import estimate_hint
from molstudio.gui.panel.data_sections import spec_name
from molstudio.gui.panel.train_panel import TrainPanel
from molstudio.gui.training.view import TrainingView


@pytest.fixture
def panel(qtbot):
    widget = TrainPanel()
    qtbot.addWidget(widget)
    widget.resize(420, 900)
    widget.show()
    yield widget
    widget.shutdown()


def test_progress_line_says_the_estimate_until_the_epochs_say_more(qtbot):
    line = ProgressLine()
    qtbot.addWidget(line)
    line.start()
    line.estimate(EstimateReport(seconds=400, networks=5, epochs=25, max_epochs=25))
    assert "Training · about 7 minutes in all (5 networks × 25 epochs)" in line.format()
    line.epoch(EpochReport(epoch=1, epochs=25, train_loss=1.0, val_loss=None, val_metrics={},
                           val_rows=np.zeros(0, int), val_true=np.zeros((0, 1)), val_pred=np.zeros((0, 1)),
                           best_epoch=1, lr=1e-3, elapsed=1.0, members=5))
    assert "Epoch 1 / 25" in line.format() and "left" in line.format()  # from the estimate: one epoch has no pace yet


def test_a_long_run_is_offered_the_quick_choice_and_it_applies(panel, qtbot, monkeypatch):
    monkeypatch.setattr(estimate_hint, "QUICK_ABOVE", 0.0)  # every run is "long"
    frame = logp_table()
    panel.set_table(frame, detect_roles(frame))
    hint = panel.estimate_hint
    hint.measure()
    qtbot.waitUntil(lambda: hint.quick_button.isVisible(), timeout=BACKGROUND_MS)
    model, features, training = recommended_start(True, len(frame), quick_choice=True)
    assert hint.label.text().startswith("Estimated time: ") and "5 networks" in hint.label.text()
    assert hint.quick_button.text().startswith(f"Quick start instead: {model}, {training['ensemble']} network")
    qtbot.mouseClick(hint.quick_button, Qt.MouseButton.LeftButton)
    cfg = panel.config()
    assert cfg.model == model and [spec_name(f) for f in cfg.features] == features
    assert cfg.resolved_training()["ensemble"] == training["ensemble"]
    hint.measure()  # the quick run is not offered itself
    qtbot.waitUntil(lambda: hint.estimate is not None, timeout=BACKGROUND_MS)
    assert not hint.quick_button.isVisible() and f"({training['ensemble']} network" in hint.label.text()


def test_a_short_run_gets_its_estimate_and_no_quick_choice(panel, qtbot):
    frame = descriptor_table(100)
    panel.set_table(frame, detect_roles(frame))
    panel.training.set_values({"epochs": 3, "ensemble": 2, "device": "cpu"})
    qtbot.waitUntil(lambda: panel.estimate_hint.estimate is not None, timeout=BACKGROUND_MS)  # by itself
    assert panel.estimate_hint.label.isVisible() and not panel.estimate_hint.quick_button.isVisible()
    assert "(2 networks × 3 epochs)" in panel.estimate_hint.label.text()


def test_training_view_says_the_estimate_when_training_starts(qtbot):
    view = TrainingView()
    qtbot.addWidget(view)
    messages = []
    view.status_message.connect(messages.append)
    frame = descriptor_table(80)
    view.set_table(frame, detect_roles(frame), None)
    view.panel.training.set_values({"epochs": 2, "patience": 0, "device": "cpu", "ensemble": 1})
    assert view.train()
    assert not view.panel.estimate_hint.is_measuring()  # the panel's measurement waits while training runs
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert any(m.startswith("Estimated time of this run: ") and "(1 network × 2 epochs)" in m for m in messages)
    view.shutdown()
