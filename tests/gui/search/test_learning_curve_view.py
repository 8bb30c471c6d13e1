"""The learning curve from the GUI: the plot, the reading, Export CSV, mistakes in words."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pandas as pd
import pytest
from factories import descriptor_table
from gui_fixtures import BACKGROUND_MS

import molstudio.gui.qt_compat  # noqa: F401
from molstudio.core.errors import MolStudioError


@pytest.fixture
def assays(tmp_path):
    path = tmp_path / "assays.csv"
    descriptor_table(120).to_csv(path, index=False)
    return path


def curve_view(tab, fractions="0.25, 0.5, 0.75, 1", repeats=1):
    view = tab.training
    view.panel.set_architecture("mlp")
    view.panel.hparams.set_values({"hidden_sizes": [16, 16], "dropout": 0.0})
    view.panel.training.set_values({"epochs": 4, "patience": 0, "lr": 0.01, "batch_size": 32,
                                    "device": "cpu", "ensemble": 1})
    tab.pages.setCurrentWidget(view)
    view.tabs.setCurrentWidget(view.curve)
    view.curve.fractions.setText(fractions)
    view.curve.repeats.setValue(repeats)
    return view.curve


def test_the_learning_curve_fills_its_plot_and_exports_its_points(open_table, assays, qtbot, tmp_path):
    tab = open_table(assays)
    curve = curve_view(tab, repeats=2)
    assert not curve.export_button.isEnabled()
    assert curve.start()
    assert not tab.training.train_button.isEnabled()
    qtbot.waitUntil(lambda: not curve.is_running(), timeout=BACKGROUND_MS)
    assert curve.banner.isHidden()
    assert curve.point_count() == 4  # 24, 48, 72 and 96 of the 96 training compounds
    x, _ = curve.val_line.getData()
    assert list(x) == [24, 48, 72, 96]
    assert curve.curve.fit is not None and len(curve.fit_line.getData()[0]) == 50
    assert curve.spread.isVisible()  # two repeats per size: mean ± spread
    assert curve.reading.isVisible() and curve.reading.text().startswith("Validation RMSE")
    assert "same 12 validation compounds" in curve.reading.text()
    assert "RMSE of y" in curve.plot.getPlotItem().getAxis("left").labelText
    assert "Finished: 8 of 8 models trained" in curve.progress.format()
    out = tmp_path / "curve.csv"
    assert curve.export_button.isEnabled() and curve.export_csv(out)
    table = pd.read_csv(out)
    assert list(table.columns) == ["fraction", "repeat", "n_train", "val_rmse", "train_rmse", "epochs", "seconds"]
    assert len(table) == 8 and sorted(set(table["n_train"])) == [24, 48, 72, 96]
    with pytest.raises(MolStudioError):
        curve.export_csv(assays)  # never over the data it was made from
    assert len(pd.read_csv(assays)) == 120


def test_bad_shares_are_explained_and_the_view_stays_usable(open_table, assays, qtbot):
    tab = open_table(assays)
    curve = curve_view(tab, fractions="half, 1")
    assert not curve.start()
    assert curve.banner.kind == "error" and "half&#x27; is not a share of the training set" in curve.banner.text()
    curve.fractions.setText("0.5, 2")
    assert curve.start()  # the engine checks the values, in the background
    qtbot.waitUntil(lambda: not curve.is_running(), timeout=BACKGROUND_MS)
    assert "must be above 0 and at most 1; got 2" in curve.banner.text()
    assert curve.point_count() == 0 and not curve.export_button.isEnabled()
    curve.fractions.setText("50%, 100%")
    assert curve.start()
    qtbot.waitUntil(lambda: not curve.is_running(), timeout=BACKGROUND_MS)
    assert curve.point_count() == 2 and curve.banner.isHidden()
    assert "at least two training-set sizes" not in curve.reading.text()
