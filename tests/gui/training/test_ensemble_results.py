"""What an ensemble shows: ± uncertainty columns in the table and the export, error bars on
the test scatter, and the architecture and ensemble size in the run history."""

import numpy as np
import pytest
from factories import descriptor_table, logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt

from molstudio.core.run.config import RunConfig
from molstudio.core.tables import reading as io
from molstudio.core.tables.columns import detect_roles
from molstudio.core.trained.file import save_model
from molstudio.core.training.loop import run_to_end
from molstudio.gui.training.view import TrainingView
from molstudio.gui.window import model_actions


def linear_model(tmp_path_factory, members: int):
    config = RunConfig(model="linear")
    config.training = {"epochs": 3, "patience": 0, "ensemble": members, "device": "cpu"}
    model = run_to_end(config, logp_table()).model
    return save_model(model, tmp_path_factory.mktemp("models") / f"logp{members}.molstudio")


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    return {n: linear_model(tmp_path_factory, n) for n in (1, 3)}


def predict(window, tab, path, qtbot):
    assert tab.training.open_model(path)
    with qtbot.waitSignal(tab.training.predictions_ready, timeout=BACKGROUND_MS):
        model_actions.predict_this_table(window)


def header_tip(model, name):
    column = list(model.frame.columns).index(name)
    return model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_uncertainty_sits_next_to_the_prediction_and_is_exported(window, open_table, compounds_csv, model_files,
                                                                   qtbot, tmp_path):
    tab = open_table(compounds_csv)
    predict(window, tab, model_files[1], qtbot)  # a single network first, then an ensemble
    predict(window, tab, model_files[3], qtbot)
    model = tab.model
    columns = list(model.frame.columns)
    assert columns[3:] == ["logp_predicted", "logp_lower", "logp_upper", "logp_uncertainty",
                           "nearest_training_similarity", "in_domain", "not_predicted_because"]
    tip = header_tip(model, "logp_uncertainty")
    assert "spread" in tip and "ensemble's networks" in tip
    cell = model.index(0, columns.index("logp_uncertainty"))
    text = model.data(cell)
    spread = tab.frame["logp_uncertainty"].iloc[model.position(0)]
    assert text.startswith("± ") and float(text[2:]) == pytest.approx(spread, abs=0.01) and spread > 0
    assert not model.data(model.index(0, columns.index("logp_predicted"))).startswith("±")
    header = tab.table.horizontalHeader()
    for name in columns[3:]:  # every header name shows whole
        column = columns.index(name)
        assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(name) + 20, name
    out = tmp_path / "with_uncertainty.csv"
    model_actions.export_table(window, tab, out)
    qtbot.waitUntil(lambda: out.exists() and not window.jobs.busy(), timeout=BACKGROUND_MS)
    back = io.read_table(out).frame
    assert list(back.columns) == columns
    assert back["logp_uncertainty"].iloc[:60].round(5).tolist() == tab.frame["logp_uncertainty"].iloc[:60].round(5).tolist()
    # a single network predicting the same target again: the old ± column would be read as its own
    predict(window, tab, model_files[1], qtbot)
    assert "logp_uncertainty" not in tab.frame.columns
    assert list(tab.frame.columns)[3:] == ["logp_predicted", "logp_lower", "logp_upper",
                                           "nearest_training_similarity", "in_domain", "not_predicted_because"]


@pytest.fixture
def view(qtbot):
    widget = TrainingView()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()
    assert not widget.is_busy()


def run(view, qtbot, timeout=BACKGROUND_MS):
    runs = len(view.history.records)
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=timeout)
    assert len(view.history.records) == runs + 1, view.banner.text()  # finished (a note on duplicates is fine)


def mlp(view, **training):
    view.panel.set_architecture("mlp")
    view.panel.hparams.set_values({"hidden_sizes": [16], "dropout": 0.0})
    view.panel.training.set_values({"epochs": 4, "patience": 0, "lr": 0.01, "batch_size": 32, "device": "cpu",
                                    **training})


def test_the_test_scatter_of_an_ensemble_shows_its_spread(view, qtbot):
    frame = descriptor_table(120)
    view.set_table(frame, detect_roles(frame))
    scatter = view.results.scatter
    mlp(view, ensemble=3)
    run(view, qtbot)
    assert scatter.title.text().startswith("Test set") and scatter.count() == 12
    assert scatter.bars.isVisible() and len(scatter.bars.opts["x"]) == 12
    shown = scatter.spread()
    expected = view.model.predict_frame(frame)["y_uncertainty"].to_numpy()[scatter.rows()]
    assert np.allclose(shown, expected, atol=1e-4) and (shown > 0).all()
    assert np.allclose(scatter.bars.opts["height"], 2 * shown)  # ± one spread around each point
    assert "± spread of the 3 networks" in scatter.text.toPlainText()
    assert "±" in scatter.tooltip_for(0) and "ensemble" in scatter.tooltip_for(0)
    mlp(view, ensemble=1)
    run(view, qtbot)
    assert not scatter.bars.isVisible() and scatter.spread() is None
    assert "±" not in scatter.tooltip_for(0) and "networks" not in scatter.text.toPlainText()


def test_history_shows_architecture_ensemble_size_and_input_side_by_side(view, qtbot):
    frame = logp_table()
    view.set_table(frame, detect_roles(frame))
    p = view.panel
    p.set_architecture("dmpnn")
    p.hparams.set_values({"hidden_size": 32, "depth": 2, "ffn_hidden_size": 32})
    for box in p.features.boxes.values():
        box.setChecked(False)
    p.training.set_values({"epochs": 2, "patience": 0, "batch_size": 32, "device": "cpu", "ensemble": 2})
    run(view, qtbot, timeout=120000)
    mlp(view, ensemble=1)
    p.features.boxes["rdkit2d"].setChecked(False)
    p.features.boxes["morgan_count"].setChecked(True)
    run(view, qtbot)
    table = view.history.table
    names = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    rows = [{names[c]: table.item(r, c).text() for c in range(table.columnCount())} for r in range(2)]
    assert [(r["Architecture"], r["Ensemble"]) for r in rows] == [("dmpnn", "2 networks"), ("mlp", "1 network")]
    assert rows[0]["Input"] == "molecular graph" and rows[1]["Input"] == "morgan_count"
    assert "weight seeds" in table.item(0, names.index("Ensemble")).toolTip()
    view.history.select_numbers([1, 2])
    legend = view.history.plot.getPlotItem().legend
    labels = [label.text for _, label in legend.items]
    assert any("dmpnn ×2" in text for text in labels) and any(text.startswith("#2 mlp") for text in labels)
    table.sortItems(names.index("Ensemble"), Qt.SortOrder.DescendingOrder)  # sorts by the number
    assert table.item(0, names.index("Architecture")).text() == "dmpnn"
