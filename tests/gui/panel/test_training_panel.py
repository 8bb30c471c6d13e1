"""The training panel: forms generated from schemas, live split counts, run configs, settings."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import html

import numpy as np
import pytest
from factories import descriptor_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
)

import molstudio.gui.qt_compat  # noqa: F401
from molstudio.core.architectures import MODELS, Architecture
from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param, Schema
from molstudio.core.run.config import TRAINING_SCHEMA, load_config
from molstudio.core.tables.columns import detect_roles
from molstudio.gui.panel.train_panel import TrainPanel


@pytest.fixture
def panel(qtbot):
    widget = TrainPanel()
    qtbot.addWidget(widget)
    frame = descriptor_table(120)
    widget.set_table(frame, detect_roles(frame))
    yield widget
    widget.shutdown()  # the split is counted in the background


@pytest.fixture
def extra_architecture():
    """An architecture registered by the test only: the GUI must show it with no code of its own."""

    class Toy(Architecture):
        description = "Toy network for the GUI test."
        schema = Schema([
            Param("width", "int", 8, low=2, high=64, help="Neurons per layer."),
            Param("rate", "float", 1e-3, low=1e-6, high=1.0, log=True, help="A log-scale value."),
            Param("residual", "bool", True, help="Skip connections."),
            Param("pooling", "choice", "mean", choices=("mean", "max"), help="How to pool."),
            Param("layers", "int_list", [4, 4], low=1, high=16, help="Sizes."),
            Param("note", "str", "hello", help="Free text."),
        ])

    MODELS.register("toy_gui_test")(Toy)
    yield "toy_gui_test"
    MODELS._items.pop("toy_gui_test", None)


def _check_editor(param, widget):
    assert html.escape(param.help, quote=False) in widget.toolTip()  # rich text: "<cls>" is escaped
    if param.type == "int":
        assert isinstance(widget, QSpinBox)
        assert (widget.minimum(), widget.maximum()) == (param.low, min(param.high, 2**31 - 1))
    elif param.type == "float":
        assert isinstance(widget, QDoubleSpinBox)
        assert widget.minimum() == pytest.approx(param.low) and widget.maximum() == pytest.approx(param.high)
    elif param.type == "bool":
        assert isinstance(widget, QCheckBox)
    elif param.type == "choice":
        assert isinstance(widget, QComboBox)
        assert [widget.itemText(i) for i in range(widget.count())] == list(param.choices)
    else:
        assert isinstance(widget, QLineEdit)


def test_form_is_generated_from_the_schema_of_every_architecture(panel, qtbot, extra_architecture):
    fresh = TrainPanel()
    qtbot.addWidget(fresh)
    listed = [fresh.architecture.itemData(i) for i in range(fresh.architecture.count())]
    assert listed == MODELS.names() and extra_architecture in listed
    for name in MODELS.names():
        fresh.set_architecture(name)
        arch = MODELS.get(name)
        assert fresh.description.text() == arch.description
        assert list(fresh.hparams.editors) == arch.schema.names()
        for param in arch.schema:
            _check_editor(param, fresh.hparams.widget_for(param.name))
        assert fresh.config().resolved_hparams() == arch.schema.defaults()


def test_training_settings_come_from_the_training_schema(panel):
    shown = {**panel.training.editors, **panel.advanced.editors}
    assert set(shown) == set(TRAINING_SCHEMA.names())
    device = panel.training.widget_for("device")
    assert device.itemData(0) == "auto" and "cpu" in [device.itemData(i) for i in range(device.count())]
    assert "Step size" in panel.training.widget_for("lr").toolTip()


def test_training_settings_are_titled_by_the_schema_and_ensemble_size_is_in_view(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    for form in (panel.training, panel.advanced):
        for name, editor in form.editors.items():
            assert form.layout().labelForField(editor.widget).text() == TRAINING_SCHEMA.get(name).title + ":"
    assert panel.training.layout().labelForField(panel.training.widget_for("lr")).text() == "Learning rate:"
    ensemble = panel.training.widget_for("ensemble")
    assert not panel.more_toggle.isChecked() and ensemble.isVisible()  # no click on "More settings" needed
    assert panel.training.layout().labelForField(ensemble).text() == "Ensemble size:"
    assert isinstance(ensemble, QSpinBox) and ensemble.value() == 5 and ensemble.minimum() == 1  # recommended
    ensemble.setValue(3)
    assert panel.config().training["ensemble"] == 3


def test_changing_the_architecture_rebuilds_the_form_and_keeps_values(panel):
    panel.set_architecture("mlp")
    panel.hparams.set_values({"hidden_sizes": [16, 16], "dropout": 0.2})
    panel.architecture.setCurrentIndex(panel.architecture.findData("linear"))
    assert panel.hparams.editors == {}
    assert "no settings" in panel.hparams.findChild(type(panel.description)).text()
    assert panel.config().model == "linear"
    panel.architecture.setCurrentIndex(panel.architecture.findData("mlp"))
    assert set(panel.hparams.editors) == {"hidden_sizes", "activation", "dropout", "batch_norm"}
    assert panel.config().hparams["hidden_sizes"] == [16, 16]
    assert panel.config().hparams["dropout"] == pytest.approx(0.2)


def test_out_of_range_value_is_explained(panel):
    panel.set_architecture("mlp")
    panel.hparams.widget_for("hidden_sizes").setText("16, 0")
    with pytest.raises(MolStudioError, match="Hidden sizes"):
        panel.config()


def test_descriptor_table_offers_its_columns_and_detects_the_task(panel):
    cfg = panel.config()
    assert cfg.targets == ["y"] and cfg.task == "regression"
    assert cfg.features == ["columns"] and cfg.descriptor_columns == ["f1", "f2", "f3", "f4"]
    assert not any(box.isEnabled() for box in panel.features.boxes.values())  # no structures to fingerprint


def test_split_counts_follow_the_sizes_live(panel, qtbot):
    qtbot.waitUntil(lambda: "96" in panel.split.counts.text(), timeout=BACKGROUND_MS)
    assert "12</b> validation" in panel.split.counts.text()
    panel.split.val.setValue(20)
    qtbot.waitUntil(lambda: "84</b> training" in panel.split.counts.text(), timeout=BACKGROUND_MS)
    assert "24</b> validation" in panel.split.counts.text()
    assert panel.config().split.sizes == pytest.approx((0.7, 0.2, 0.1))


def test_export_and_import_round_trip(panel, tmp_path, qtbot):
    from molstudio.gui.training.view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    frame = descriptor_table(120)
    view.set_table(frame, detect_roles(frame))
    p = view.panel
    p.set_architecture("mlp")
    p.hparams.set_values({"hidden_sizes": [16, 16], "activation": "tanh"})
    p.training.set_values({"lr": 0.003, "epochs": 7, "optimizer": "sgd", "batch_size": 16})
    p.advanced.set_values({"lr_schedule": "cosine"})
    p.split.set_values("random", (0.7, 0.2, 0.1), 5, "")
    path = tmp_path / "run.toml"
    assert view.export_run_config(path)
    exported = p.config()
    read = load_config(path)  # what `molstudio-cli train --config` reads
    assert read.to_dict() == exported.to_dict()
    assert read.hparams["hidden_sizes"] == [16, 16] and read.training["optimizer"] == "sgd"
    p.set_architecture("linear")
    p.training.set_values({"lr": 0.1, "epochs": 99})
    assert view.import_run_config(path)
    assert p.config().to_dict() == exported.to_dict()
    view.shutdown()


def test_importing_a_broken_config_is_explained(panel, tmp_path, qtbot):
    from molstudio.gui.training.view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nname = 'no_such_network'\n")
    before = view.panel.config().to_dict()
    with pytest.raises(MolStudioError, match="no_such_network"):
        view.import_run_config(bad)
    assert view.panel.config().to_dict() == before  # the panel is left as it was
    view.shutdown()


def test_last_settings_are_remembered(panel, qtbot):
    panel.set_architecture("mlp")
    panel.hparams.set_values({"hidden_sizes": [24, 12]})
    panel.training.set_values({"lr": 0.02, "epochs": 33})
    panel.remember()
    again = TrainPanel()
    qtbot.addWidget(again)
    cfg = again.config()
    assert cfg.model == "mlp" and cfg.hparams["hidden_sizes"] == [24, 12]
    assert cfg.training["lr"] == pytest.approx(0.02) and cfg.training["epochs"] == 33


def shown_counts(panel):
    """The three numbers the split section shows (training, validation, test)."""
    return [int(s.split("<")[0].replace(",", "").removeprefix("about ")) for s in panel.split.counts.text().split("<b>")[1:4]]


def test_scaffold_split_is_counted_in_the_background(qtbot):
    from factories import logp_table

    panel = TrainPanel()
    qtbot.addWidget(panel)
    frame = logp_table()
    panel.set_table(frame, detect_roles(frame))
    panel.split.method.setCurrentIndex(panel.split.method.findData("scaffold"))
    panel.split.update_counts()  # what the debounce timer calls
    assert panel.split.is_counting()
    qtbot.waitUntil(lambda: not panel.split.is_counting() and "training" in panel.split.counts.text(),
                    timeout=BACKGROUND_MS)
    assert sum(shown_counts(panel)) == len(frame)
    panel.shutdown()


@pytest.fixture
def gated_targets(monkeypatch):
    """Targets are read only once the test opens the gate; records the threads that read them."""
    import threading

    import molstudio.gui.panel.split_counts as split_counts

    gate, threads, real = threading.Event(), [], split_counts.parse_targets

    def parse_targets(frame, targets, task, classes=None):
        threads.append(threading.get_ident())  # current_thread() would leave a dummy Thread behind
        assert gate.wait(20)
        return real(frame, targets, task, classes)

    monkeypatch.setattr(split_counts, "parse_targets", parse_targets)
    return gate, threads


def test_a_large_table_is_counted_off_the_gui_thread(qtbot, gated_targets):
    import threading
    import time

    gate, threads = gated_targets
    panel = TrainPanel()
    qtbot.addWidget(panel)
    frame = descriptor_table(50_000)
    panel.set_table(frame, detect_roles(frame))
    started = time.perf_counter()
    panel.split.update_counts()
    assert time.perf_counter() - started < 0.5  # the targets are still being read
    qtbot.waitUntil(lambda: panel.split.counts.text().endswith("<i>counting…</i></span>"))
    ticks = []
    timer = QTimer(interval=10, timeout=lambda: ticks.append(1))
    timer.start()
    qtbot.wait(300)
    timer.stop()
    assert len(ticks) >= 10 and "counting…" in panel.split.counts.text()  # the window kept working
    gate.set()
    qtbot.waitUntil(lambda: "training" in panel.split.counts.text(), timeout=BACKGROUND_MS)
    assert shown_counts(panel) == [40_000, 5_000, 5_000]
    assert threads and threading.main_thread().ident not in threads
    panel.shutdown()


def test_a_quickly_changed_target_shows_only_the_latest_counts(qtbot, monkeypatch):
    import threading

    import molstudio.gui.panel.split_counts as split_counts

    gate, real = threading.Event(), split_counts.count_split

    def count_split(request, cancel=None):  # ignores Stop: its late result must still not be shown
        if request.targets == ("y",):
            assert gate.wait(20)
        return real(request)

    monkeypatch.setattr(split_counts, "count_split", count_split)
    frame = descriptor_table(120)
    frame["sparse"] = frame["y"].where(frame.index < 60)  # measured for half the compounds
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_table(frame, detect_roles(frame))
    panel.split.update_counts()
    qtbot.waitUntil(panel.split.is_counting)
    shown = []
    label = panel.split.counts
    monkeypatch.setattr(label, "setText", lambda text: (shown.append(text), QLabel.setText(label, text)))
    assert panel.target.set_selected(["sparse"])
    panel.split.update_counts()
    gate.set()
    qtbot.waitUntil(lambda: not panel.split.is_counting() and "training" in label.text(), timeout=BACKGROUND_MS)
    qtbot.wait(200)  # the debounce timer fires once more: nothing changes
    assert shown_counts(panel) == [48, 6, 6]
    assert not any("96</b> training" in text for text in shown)  # y's late counts never appeared
    panel.shutdown()


def test_text_labels_can_be_predicted_and_the_task_can_be_changed(qtbot):
    from factories import logp_table

    frame = logp_table()
    frame["outcome"] = np.where(frame["logp"] > 1.5, "active", "inactive")
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_table(frame, detect_roles(frame))
    assert panel.config().task == "regression"  # logP is detected first
    assert panel.target.set_selected(["outcome"])
    assert panel.config().targets == ["outcome"] and panel.config().task == "classification"
    assert "classification" in panel.target.detected.text()
    panel.target.set_task("regression")  # the user overrides the detection
    assert panel.config().task == "regression"
    panel.shutdown()
