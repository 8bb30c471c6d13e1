"""Column roles change with a click and reach the train view; problem rows lead to the table."""

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from molstudio.gui.table.roles_panel import DESCRIPTOR, IGNORED, STRUCTURE, TARGET


def role_combo(tab, column) -> QComboBox:
    names = list(map(str, tab.frame.columns))
    return tab.roles_panel.columns.cellWidget(names.index(column), 1)


def test_detected_roles_are_shown(window, open_table, compounds_csv):
    tab = open_table(compounds_csv)
    shown = {c: role_combo(tab, c).currentText() for c in ("compound_id", "smiles", "logp")}
    assert shown == {"compound_id": "ID", "smiles": STRUCTURE, "logp": TARGET}
    # only numbers can be descriptors
    assert DESCRIPTOR not in [role_combo(tab, "smiles").itemText(i) for i in range(role_combo(tab, "smiles").count())]


def test_changing_a_role_reaches_the_train_view(window, open_table, tmp_path, monkeypatch):
    path = tmp_path / "assay.csv"
    pd.DataFrame(
        {"smiles": ["CCO", "CCN", "c1ccccc1"], "mw": [46.1, 45.1, 78.1], "pIC50": [5.0, 6.0, 7.0]}
    ).to_csv(path, index=False)
    tab = open_table(path)
    given = []
    monkeypatch.setattr(tab.training, "set_table", lambda frame, roles, source: given.append((frame, roles, source)))
    role_combo(tab, "mw").setCurrentText(TARGET)
    frame, roles, source = given[-1]
    assert roles.targets == ["pIC50", "mw"] and "mw" not in roles.descriptors
    assert len(frame) == 3 and source == path.resolve()
    role_combo(tab, "pIC50").setCurrentText(IGNORED)
    assert given[-1][1].targets == ["mw"]
    assert tab.roles.targets == ["mw"]


def test_one_structure_column_at_a_time(window, open_table, tmp_path):
    path = tmp_path / "two.csv"
    pd.DataFrame({"parent": ["CCO", "CCN"], "salt": ["CCO.Cl", "CCN.Cl"], "y": [1.0, 2.0]}).to_csv(path, index=False)
    tab = open_table(path)
    first = tab.roles.structure
    other = "salt" if first == "parent" else "parent"
    role_combo(tab, other).setCurrentText(STRUCTURE)
    assert tab.roles.structure == other and tab.model.structure_column == other
    assert role_combo(tab, first).currentText() == IGNORED


def test_problem_rows_are_listed_and_lead_to_the_table(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    items = [tab.roles_panel.problems.item(i) for i in range(tab.roles_panel.problems.count())]
    texts = [item.text() for item in items]
    assert len(texts) == 3
    assert texts[0].startswith("Row 61: SMILES syntax error") and "unclosed ring" in texts[0]
    assert "3 problem rows" in tab.roles_panel.report_title.text()
    tab.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    tab.roles_panel.problems.itemClicked.emit(items[1])
    assert tab.table.selected_positions() == [61]
    assert tab.detail.title.text() == "BAD2 (row 62)"
    assert "valence" in tab.detail.error.text()


def test_selecting_a_row_shows_the_compound_in_detail(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    tab.table.select_position(18)  # naphthalene
    assert tab.detail.title.text() == "C018 (row 19)"
    values = {tab.detail.values.item(r, 0).text(): tab.detail.values.item(r, 1).text() for r in range(3)}
    assert values["smiles"] == "c1ccc2ccccc2c1" and float(values["logp"]) > 2
    picture = tab.detail.picture.pixmap()
    assert not picture.isNull() and picture.width() >= 200
    assert tab.detail.error.isHidden()
