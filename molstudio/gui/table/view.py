"""The compound table view: structure thumbnails, fixed row heights, Ctrl+C as TSV."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from molstudio.gui.table.model import FrameProxy
from molstudio.gui.table.structures import StructureDelegate

THUMB = QSize(200, 116)
TEXT_ROW_HEIGHT = 26
HEADER_PADDING = 14  # each side of a header name: the frame and the sort arrow


class CompoundTable(QTableView):
    """A table of compounds over a :class:`FrameProxy`; the structure column shows depictions."""

    def __init__(self, proxy: FrameProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = self.verticalHeader()
        # fixed heights: the view never asks 50,000 rows for their size
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setDefaultSectionSize(110)
        self.horizontalHeader().setMinimumSectionSize(40)
        copy = QAction("Copy Selected Rows\tCtrl+C", self)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._delegate = StructureDelegate(self)
        self._structure_at = -1
        if proxy.frame_model.depictions is not None:
            proxy.frame_model.depictions.updated.connect(self.viewport().update)
        proxy.frame_model.headerDataChanged.connect(self._follow_structure_column)
        proxy.frame_model.modelReset.connect(self._after_reset)
        proxy.frame_model.thumb_size = QSize(THUMB)
        self.set_show_structures(True)

    def set_show_structures(self, show: bool) -> None:
        """Tall rows with depictions, or compact rows with SMILES text."""
        self.proxy.frame_model.show_structures = show
        self._follow_structure_column()
        self.viewport().update()

    def selected_positions(self) -> list[int]:
        """Frame positions of the selected rows, in the order shown."""
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [self.proxy.position(row) for row in rows]

    def copy_selection(self) -> str:
        """Put the selected rows on the clipboard as tab-separated text (header included)."""
        positions = self.selected_positions()
        if not positions:
            return ""
        text = self.proxy.frame_model.rows_as_tsv(positions)
        QGuiApplication.clipboard().setText(text)
        return text

    def select_position(self, position: int) -> bool:
        """Select and show frame row ``position``; False when the filter hides it."""
        row = self.proxy.proxy_row(position)
        if row < 0:
            return False
        index = self.proxy.index(row, 0)
        self.selectRow(row)
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def fit_header(self, column: int) -> None:
        """Widen ``column`` so its whole header name shows (e.g. ``not_predicted_because``)."""
        header = self.horizontalHeader()
        name = str(self.model().headerData(column, Qt.Orientation.Horizontal) or "")
        needed = header.fontMetrics().horizontalAdvance(name) + 2 * HEADER_PADDING
        if self.columnWidth(column) < needed:
            self.setColumnWidth(column, needed)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def _follow_structure_column(self, *_: object) -> None:
        model = self.proxy.frame_model
        column = model.structure_index if model.show_structures else -1
        if column != self._structure_at:
            if self._structure_at >= 0:
                # None (nullptr) takes the column's delegate away, which the stubs do not allow for
                self.setItemDelegateForColumn(self._structure_at, None)  # type: ignore[arg-type]
            if column >= 0:
                self.setItemDelegateForColumn(column, self._delegate)
                self.setColumnWidth(column, THUMB.width() + 8)
            self._structure_at = column
        height = THUMB.height() + 6 if column >= 0 else TEXT_ROW_HEIGHT
        if self.verticalHeader().defaultSectionSize() != height:
            self.verticalHeader().setDefaultSectionSize(height)

    def _after_reset(self) -> None:
        self._structure_at = -1  # the header forgot the column widths
        self._follow_structure_column()
