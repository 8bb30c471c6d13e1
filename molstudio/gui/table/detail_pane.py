"""The selected compound: a large depiction and every value of its row."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap, QResizeEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from molstudio.core import chem
from molstudio.core.trained.model import DOMAIN_COLUMN, SIMILARITY_COLUMN
from molstudio.gui.table.model import (
    OUTSIDE_BG,
    OUTSIDE_FG,
    PREDICTION_BG,
    display_text,
    outside_note,
    prediction_text,
    prediction_tooltip,
)
from molstudio.gui.table.structures import parse


class DetailPane(QWidget):
    """Shows one row of the table; :meth:`show_row` fills it, :meth:`clear` empties it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mol: chem.Mol | None = None
        self.position: int | None = None
        self.picture_svg: bytes | None = None  # drawn instead of the depiction (atom contributions)
        self.title = QLabel("No compound selected")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(QSize(220, 180))
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # the pixmap follows the pane, never the reverse
        self.picture.setStyleSheet("background: white; border: 1px solid #d0d0d0; border-radius: 4px;")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #a4262c;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.values = QTableWidget(0, 2)
        self.values.setHorizontalHeaderLabels(["Property", "Value"])
        self.values.verticalHeader().hide()
        self.values.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.values.setWordWrap(True)
        self.values.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.values.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.picture, 3)
        layout.addWidget(self.error)
        layout.addWidget(self.values, 2)
        self.clear()

    def host_picture_tools(self, above: QWidget, below: QWidget) -> None:
        """Place ``above`` over the picture and ``below`` under it (the atom-contribution tools)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)  # set in __init__
        layout.insertWidget(layout.indexOf(self.picture), above)
        layout.insertWidget(layout.indexOf(self.picture) + 1, below)

    def set_picture(self, svg: bytes | None) -> None:
        """Show ``svg`` (aspect ratio kept) instead of the depiction; None: the depiction again."""
        self.picture_svg = svg
        self._render()

    def clear(self) -> None:
        self.position = None
        self._mol = None
        self.picture_svg = None
        self.title.setText("No compound selected")
        self.picture.setPixmap(QPixmap())
        self.picture.setText("<span style='color:gray'>Select a row to see the compound</span>")
        self.picture.show()
        self.error.hide()
        self.values.setRowCount(0)

    def show_row(
        self,
        frame: pd.DataFrame,
        position: int,
        structure: str | None = None,
        kind: str = "smiles",
        id_column: str | None = None,
        highlighted: list[str] | None = None,
        decimals: dict[str, int] | None = None,
    ) -> None:
        """Show row ``position`` of ``frame``; ``highlighted`` columns (predictions) are tinted.

        ``decimals`` gives the digits after the point of some columns, as the table shows them.
        """
        self.position = position
        self.picture_svg = None
        row = frame.iloc[position]
        name = display_text(row[id_column]) if id_column and id_column in frame.columns else ""
        self.title.setText(f"{name} (row {position + 1})" if name else f"Row {position + 1}")
        self._mol, reason = (None, None)
        has_structures = bool(structure and structure in frame.columns)
        self.picture.setVisible(has_structures)  # a descriptor table has nothing to draw
        if has_structures:
            value = row[structure]
            self._mol, reason = parse("" if display_text(value) == "" else str(value), kind)
        tinted = set(highlighted or [])
        outside = DOMAIN_COLUMN in tinted and DOMAIN_COLUMN in frame.columns and row[DOMAIN_COLUMN] is False
        if reason:
            self.error.setText(f"Structure cannot be read: {reason}")
        elif outside:
            self.error.setText(outside_note(row[SIMILARITY_COLUMN] if SIMILARITY_COLUMN in frame.columns else None))
        self.error.setStyleSheet(f"color: {'#a4262c' if reason else OUTSIDE_FG.name()};")
        self.error.setVisible(bool(reason) or outside)
        self._render()
        self.values.setRowCount(len(frame.columns))
        for i, column in enumerate(map(str, frame.columns)):
            value = row[column]
            text = display_text(value, (decimals or {}).get(column))
            if column == structure and kind == "molblock":
                column, text = "SMILES", chem.canonical_smiles(self._mol) or ""
            if column in tinted:
                text = prediction_text(column, value, (decimals or {}).get(column))
            key, item = QTableWidgetItem(column), QTableWidgetItem(text)
            item.setToolTip(text)
            if column in tinted:
                key.setToolTip(prediction_tooltip(column))
                key.setBackground(OUTSIDE_BG if outside else PREDICTION_BG)
                item.setBackground(OUTSIDE_BG if outside else PREDICTION_BG)
                if outside and column == DOMAIN_COLUMN:
                    item.setForeground(OUTSIDE_FG)
            self.values.setItem(i, 0, key)
            self.values.setItem(i, 1, item)
        self.values.resizeRowsToContents()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._render()

    def _render(self) -> None:
        if self.position is None:
            return
        if self._mol is None:
            self.picture.setPixmap(QPixmap())
            self.picture.setText("<span style='color:gray'>No structure to draw</span>")
            return
        size = self.picture.contentsRect().size()
        width, height = max(size.width(), 120), max(size.height(), 100)
        ratio = self.devicePixelRatioF()
        svg = self.picture_svg or chem.mol_to_svg(self._mol, width, height).encode()
        pixmap = QPixmap(round(width * ratio), round(height * ratio))
        pixmap.fill(QColor("white"))
        painter = QPainter(pixmap)
        renderer = QSvgRenderer(QByteArray(svg))
        renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        renderer.render(painter, QRectF(0, 0, pixmap.width(), pixmap.height()))
        painter.end()
        pixmap.setDevicePixelRatio(ratio)
        self.picture.setPixmap(pixmap)
