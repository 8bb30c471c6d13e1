"""The compound table: values as shown, sorting, text and substructure filters, Ctrl+C."""

import numpy as np
import pandas as pd
import pytest
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from molstudio.gui.table.model import FrameModel, FrameProxy, display_text


@pytest.fixture
def proxy(qapp):
    frame = pd.DataFrame(
        {
            "compound_id": ["a3", "B1", "c2", "d4"],
            "smiles": ["c1ccncc1", "CCO", "c1ccccc1O", "CCN"],
            "pIC50": [6.5, np.nan, 7.25, 5.0],
            "active": [1.0, 0.0, np.nan, 1.0],
        }
    )
    model = FrameModel()
    model.set_frame(frame)
    model.set_structure("smiles")
    return FrameProxy(model)


def column(proxy, name):
    index = list(proxy.frame_model.frame.columns).index(name)
    return [proxy.index(r, index).data() for r in range(proxy.rowCount())]


def test_cells_read_like_a_spreadsheet():
    assert display_text(1.0) == "1" and display_text(0.123456789) == "0.123457"
    assert display_text(np.nan) == "" and display_text(None) == "" and display_text(pd.NA) == ""
    assert display_text(7) == "7" and display_text("CCO") == "CCO"


def test_values_show_without_nan_and_row_numbers_follow_the_file(proxy):
    assert column(proxy, "pIC50") == ["6.5", "", "7.25", "5"]
    assert column(proxy, "active") == ["1", "0", "", "1"]
    proxy.sort(2, Qt.SortOrder.AscendingOrder)
    assert [proxy.headerData(r, Qt.Orientation.Vertical) for r in range(4)] == ["4", "1", "3", "2"]


def test_sorting_numbers_puts_missing_values_last_both_ways(proxy):
    proxy.sort(2, Qt.SortOrder.AscendingOrder)
    assert column(proxy, "pIC50") == ["5", "6.5", "7.25", ""]
    proxy.sort(2, Qt.SortOrder.DescendingOrder)
    assert column(proxy, "pIC50") == ["7.25", "6.5", "5", ""]
    assert proxy.frame_model.frame["pIC50"].iloc[0] == 6.5  # the table itself keeps file order


def test_sorting_text_ignores_case(proxy):
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert column(proxy, "compound_id") == ["a3", "B1", "c2", "d4"]


def test_text_filter_matches_any_column_ignoring_case_except_in_smiles(proxy):
    proxy.set_text("CCN")
    assert column(proxy, "compound_id") == ["d4"]  # not the aromatic c1ccncc1
    proxy.set_text("ccn")
    assert column(proxy, "compound_id") == ["a3"]
    proxy.set_text("b1")
    assert column(proxy, "smiles") == ["CCO"]
    proxy.set_text("")
    assert proxy.rowCount() == 4


def test_filter_and_sort_combine_and_map_back_to_file_rows(proxy):
    proxy.set_text("1")  # every row has a 1 somewhere
    proxy.sort(2, Qt.SortOrder.DescendingOrder)
    assert [proxy.position(r) for r in range(proxy.rowCount())] == [2, 0, 3, 1]
    proxy.set_structure_mask(np.array([True, False, True, False]))
    assert [proxy.position(r) for r in range(proxy.rowCount())] == [2, 0]
    assert proxy.proxy_row(1) == -1


def test_prediction_columns_are_appended_in_row_order(proxy):
    model = proxy.frame_model
    proxy.sort(2, Qt.SortOrder.AscendingOrder)
    predictions = pd.DataFrame({"pIC50_predicted": [6.0, 5.5, 7.0, 5.1]}, index=model.frame.index)
    model.append_columns(predictions)
    assert list(model.frame.columns)[-1] == "pIC50_predicted"
    assert model.frame["pIC50_predicted"].tolist() == [6.0, 5.5, 7.0, 5.1]
    # follows the sort; as many decimals as the measured pIC50 (7.25), so 6 reads 6.00, not 6
    assert column(proxy, "pIC50_predicted") == ["5.10", "6.00", "7.00", "5.50"]
    model.append_columns(predictions * 2)  # predicting again replaces, never duplicates
    assert list(model.frame.columns).count("pIC50_predicted") == 1
    assert model.frame["pIC50_predicted"].iloc[0] == 12.0


def test_ctrl_c_copies_the_selected_rows_as_tsv(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    table = tab.table
    table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # logP, highest first
    table.selectRow(0)
    table.selectionModel().select(
        tab.proxy.index(1, 0), table.selectionModel().SelectionFlag.Select | table.selectionModel().SelectionFlag.Rows
    )
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0] == "compound_id\tsmiles\tlogp"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 2
    expected = tab.frame.sort_values("logp", ascending=False).head(2)
    assert [r[1] for r in rows] == expected["smiles"].tolist()
    assert float(rows[0][2]) == pytest.approx(expected["logp"].iloc[0], rel=1e-5)


def test_text_filter_box_filters_the_table(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    qtbot.keyClicks(tab.filter_text, "c1ccccc1")
    qtbot.waitUntil(lambda: tab.proxy.text == "c1ccccc1")  # applied once typing pauses
    shown = [tab.proxy.position(r) for r in range(tab.proxy.rowCount())]
    assert all("c1ccccc1" in tab.frame["smiles"].iloc[p] for p in shown)
    assert len(shown) == 14 and tab.count_label.text() == "14 of 63 compounds"


def test_smarts_filter_keeps_compounds_with_the_substructure(window, open_table, compounds_csv, qtbot):
    tab = open_table(compounds_csv)
    tab.set_smarts_filter("c1ccncc1")  # pyridine ring, also inside quinoline
    qtbot.waitUntil(lambda: tab.proxy.rowCount() < tab.model.rowCount(), timeout=BACKGROUND_MS)
    shown = {tab.frame["smiles"].iloc[tab.proxy.position(r)] for r in range(tab.proxy.rowCount())}
    assert shown == {"c1ccncc1", "c1cnc2ccccc2c1"}
    assert tab.count_label.text() == "2 of 63 compounds"
    tab.set_smarts_filter("[N;H2]C")  # an NH2 on carbon: four amines, alanine, urea
    qtbot.waitUntil(lambda: tab.proxy.rowCount() == 6, timeout=BACKGROUND_MS)
    tab.set_smarts_filter("")
    assert tab.proxy.rowCount() == 63


def test_an_invalid_smarts_is_marked_and_filters_nothing(window, open_table, compounds_csv):
    tab = open_table(compounds_csv)
    tab.set_smarts_filter("c1ccc(")
    said = "'c1ccc(' is not a valid SMARTS pattern (look around character 6)."
    assert window.statusBar().currentMessage() == said
    assert tab.filter_smarts.toolTip().startswith(said) and "(pyridine)" in tab.filter_smarts.toolTip()
    assert tab.filter_smarts.styleSheet()
    assert tab.proxy.rowCount() == 63
