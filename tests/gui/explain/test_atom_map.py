"""Atom contributions in the detail pane: the selected compound coloured by what raises or lowers
its prediction, per target, exported as a picture; unavailable (and why) without a fitting model."""

import time
import xml.etree.ElementTree as ET

import pytest
from factories import descriptor_table, logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtWidgets import QFileDialog

from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.trained.file import save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.explain import atom_map


def _model_file(folder, frame, targets, features=None, descriptors=()):
    config = RunConfig(model="linear", targets=targets, features=features or ["morgan_count(size=512)"],
                       descriptor_columns=list(descriptors), split=SplitConfig(sizes=(1.0, 0.0, 0.0)),
                       training={"epochs": 15, "lr": 0.01, "patience": 0, "device": "cpu"})
    return save_model(run_to_end(config, frame).model, folder / f"{'_'.join(targets)}.molstudio")


@pytest.fixture(scope="module")
def two_target_model(tmp_path_factory):
    frame = logp_table().assign(length=lambda f: f.smiles.str.len().astype(float))
    return _model_file(tmp_path_factory.mktemp("models"), frame, ["logp", "length"])


@pytest.fixture
def two_target_csv(tmp_path):
    path = tmp_path / "compounds.csv"
    logp_table(20).assign(length=lambda f: f.smiles.str.len().astype(float)).to_csv(path, index=False)
    return path


def picture(tab):
    return tab.detail.picture.pixmap().toImage()


def test_toggling_colours_the_compound_by_its_atom_contributions(window, open_table, two_target_csv,
                                                                  two_target_model, qtbot):
    tab = open_table(two_target_csv)
    assert tab.training.open_model(two_target_model)
    tab.select_position(16)  # chlorobenzene
    tools = tab.atom_map
    assert tools.isVisible() and tools.toggle.isEnabled() and not tools.legend.isVisible()
    plain = picture(tab)
    tools.toggle.setChecked(True)
    qtbot.waitUntil(lambda: tab.detail.picture_svg is not None, timeout=BACKGROUND_MS)
    assert picture(tab) != plain
    assert tools.legend.isVisible()
    legend = tools.legend.text()
    assert "Predicted logp" in legend and "raise it" in legend and "lower it" in legend
    assert "change in the predicted logp when each atom is masked" in legend
    # two targets: the chooser switches the map to the other one
    assert tools.target_row.isVisibleTo(tab) and [tools.target.itemText(i) for i in range(2)] == ["logp", "length"]
    logp_picture = picture(tab)
    tools.target.setCurrentIndex(1)
    qtbot.waitUntil(lambda: "Predicted length" in tools.legend.text(), timeout=BACKGROUND_MS)
    assert picture(tab) != logp_picture
    # another compound gets its own map; going back is answered from the cache at once
    tab.select_position(3)
    qtbot.waitUntil(lambda: tools.contributions is not None, timeout=BACKGROUND_MS)
    assert tools.contributions.smiles == "CCCCCO" and tools.contributions.target == "length"
    tab.select_position(16)
    assert tools.contributions is not None and tools.contributions.smiles == tab.frame["smiles"].iloc[16]
    mapped = picture(tab)
    tools.toggle.setChecked(False)
    assert tab.detail.picture_svg is None and not tools.legend.isVisible()
    assert picture(tab) != mapped


def test_a_result_for_a_compound_no_longer_selected_is_not_shown(window, open_table, two_target_csv,
                                                                 two_target_model, qtbot, monkeypatch):
    slow = {"CCO"}
    real = atom_map.atom_contributions

    def contributions(model, structure, *args):
        if structure in slow:
            time.sleep(0.6)
        return real(model, structure, *args)

    monkeypatch.setattr(atom_map, "atom_contributions", contributions)
    tab = open_table(two_target_csv)
    assert tab.training.open_model(two_target_model)
    tools = tab.atom_map
    tab.select_position(0)  # CCO: its map takes a while
    tools.toggle.setChecked(True)
    qtbot.waitUntil(lambda: tab.jobs.is_running("atoms"), timeout=BACKGROUND_MS)
    tab.select_position(5)
    qtbot.waitUntil(lambda: tools.contributions is not None, timeout=BACKGROUND_MS)
    qtbot.waitUntil(lambda: not tab.jobs.busy(), timeout=BACKGROUND_MS)  # the first compound's job has ended too
    assert tools.contributions.smiles == tab.frame["smiles"].iloc[5] != "CCO"
    assert f"Predicted logp: {tools.contributions.prediction:.3f}" in tools.legend.text()  # not CCO's


def test_the_map_is_exported_as_png_or_svg_by_the_name(window, open_table, two_target_csv, two_target_model,
                                                       qtbot, monkeypatch, tmp_path):
    tab = open_table(two_target_csv)
    assert tab.training.open_model(two_target_model)
    tab.select_position(16)
    tools = tab.atom_map
    assert not tools.export_button.isVisible()
    tools.toggle.setChecked(True)
    qtbot.waitUntil(lambda: tools.export_button.isEnabled(), timeout=BACKGROUND_MS)
    asked = {}
    for name in ("map.png", "map.svg"):
        def dialog(parent, caption, default, filters, name=name):
            asked.update(default=default, filters=filters)
            return str(tmp_path / name), filters.split(";;")[0]

        monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
        tools.export_button.click()
    assert asked["default"].endswith("_logp_atoms.png") and "SVG" in asked["filters"]
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    root = ET.parse(tmp_path / "map.svg").getroot()
    assert root.tag.endswith("svg") and root.get("width") == f"{atom_map.EXPORT_SIZE[0]}px"
    assert "Atom contributions saved to" in window.statusBar().currentMessage()


def test_without_a_model_that_reads_structures_the_toggle_says_why(window, open_table, two_target_csv, tmp_path,
                                                                   qtbot):
    tab = open_table(two_target_csv)
    tab.select_position(2)
    tools = tab.atom_map
    assert tools.isVisible() and not tools.toggle.isEnabled()
    assert "Train a model on this table" in tools.toggle.toolTip()
    # a model on descriptor columns only: nothing to credit to the atoms
    frame = logp_table(20).assign(f1=descriptor_table(20)["f1"].to_numpy())
    path = tmp_path / "with_descriptor.csv"
    frame.to_csv(path, index=False)
    model = _model_file(tmp_path, frame, ["logp"], features=["columns"], descriptors=["f1"])
    tab = open_table(path)
    assert tab.training.open_model(model)
    tab.select_position(2)
    assert not tab.atom_map.toggle.isEnabled()
    assert "reads only descriptor columns" in tab.atom_map.toggle.toolTip()
    assert "Feature Importance" in tab.atom_map.toggle.toolTip()


def test_a_table_without_structures_shows_no_atom_tools(window, open_table, tmp_path):
    path = tmp_path / "descriptors.csv"
    descriptor_table(20).to_csv(path, index=False)
    tab = open_table(path)
    tab.select_position(0)
    assert not tab.atom_map.isVisible() and not tab.atom_map.legend.isVisible()
