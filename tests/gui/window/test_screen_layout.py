"""What the screens show at 1400 x 900: nothing cut off, no empty plot without a word, readable numbers.

Each test checks a problem seen in the screenshots of ``benchmarks/gui_screenshots.py``.
"""

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table, nitrogen_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor

from molstudio.core.tables.columns import detect_roles
from molstudio.core.training.reports import EpochReport
from molstudio.gui.common.plots import LossPlot
from molstudio.gui.common.run_status import ProgressLine
from molstudio.gui.table.model import prediction_decimals
from molstudio.gui.training.class_plots import ConfusionMatrix
from molstudio.gui.training.view import TrainingView

WIDE = "Message-passing steps per graph convolution layer (more steps see further)"


@pytest.fixture
def view(qtbot):
    widget = TrainingView()
    qtbot.addWidget(widget)
    widget.resize(1100, 850)  # the training page of a 1400 x 900 window, beside the compound pane
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
    widget.close()


def quick(view, **training):
    view.panel.set_architecture("mlp")  # not the graph ensemble preselected for a table with structures
    view.panel.features.set_specs(["morgan_count", "rdkit2d"])  # a descriptor table keeps its columns
    view.panel.hparams.set_values({"hidden_sizes": [16], "dropout": 0.0})
    view.panel.training.set_values({"epochs": 4, "patience": 0, "lr": 0.01, "batch_size": 32, "device": "cpu",
                                    "ensemble": 1, **training})


def right_edge_in(widget, ancestor) -> int:
    return widget.mapTo(ancestor, QPoint(widget.width(), 0)).x()


@pytest.fixture
def wide_architecture():
    """An architecture whose one setting has a long title (registered by the test only)."""
    from molstudio.core.architectures import MODELS, Architecture
    from molstudio.core.params import Param, Schema

    class Wide(Architecture):
        description = "Test network with a long setting name."
        schema = Schema([Param("steps", "int", 3, low=1, high=10, label=WIDE)])

    MODELS.register("wide_gui_test")(Wide)
    yield "wide_gui_test"
    MODELS._items.pop("wide_gui_test", None)


def test_the_settings_column_shows_every_row_whole(wide_architecture, window, open_table, compounds_csv, qtbot):
    window.resize(1400, 900)
    tab = open_table(compounds_csv)
    tab.pages.setCurrentWidget(tab.training)
    qtbot.wait(50)
    panel, scroll = tab.training.panel, tab.training._settings
    assert window.width() == 1400  # no minimum width pushes the window wider
    assert scroll.viewport().width() >= panel.minimumSizeHint().width()
    assert right_edge_in(panel.target.detected, scroll.viewport()) <= scroll.viewport().width()
    assert panel.target.detected.text() == "detected: regression"
    # an architecture with a long setting name widens the column instead of being cut off
    panel.set_architecture(wide_architecture)
    label = panel.hparams.layout().labelForField(panel.hparams.widget_for("steps"))
    qtbot.waitUntil(lambda: scroll.viewport().width() >= panel.minimumSizeHint().width() > 500, timeout=3000)
    qtbot.waitUntil(lambda: label.isVisible() and label.width() >= label.sizeHint().width())
    editor = panel.hparams.widget_for("steps")
    assert right_edge_in(editor, scroll.viewport()) <= scroll.viewport().width()
    assert window.width() == 1400
    panel.set_architecture("mlp")  # the settings kept when the window closes name a known architecture


def test_a_long_progress_text_is_cut_with_an_ellipsis_and_kept_whole_in_the_tooltip(qtbot):
    bar = ProgressLine()
    qtbot.addWidget(bar)
    bar.resize(280, 24)
    bar.show()
    long = "Early stopping after 136 epochs · best epoch 106 · 12:40 · and a note that does not fit"
    bar.finish(long)
    shown = bar.text()
    assert shown.endswith("…") and long.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.contentsRect().width()
    assert bar.format() == long and bar.toolTip() == long
    bar.resize(900, 24)
    assert bar.text() == long


def test_confusion_matrix_headers_fit_their_columns(qtbot):
    matrix = ConfusionMatrix()
    qtbot.addWidget(matrix)
    matrix.resize(280, 200)
    matrix.show()
    matrix.set_matrix(np.array([[59, 5], [6, 32]]), ["inactive", "active"], "Confusion matrix · test set", "")
    header = matrix.table.horizontalHeader()
    metrics = header.fontMetrics()
    for j in range(2):
        lines = matrix.table.horizontalHeaderItem(j).text().split("\n")
        assert lines == ["Predicted", ["inactive", "active"][j]]
        assert all(metrics.horizontalAdvance(line) + 8 <= header.sectionSize(j) for line in lines)
    assert header.height() >= 2 * metrics.height()  # both lines are shown
    assert matrix.table.height() >= header.height() + 2 * 34  # and both rows of counts
    assert matrix.values().tolist() == [[59, 5], [6, 32]]


def test_loss_key_sits_above_the_plot_and_an_empty_plot_says_what_comes(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.show()
    assert plot.plot.getPlotItem().legend is None  # nothing inside the plot can hide a curve
    for name in ("training", "validation", "best epoch"):
        assert name in plot.key.text()
    assert plot.hint.isVisible() and "Train" in plot.hint.toPlainText()
    plot.add(1, 0.5, 0.6, 1)
    plot.refresh()
    assert not plot.hint.isVisible()


def report(epoch, member, best):
    return EpochReport(epoch=epoch, epochs=3, train_loss=1.0 / epoch, val_loss=1.2 / epoch, val_metrics={},
                       val_rows=np.zeros(0), val_true=np.zeros((0, 1)), val_pred=np.zeros((0, 1)),
                       best_epoch=best, lr=0.01, elapsed=0.0, member=member, members=2)


def test_each_network_of_an_ensemble_is_drawn_from_epoch_one_without_a_joining_line(qtbot):
    plot, bar = LossPlot(), ProgressLine()
    for widget in (plot, bar):
        qtbot.addWidget(widget)
    bar.start()
    for member in (0, 1):
        for epoch in (1, 2, 3):
            r = report(epoch, member, best=2 if member else 3)
            plot.add(r.epoch, r.train_loss, r.val_loss, r.best_epoch, r.member)
            bar.epoch(r)
    plot.refresh()
    x, _ = plot.train_curve.getData()
    assert np.isnan(x[3]) and x[:3].tolist() == [1, 2, 3] and x[4:].tolist() == [1, 2, 3]
    assert plot.epoch_count() == 6
    assert plot.best_point.getData()[0].tolist() == [2]  # the best epoch of the network being trained
    assert bar.format().startswith("Network 2 of 2 · Epoch 3 / 3")
    assert (bar.value(), bar.maximum()) == (6, 6)


def test_predictions_are_shown_as_precisely_as_the_measured_values():
    frame = pd.DataFrame({"pIC50": [5.5, 6.51, 7.0], "pIC50_predicted": [5.77578, 6.1, 6.93333],
                          "count": [3, 4, 5], "count_predicted": [3.2, 4.4, 5.1],
                          "active_probability": [0.12345, 0.9, 0.5], "tiny": [1e-5, 2e-5, 3e-5],
                          "tiny_uncertainty": [1e-6, 1e-6, 1e-6]})
    assert prediction_decimals(frame, "pIC50_predicted") == 2
    assert prediction_decimals(frame, "count_predicted") == 1  # integers: still one decimal
    assert prediction_decimals(frame, "active_probability") == 3
    assert prediction_decimals(frame, "tiny_uncertainty") == 3


def test_a_run_shows_hints_first_then_figures_and_the_history_shows_them_in_view(view, qtbot):
    frame = descriptor_table(120)
    view.set_table(frame, detect_roles(frame))
    scatter = view.results.scatter
    assert scatter.text.isVisible() and "Train" in scatter.text.toPlainText()
    quick(view, ensemble=2)
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert view.loss_plot.epoch_count() == 8 and np.isnan(view.loss_plot.train_curve.getData()[0]).sum() == 1
    assert "RMSE" in scatter.text.toPlainText() and "Train" not in scatter.text.toPlainText()
    assert view.progress.format().startswith("Finished after 4 epochs · best epoch")
    view.tabs.setCurrentWidget(view.history)
    qtbot.wait(50)
    table, header = view.history.table, view.history.table.horizontalHeader()
    test = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index("Test")
    assert header.sectionViewportPosition(test) + header.sectionSize(test) <= table.viewport().width()
    names = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert table.item(0, names.index("Ensemble")).text() == "2 networks"  # its own column, beside the architecture
    assert names.index("Ensemble") == names.index("Architecture") + 1


def test_classification_run_shows_readable_class_names(view, qtbot):
    frame = nitrogen_table()
    frame["has_n"] = np.where(frame["has_n"] == 1, "nitrogen", "no nitrogen")
    view.set_table(frame, detect_roles(frame))
    assert view.panel.target.set_selected(["has_n"])  # a text column of two classes
    quick(view)
    view.panel.split.set_values("random", (0.6, 0.2, 0.2), 0, "")
    assert view.train()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=BACKGROUND_MS)
    assert sorted(view.model.classes[0]) == ["nitrogen", "no nitrogen"]
    headers = [view.results.confusion.table.horizontalHeaderItem(j).text() for j in range(2)]
    assert headers == [f"Predicted\n{label}" for label in view.model.classes[0]]
    assert view.results.roc.count() > 1 and "ROC-AUC" in view.results.roc.text.toPlainText()


def test_an_empty_load_report_says_there_is_nothing_wrong(window, open_table, tmp_path, qtbot):
    path = tmp_path / "clean.csv"
    pd.DataFrame({"smiles": ["CCO", "CCN", "c1ccccc1"], "pIC50": [5.0, 6.0, 7.0]}).to_csv(path, index=False)
    tab = open_table(path)
    problems = tab.roles_panel.problems
    assert problems.count() == 0
    assert problems.placeholder == "No problems: every row was read, every structure can be drawn."
    image = problems.viewport().grab().toImage()
    base = QColor(problems.palette().color(problems.viewport().backgroundRole())).rgb()
    drawn = sum(image.pixel(x, y) != base for x in range(0, image.width(), 2) for y in range(0, 40, 2))
    assert drawn > 20  # the sentence is painted in the list
