"""Choosing an architecture: its training defaults, optional features for graph and SMILES
models, the recommended configuration per table, and config files of every kind of model."""

import pytest
from factories import descriptor_table, logp_table
from PySide6.QtCore import QPoint, Qt

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.run.choices import training_start
from molstudio.core.run.config import load_config, training_defaults
from molstudio.core.run.recommend import recommended
from molstudio.core.tables.columns import detect_roles
from molstudio.gui.panel.train_panel import TrainPanel
from molstudio.gui.training.view import TrainingView

GRAPH, SEQUENCE = "dmpnn", "smiles_rnn"


def make_panel(qtbot, frame):
    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_table(frame, detect_roles(frame))
    return panel


@pytest.fixture
def panel(qtbot):
    """A panel showing a table with structures (SMILES and logP)."""
    widget = make_panel(qtbot, logp_table())
    yield widget
    widget.shutdown()


def shown(panel, name):
    """The value a training setting's editor shows."""
    form = panel.training if name in panel.training.editors else panel.advanced
    return form.editors[name].value()


def test_switching_architecture_shows_its_training_defaults_and_keeps_what_the_user_set(panel):
    plain = training_start("mlp")  # the training schema's defaults: mlp declares none of its own
    assert training_defaults("mlp") == {} and training_defaults(GRAPH)["epochs"] != plain["epochs"]
    panel.set_architecture("mlp")
    assert shown(panel, "epochs") == plain["epochs"] and shown(panel, "grad_clip") == plain["grad_clip"]
    assert panel.training_note.isHidden()  # mlp starts from the plain defaults: nothing to say
    panel.training.widget_for("ensemble").setValue(3)  # shared by every architecture
    panel.training.widget_for("optimizer").setCurrentText("rmsprop")

    panel.set_architecture(GRAPH)
    for key, value in training_defaults(GRAPH).items():
        assert shown(panel, key) == pytest.approx(value), key
    assert f"epochs {training_defaults(GRAPH)['epochs']}" in panel.training_note.text()
    assert not panel.training_note.isHidden()
    panel.set_architecture(SEQUENCE)
    assert shown(panel, "epochs") == training_defaults(SEQUENCE)["epochs"]
    assert shown(panel, "grad_clip") == pytest.approx(training_defaults(SEQUENCE)["grad_clip"])
    assert panel.config().resolved_training()["lr"] == pytest.approx(training_defaults(SEQUENCE)["lr"])

    panel.set_architecture(GRAPH)
    panel.training.widget_for("epochs").setValue(12)  # the user's own value, for the graph model
    panel.set_architecture("mlp")
    assert shown(panel, "epochs") == plain["epochs"] and shown(panel, "grad_clip") == plain["grad_clip"]
    panel.set_architecture(GRAPH)
    assert shown(panel, "epochs") == 12  # kept for that architecture in this session
    assert shown(panel, "ensemble") == 3 and shown(panel, "optimizer") == "rmsprop"  # never touched by a switch


def test_features_are_optional_extras_for_graph_and_smiles_models(panel, qtbot):
    features = panel.features
    panel.set_architecture(GRAPH)
    assert "optional" in features.title().lower()
    assert "graph of atoms and bonds" in features.intro.text() and not features.intro.isHidden()
    for box in features.boxes.values():
        box.setChecked(False)
    assert features.problem() == ""
    assert "dmpnn reads the molecular graph only" in features.size_note.text()
    assert panel.config().features == ["none"]  # none ticked is a valid choice

    panel.set_architecture(SEQUENCE)
    assert "SMILES" in features.intro.text() and panel.config().features == ["none"]

    panel.set_architecture("mlp")  # reads nothing but the features: one is needed
    assert "optional" not in features.title().lower() and features.intro.isHidden()
    assert "Tick at least one" in features.size_note.text() and "mlp" in features.size_note.text()
    with pytest.raises(MolStudioError, match="Tick at least one"):
        panel.config()
    features.boxes["morgan_count"].setChecked(True)
    assert panel.config().features == ["morgan_count"] and "numbers per compound" in features.size_note.text()


def test_train_explains_that_a_vector_model_needs_features(qtbot):
    view = TrainingView()
    qtbot.addWidget(view)
    frame = logp_table()
    view.set_table(frame, detect_roles(frame))
    view.panel.set_architecture("linear")
    for box in view.panel.features.boxes.values():
        box.setChecked(False)
    assert not view.train()
    assert not view.is_busy() and "Tick at least one" in view.banner.text()
    view.shutdown()


def test_a_table_with_structures_starts_from_the_recommended_configuration(panel):
    rec = recommended(True, len(logp_table()), "regression")
    cfg = panel.config()
    assert cfg.model == rec["model"] and cfg.features == rec["features"]
    for key, value in rec["training"].items():
        assert cfg.training[key] == value, key
    combo = panel.architecture
    assert "(recommended)" in combo.currentText() and rec["model"] in combo.currentText()
    assert sum("(recommended)" in combo.itemText(i) for i in range(combo.count())) == 1
    # the user's choice survives a change of the table's roles (the same kind of table)
    panel.set_architecture("mlp")
    frame = logp_table()
    panel.set_table(frame, detect_roles(frame))
    assert panel.config().model == "mlp"


def test_the_panel_follows_the_recommendation_for_the_task_until_the_user_chooses(qtbot):
    frame = logp_table().assign(active=lambda f: (f["logp"] > 1.5).astype(int))
    panel = make_panel(qtbot, frame)
    panel.target.set_selected(["logp"])
    assert panel.config().model == recommended(True, len(frame), "regression")["model"] == "dmpnn"
    panel.target.set_selected(["active"])  # classes: their own recommendation
    cfg = panel.config()
    rec = recommended(True, len(frame), "classification")
    assert cfg.model == rec["model"] == "mlp" and cfg.features == rec["features"]
    assert "(recommended)" in panel.architecture.currentText()
    panel.set_architecture("gnn")  # the user chooses: the panel no longer follows
    panel.target.set_selected(["logp"])
    assert panel.config().model == "gnn"
    panel.shutdown()


def test_a_descriptor_table_starts_from_its_recommendation_and_greys_out_structure_readers(qtbot):
    panel = make_panel(qtbot, descriptor_table(120))
    rec = recommended(False, 120, "regression")
    cfg = panel.config()
    assert cfg.model == rec["model"] and cfg.features == rec["features"]
    assert cfg.training["ensemble"] == rec["training"]["ensemble"]
    model = panel.architecture.model()
    for i in range(panel.architecture.count()):
        name = panel.architecture.itemData(i)
        readable = MODELS.get(name).input_kind == "vector"
        assert model.item(i).isEnabled() == readable, name
        if not readable:
            assert "no structure" in panel.architecture.itemData(i, Qt.ItemDataRole.ToolTipRole)
    panel.set_architecture(GRAPH)  # e.g. from an imported configuration: explained, not crashed
    with pytest.raises(MolStudioError, match="no structure"):
        panel.config()
    panel.shutdown()


def test_remembered_settings_are_kept_per_architecture_behind_the_recommendation(panel, qtbot):
    panel.set_architecture("mlp")
    panel.features.boxes["morgan_count"].setChecked(True)
    panel.hparams.set_values({"hidden_sizes": [24, 12]})
    panel.training.set_values({"epochs": 33})
    panel.remember()
    again = make_panel(qtbot, logp_table())  # the next session opens a table with structures
    assert again.config().model == recommended(True, len(logp_table()), "regression")["model"]
    again.set_architecture("mlp")
    assert again.config().hparams["hidden_sizes"] == [24, 12] and shown(again, "epochs") == 33
    again.shutdown()


def test_a_graph_model_configuration_round_trips_through_a_file(qtbot, tmp_path):
    view = TrainingView()
    qtbot.addWidget(view)
    frame = logp_table()
    view.set_table(frame, detect_roles(frame))
    p = view.panel
    p.set_architecture(GRAPH)
    p.hparams.set_values({"depth": 4, "hidden_size": 96})
    for box in p.features.boxes.values():
        box.setChecked(False)
    p.training.set_values({"epochs": 7, "ensemble": 2})
    path = tmp_path / "graph.toml"
    assert view.export_run_config(path)
    exported = p.config()
    read = load_config(path)  # what molstudio-cli train --config reads
    assert read.to_dict() == exported.to_dict()
    assert read.model == GRAPH and read.features == ["none"] and read.training["ensemble"] == 2
    p.set_architecture("mlp")
    p.features.boxes["rdkit2d"].setChecked(True)
    assert view.import_run_config(path)
    assert p.config().to_dict() == exported.to_dict()
    assert p.hparams.widget_for("depth").value() == 4 and shown(p, "epochs") == 7
    # imported before a table is in: the table keeps it instead of the recommendation
    early = TrainingView()
    qtbot.addWidget(early)
    early.import_run_config(path)
    early.set_table(frame, detect_roles(frame))
    assert early.panel.config().to_dict() == exported.to_dict()
    view.shutdown()
    early.shutdown()


def test_every_architecture_reads_well_in_the_drop_down_and_its_form_is_whole(qtbot):
    view = TrainingView()
    qtbot.addWidget(view)
    view.resize(1100, 850)  # the training page of a 1400 x 900 window
    view.show()
    qtbot.waitExposed(view)
    frame = logp_table()
    view.set_table(frame, detect_roles(frame))
    panel, scroll = view.panel, view._settings
    combo = panel.architecture
    for i in range(combo.count()):
        name = combo.itemData(i)
        arch = MODELS.get(name)
        text = combo.itemText(i)
        assert text.startswith(name) and ("graph" in text or "SMILES" in text or "descriptors" in text)
        description = combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
        assert description.startswith(arch.description) and arch.description.endswith(".")
        panel.set_architecture(name)
        assert panel.description.text() == arch.description
        assert list(panel.hparams.editors) == arch.schema.names()
        layout = panel.hparams.layout()
        labels = [layout.labelForField(e.widget) for e in panel.hparams.editors.values()]
        qtbot.waitUntil(lambda: scroll.viewport().width() >= panel.minimumSizeHint().width(), timeout=3000)
        for label, editor in zip(labels, panel.hparams.editors.values()):
            assert not label.text().startswith("Ffn"), label.text()  # acronyms stay upper-case
            qtbot.waitUntil(lambda: label.isVisible() and label.width() >= label.sizeHint().width(), timeout=3000)
            right = editor.widget.mapTo(scroll.viewport(), QPoint(editor.widget.width(), 0)).x()
            assert right <= scroll.viewport().width(), (name, label.text())
        assert panel.config().model == name
    panel.set_architecture("mlp")
    view.shutdown()
