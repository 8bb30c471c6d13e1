"""Predictions become columns of the table; exports keep every row and column in order."""

import pandas as pd
import pytest
from factories import logp_table
from gui_fixtures import BACKGROUND_MS

from molstudio.core.run.config import RunConfig
from molstudio.core.tables import reading as io
from molstudio.core.trained.file import save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.window import model_actions

PREDICTED = ["logp_predicted", "logp_lower", "logp_upper", "nearest_training_similarity", "in_domain",
             "not_predicted_because"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    config = RunConfig(model="linear")
    config.training = {"epochs": 3, "patience": 0}
    model = run_to_end(config, logp_table()).model
    return save_model(model, tmp_path_factory.mktemp("models") / "logp.molstudio")


@pytest.fixture
def predicted(window, open_table, compounds_csv, model_file, qtbot):
    """compounds.csv open with a model's predictions added (the tab is window.current_tab())."""
    tab = open_table(compounds_csv)
    assert tab.training.open_model(model_file)
    with qtbot.waitSignal(tab.training.predictions_ready, timeout=BACKGROUND_MS):
        model_actions.predict_this_table(window)
    # no reference to the tab is returned: pytest would hold it, and with it the plots, past the leak check


def test_predictions_appear_as_new_columns_in_place(window, predicted):
    tab = window.current_tab()
    frame = tab.frame
    assert list(frame.columns) == ["compound_id", "smiles", "logp"] + PREDICTED
    assert frame["logp_predicted"].iloc[:60].notna().all()
    flagged = frame["not_predicted_because"].iloc[60:]
    assert frame["logp_predicted"].iloc[60:].isna().all() and all(flagged.str.contains("invalid structure"))
    assert tab.model.columnCount() == 3 + len(PREDICTED) and tab.pages.currentWidget() is tab.table_split
    assert tab.model.prediction_columns == PREDICTED


@pytest.mark.parametrize("name", ["predictions.csv", "predictions.xlsx", "predictions.sdf"])
def test_export_keeps_every_row_and_column(window, predicted, qtbot, tmp_path, compounds_csv, name):
    tab = window.current_tab()
    out = tmp_path / name
    model_actions.export_table(window, tab, out)
    qtbot.waitUntil(lambda: out.exists() and not window.jobs.busy(), timeout=BACKGROUND_MS)
    back = io.read_table(out).frame
    assert len(back) == 63
    assert set(["compound_id", "logp"] + PREDICTED) <= set(back.columns)
    assert back["compound_id"].tolist() == pd.read_csv(compounds_csv)["compound_id"].tolist()
    assert back["logp_predicted"].iloc[:60].round(4).tolist() == tab.frame["logp_predicted"].iloc[:60].round(4).tolist()
    if name.endswith(".csv"):
        assert list(back.columns) == list(tab.frame.columns)


def test_export_never_overwrites_the_input(window, predicted, qtbot, compounds_csv):
    before = compounds_csv.read_bytes()
    model_actions.export_table(window, window.current_tab(), compounds_csv)
    qtbot.waitUntil(lambda: window.last_error != "", timeout=BACKGROUND_MS)
    assert compounds_csv.read_bytes() == before


def test_predict_file_streams_a_file_in_the_background(window, predicted, qtbot, tmp_path, compounds_csv):
    out = tmp_path / "screened.csv"
    model_actions.predict_file(window, window.current_tab().training.model, compounds_csv, out)
    qtbot.waitUntil(lambda: not window.jobs.busy(), timeout=BACKGROUND_MS)
    assert window.last_error == ""
    back = io.read_table(out).frame
    assert len(back) == 63 and list(back.columns) == ["compound_id", "smiles", "logp"] + PREDICTED
    assert "63 predictions written" in window.statusBar().currentMessage()


def test_predicted_values_read_as_precisely_as_the_measured_ones(window, predicted):
    from molstudio.gui.table.model import display_text, prediction_decimals

    tab = window.current_tab()
    measured = [display_text(v) for v in tab.frame["logp"].iloc[:60]]
    digits = max(len(text.partition(".")[2]) for text in measured)  # logP is written with up to 4 decimals
    assert prediction_decimals(tab.frame, "logp_predicted") == min(digits, 4)
    value = tab.frame["logp_predicted"].iloc[0]
    shown = tab.model.index(tab.model.row_of(0), 3).data()
    assert shown == f"{value:.{min(digits, 4)}f}"
    tab.select_position(0)
    rows = {tab.detail.values.item(i, 0).text(): tab.detail.values.item(i, 1).text()
            for i in range(tab.detail.values.rowCount())}
    assert rows["logp_predicted"] == shown  # the compound pane reads like the table
