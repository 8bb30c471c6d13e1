"""Items of a :class:`QTableWidget` whose cells the code filled itself.

Qt answers ``None`` for an empty cell; these helpers are for cells that cannot be empty
(every row was filled when it was added), and say so if one is.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The item at ``row``, ``column`` of a table that fills every cell it shows."""
    item = table.item(row, column)
    assert item is not None, f"no item at row {row}, column {column}"
    return item


def header_cell(table: QTableWidget, column: int) -> QTableWidgetItem:
    """The horizontal header item of ``column`` (set by ``setHorizontalHeaderLabels``)."""
    item = table.horizontalHeaderItem(column)
    assert item is not None, f"no header item for column {column}"
    return item
