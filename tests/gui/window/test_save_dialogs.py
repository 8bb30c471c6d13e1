"""The save dialogs of the Model and File menus: default name, suffix, atomic write, errors."""

import pytest
from factories import logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtWidgets import QFileDialog, QMessageBox

from molstudio.core.run.config import RunConfig, load_config
from molstudio.core.tables import reading as io
from molstudio.core.trained.file import load_model, save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.window import model_actions


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    config = RunConfig(model="linear")
    config.training = {"epochs": 2, "patience": 0}
    return save_model(run_to_end(config, logp_table()).model, tmp_path_factory.mktemp("models") / "logp.molstudio")


@pytest.fixture
def answer(monkeypatch):
    """Make the save dialog answer ``(path, filter)``; returns what the dialog was asked."""
    asked = {}

    def use(path, chosen=""):
        def dialog(parent, caption, default, filters):
            asked.update(caption=caption, default=default, filters=filters.split(";;"))
            return str(path), chosen or filters.split(";;")[0]

        monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
        return asked

    return use


def test_save_model_offers_the_table_name_and_adds_the_suffix(window, open_table, compounds_csv, model_file,
                                                              answer, tmp_path):
    tab = open_table(compounds_csv)
    assert tab.training.open_model(model_file)
    asked = answer(tmp_path / "logp.v2")
    model_actions.save_model_dialog(window)
    written = tmp_path / "logp.v2.molstudio"
    assert asked["caption"] == "Save model" and asked["default"] == str(compounds_csv.parent / "compounds.molstudio")
    assert load_model(written).targets == ["logp"]
    assert window.statusBar().currentMessage() == f"Model saved to {written}"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # no temporary file left


def test_export_run_config_writes_what_the_command_line_reads(window, open_table, compounds_csv, answer, tmp_path):
    open_table(compounds_csv)
    answer(tmp_path / "screen")
    model_actions.export_config_dialog(window)
    assert load_config(tmp_path / "screen.toml").targets == ["logp"]
    assert "molstudio-cli train --config" in window.statusBar().currentMessage()


def test_a_failed_save_is_shown_in_the_error_dialog(window, open_table, compounds_csv, answer, tmp_path):
    open_table(compounds_csv)
    answer(tmp_path / "no_such_folder" / "run.toml")
    model_actions.export_config_dialog(window)
    assert "does not exist" in window.last_error
    shown = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert [b.windowTitle() for b in shown] == ["Could not export the run configuration"]
    assert not (tmp_path / "no_such_folder").exists()


def test_a_cancelled_dialog_writes_nothing(window, open_table, compounds_csv, answer, tmp_path):
    open_table(compounds_csv)
    answer("")
    model_actions.export_config_dialog(window)
    assert window.last_error == "" and list(tmp_path.glob("*.toml")) == []


@pytest.mark.parametrize("name, chosen, expected", [
    ("hits", "Excel workbook with structure images (*.xlsx)", "hits.xlsx"),
    ("hits.smi", "CSV (*.csv)", "hits.smi"),  # a name with a format of its own keeps it
    ("hits.v2", "SDF (*.sdf *.sd)", "hits.v2.sdf"),
])
def test_export_table_takes_the_chosen_format(window, open_table, compounds_csv, answer, tmp_path, qtbot,
                                              name, chosen, expected):
    open_table(compounds_csv)
    answer(tmp_path / name, chosen)
    model_actions.export_dialog(window)
    qtbot.waitUntil(lambda: (tmp_path / expected).exists() and not window.jobs.busy(), timeout=BACKGROUND_MS)
    assert window.last_error == ""
    assert len(io.read_table(tmp_path / expected).frame) >= 60
    assert f"rows exported to {tmp_path / expected}" in window.statusBar().currentMessage()
    if "images" in chosen:
        import openpyxl

        assert len(openpyxl.load_workbook(tmp_path / expected).active._images) >= 60  # one drawing per structure
