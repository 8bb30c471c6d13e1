"""Model ▸ Open Model with hostile files: the window says why, keeps the model it had, and keeps working."""

import pickle
import zipfile

import numpy as np
import pytest
from factories import logp_table, rewrite_model_file
from gui_fixtures import BACKGROUND_MS
from PySide6.QtWidgets import QFileDialog, QMessageBox
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.window.model_actions import MODEL_FILTER

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


class Tripwire:
    """Unpickling this creates the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    config = RunConfig(model="linear", training={"epochs": 2, "patience": 0})
    return save_model(run_to_end(config, logp_table()).model, tmp_path_factory.mktemp("gui_models") / "logp.molstudio")


def _hostile(model_file, folder):
    data = model_file.read_bytes()
    (folder / "cut.molstudio").write_bytes(data[: len(data) // 3])
    (folder / "pickle.molstudio").write_bytes(pickle.dumps(Tripwire(folder / "unpickled.txt")))
    with zipfile.ZipFile(model_file) as zf:
        tensors = st_load(zf.read("weights.safetensors"))
    tensors["member0.weight"][0, 0] = np.nan
    rewrite_model_file(model_file, folder / "nan.molstudio", weights=st_save(tensors))
    rewrite_model_file(model_file, folder / "future.molstudio", lambda m: m.update(format_version=7))
    return {"cut.molstudio": "is incomplete or damaged", "pickle.molstudio": "never opens pickles",
            "nan.molstudio": "its weights contain values that are not numbers",
            "future.molstudio": "Update MolStudio to open this model"}


def _action(window, text):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text().replace("&", "") == text:
                return action
    raise AssertionError(f"no menu entry {text}")


def test_open_model_refuses_hostile_files_and_keeps_working(window, open_table, compounds_csv, model_file,
                                                            tmp_path, monkeypatch, qtbot):
    tab = open_table(compounds_csv)
    chosen = {}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(chosen["path"]), MODEL_FILTER))
    open_model = _action(window, "Open Model…")
    chosen["path"] = model_file
    open_model.trigger()
    good = tab.training.model
    assert good is not None and window.last_error == ""

    for name, phrase in _hostile(model_file, tmp_path).items():
        chosen["path"] = tmp_path / name
        open_model.trigger()
        assert name in window.last_error and phrase in window.last_error, window.last_error
        boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
        assert [b.windowTitle() for b in boxes] == ["Could not open the model"]
        assert boxes[0].text() == window.last_error
        boxes[0].close()
        assert tab.training.model is good  # the model that was open stays open
    assert not (tmp_path / "unpickled.txt").exists()

    with qtbot.waitSignal(tab.training.predictions_ready, timeout=BACKGROUND_MS) as got:
        _action(window, "Predict on This Table").trigger()
    assert got.args[0]["logp_predicted"].notna().sum() == 60  # the 60 valid rows; the three broken ones flagged
