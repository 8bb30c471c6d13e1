"""The main window on a table with censored values, bad structures and a constant column."""

import html

import numpy as np
import pytest
from factories import logp_table
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


def _assay_csv(tmp_path):
    frame = logp_table(40)
    potency = frame["logp"].round(2).astype(str)
    potency[[1, 5]] = ["<" + potency[1], ">= " + potency[5]]
    frame = frame.drop(columns="logp").assign(pIC50=potency, plate=5.0)
    frame.loc[3, "smiles"] = "C(C)(C)(C)(C)C"  # pentavalent carbon
    frame.loc[7, "smiles"] = "Q(" * 20_000  # pasted garbage
    path = tmp_path / "assay.csv"
    frame.to_csv(path, index=False)
    return path


def _quick(training):
    panel = training.panel
    panel.set_architecture("mlp")
    panel.features.set_specs(["morgan_count"])
    panel.hparams.set_values({"hidden_sizes": [8], "dropout": 0.0})
    panel.training.set_values({"epochs": 2, "patience": 0, "device": "cpu", "ensemble": 1})


def test_censored_values_and_bad_structures_are_shown_and_a_constant_target_is_refused(
    window, open_table, qtbot, tmp_path
):
    tab = open_table(_assay_csv(tmp_path))
    headers = [tab.model.headerData(i, Qt.Orientation.Horizontal) for i in range(tab.model.columnCount())]
    assert headers[headers.index("pIC50") + 1] == "pIC50_qualifier"
    assert tab.roles.targets == ["pIC50"]  # never the qualifier column
    assert tab.model.frame.loc[1, "pIC50_qualifier"] == "<" and np.isfinite(tab.model.frame.loc[1, "pIC50"])

    warnings = tab.roles_panel.warnings.text()
    assert tab.roles_panel.warnings.isVisibleTo(window)
    assert "Column 'pIC50' holds 2 censored value(s) (1 '<', 1 '>=')" in warnings
    assert "'pIC50_qualifier'" in warnings and "training uses the number as given" in warnings

    problems = [tab.roles_panel.problems.item(i).text() for i in range(tab.roles_panel.problems.count())]
    assert problems == [
        "Row 4: Explicit valence for atom # 0 C, 5, is greater than permitted",
        "Row 8: too long: 40,000 characters (MolStudio reads SMILES of up to 10,000; is this cell really a "
        "structure?)",
    ]

    training = tab.training
    _quick(training)
    assert training.panel.target.set_selected(["plate"])
    assert training.train()
    qtbot.waitUntil(lambda: not training.is_busy(), timeout=BACKGROUND_MS)
    assert training.banner.kind == "error" and not training.banner.isHidden()
    message = html.unescape(training.banner.text())
    assert "Every compound has the same value 5 for 'plate': there is nothing to learn." in message
    assert training.model is None and training.train_button.isEnabled()

    # the window keeps working: the censored target trains, leaving the two bad rows out
    assert training.panel.target.set_selected(["pIC50"])
    assert training.train()
    qtbot.waitUntil(lambda: not training.is_busy(), timeout=BACKGROUND_MS)
    assert training.model is not None, training.banner.text()
    record = training.history.records[-1]
    assert record.epochs_run == 2
    notes = html.unescape(training.banner.text())
    assert notes.count("left out of training") == 1 and "set aside" not in notes  # the rows left out, said once
