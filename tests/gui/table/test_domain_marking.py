"""What a chemist sees of a prediction's interval and applicability domain in the table:
compounds unlike the training set are shaded orange, flagged 'outside' and explained."""

import pandas as pd
import pytest
from factories import logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt

from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.table.model import OUTSIDE_BG, PREDICTION_BG
from molstudio.gui.window import model_actions

UNLIKE = ["[Si](C)(C)(C)[Si](C)(C)C", "FC(F)(F)C(F)(F)C(F)(F)C(F)(F)F", "O=[Os](=O)(=O)=O"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    config = RunConfig(model="linear")
    config.training = {"epochs": 3, "patience": 0, "device": "cpu"}
    model = run_to_end(config, logp_table()).model
    return save_model(model, tmp_path_factory.mktemp("models") / "logp.molstudio")


@pytest.fixture
def mixed_csv(tmp_path):
    frame = logp_table()
    extra = pd.DataFrame({"compound_id": ["X1", "X2", "X3"], "smiles": UNLIKE, "logp": [1.0, 2.0, 3.0]})
    path = tmp_path / "mixed.csv"
    pd.concat([frame.head(20), extra], ignore_index=True).to_csv(path, index=False)
    return path


def cell(model, row, name, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(model.row_of(row), list(model.frame.columns).index(name)), role)


def test_compounds_unlike_the_training_set_are_shaded_flagged_and_explained(window, open_table, mixed_csv,
                                                                            model_file, qtbot):
    tab = open_table(mixed_csv)
    assert tab.training.open_model(model_file)
    with qtbot.waitSignal(tab.training.predictions_ready, timeout=BACKGROUND_MS):
        model_actions.predict_this_table(window)
    model = tab.model
    frame = tab.frame
    inside, outside = 0, 21  # a training compound, and the tetramethyldisilane row
    assert frame["in_domain"].iloc[outside] is False and frame["in_domain"].iloc[inside] is True
    assert cell(model, outside, "in_domain") == "outside" and cell(model, inside, "in_domain") == "yes"
    assert cell(model, outside, "logp_predicted", Qt.ItemDataRole.BackgroundRole) == OUTSIDE_BG
    assert cell(model, inside, "logp_predicted", Qt.ItemDataRole.BackgroundRole) == PREDICTION_BG
    tip = cell(model, outside, "logp_predicted", Qt.ItemDataRole.ToolTipRole)
    assert "applicability domain" in tip and "Tanimoto" in tip
    assert cell(model, inside, "logp_predicted", Qt.ItemDataRole.ToolTipRole) is None
    assert cell(model, inside, "nearest_training_similarity") == "1.00"
    # wider interval for a compound far from the training set
    width = frame["logp_upper"] - frame["logp_lower"]
    assert width.iloc[20:23].min() > width.iloc[:20].max()
    assert "3 of 23 compounds are outside the model's applicability domain" in window.statusBar().currentMessage()
    tab.select_position(outside)
    assert tab.detail.error.isVisible() and "applicability domain" in tab.detail.error.text()
    tab.select_position(inside)
    assert not tab.detail.error.isVisible()


def test_mc_dropout_option_gives_a_single_network_a_spread(window, open_table, mixed_csv, qtbot, tmp_path):
    config = RunConfig(model="mlp")
    config.hparams = {"hidden_sizes": [32], "dropout": 0.2}
    config.training = {"epochs": 5, "patience": 0, "device": "cpu"}
    path = save_model(run_to_end(config, logp_table()).model, tmp_path / "dropout.molstudio")
    tab = open_table(mixed_csv)
    assert tab.training.open_model(path)
    with qtbot.waitSignal(tab.training.predictions_ready, timeout=BACKGROUND_MS):
        model_actions.predict_this_table(window)
    assert "logp_uncertainty" not in tab.frame.columns  # off by default: one network has no spread
    window.mc_dropout_action.setChecked(True)
    with qtbot.waitSignal(tab.training.predictions_ready, timeout=BACKGROUND_MS):
        model_actions.predict_this_table(window)
    assert (tab.frame["logp_uncertainty"].iloc[:20] > 0).all()
    assert cell(tab.model, 0, "logp_uncertainty").startswith("± ")
