"""2D structure depictions in the table: a lazy pixmap cache and the delegate that paints it.

RDKit draws one molecule in a few milliseconds, too slow to do inside ``paint`` for
a screen full of rows while scrolling. So painting only *asks* the
:class:`DepictionCache` for a pixmap; a missing one is queued and drawn by a
zero-delay timer in small time slices (newest request first, stale requests
dropped), and the view repaints when a slice is done. Only rows that are painted,
i.e. visible, are ever drawn.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from molstudio.core import chem

ERROR_ROLE = Qt.ItemDataRole.UserRole + 1  # why a structure cannot be read ("" when fine)
STRUCTURE_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw SMILES / molblock text

SLICE_SECONDS = 0.015  # keeps the event loop free for scrolling between slices
MAX_QUEUE = 96  # rows scrolled past long ago are not worth drawing any more

PLACEHOLDER_BG = QColor("#fdf1f0")
PLACEHOLDER_FG = QColor("#a4262c")


def parse(text: str, kind: str) -> tuple[chem.Mol | None, str | None]:
    """One structure through the core parser of its kind."""
    return chem.parse_molblock(text) if kind == "molblock" else chem.parse_smiles(text)


class DepictionCache(QObject):
    """Least-recently-used cache of structure pixmaps, filled off the paint path.

    Parameters
    ----------
    capacity
        Pixmaps kept; a 220 x 120 thumbnail takes about 100 KB.
    """

    updated = Signal()

    def __init__(self, capacity: int = 400, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._pixmaps: OrderedDict[tuple[str, str, int, int], QPixmap] = OrderedDict()
        self._errors: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._queue: OrderedDict[tuple[str, str, int, int], None] = OrderedDict()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_slice)
        self.rendered = 0  # how many depictions were drawn (for tests and benchmarks)

    def pixmap(self, text: str, kind: str, size: QSize) -> QPixmap | None:
        """The depiction if it is ready; otherwise queue it and return None."""
        ratio = _device_ratio()
        key = (kind, text, round(size.width() * ratio), round(size.height() * ratio))
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        if self._errors.get((kind, text)) is not None:
            return None  # known to be unreadable: the delegate draws the placeholder
        self._queue[key] = None
        self._queue.move_to_end(key)
        while len(self._queue) > MAX_QUEUE:
            self._queue.popitem(last=False)
        if not self._timer.isActive():
            self._timer.start()
        return None

    def error(self, text: str, kind: str) -> str | None:
        """RDKit's reason why ``text`` cannot be read, or None when it can."""
        key = (kind, text)
        if key not in self._errors:
            self._remember_error(key, parse(text, kind)[1])
        return self._errors[key]

    def pending(self) -> int:
        """Depictions asked for and not drawn yet."""
        return len(self._queue)

    def __len__(self) -> int:
        return len(self._pixmaps)

    def clear(self) -> None:
        self._pixmaps.clear()
        self._queue.clear()

    def _remember_error(self, key: tuple[str, str], error: str | None) -> None:
        self._errors[key] = error
        self._errors.move_to_end(key)
        while len(self._errors) > 20 * self.capacity:
            self._errors.popitem(last=False)

    def _render_slice(self) -> None:
        deadline = time.perf_counter() + SLICE_SECONDS
        drawn = False
        while self._queue and time.perf_counter() < deadline:
            key, _ = self._queue.popitem(last=True)
            kind, text, width, height = key
            mol, error = parse(text, kind)
            self._remember_error((kind, text), error)
            if mol is not None:
                image = QPixmap()
                image.loadFromData(chem.mol_to_png(mol, width, height), "PNG")
                image.setDevicePixelRatio(_device_ratio())
                self._pixmaps[key] = image
                while len(self._pixmaps) > self.capacity:
                    self._pixmaps.popitem(last=False)
                self.rendered += 1
            drawn = True
        if self._queue:
            self._timer.start()
        if drawn:
            self.updated.emit()


def _device_ratio() -> float:
    app = QApplication.instance()
    return app.devicePixelRatio() if isinstance(app, QApplication) else 1.0


class StructureDelegate(QStyledItemDelegate):
    """Paints the DecorationRole pixmap of a structure cell, or a placeholder."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()
        opt.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = option.rect.adjusted(3, 3, -3, -3)
        error = index.data(ERROR_ROLE)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        painter.save()
        if error:
            self._paint_placeholder(painter, rect, str(error))
        elif isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.deviceIndependentSize().toSize()
            target = QRect(0, 0, min(size.width(), rect.width()), min(size.height(), rect.height()))
            target.moveCenter(rect.center())
            painter.drawPixmap(target, pixmap)
        else:  # not drawn yet: the SMILES stands in for a moment
            painter.setPen(option.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
            elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, elided)
        painter.restore()

    @staticmethod
    def _paint_placeholder(painter: QPainter, rect: QRect, error: str) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("#e8b4b0"))
        painter.setBrush(PLACEHOLDER_BG)
        painter.drawRoundedRect(rect.adjusted(4, 4, -4, -4), 6, 6)
        empty = error == chem.EMPTY
        title = "No structure" if empty else "\u26a0  Invalid structure"
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#666666") if empty else PLACEHOLDER_FG)
        top = rect.adjusted(10, 0, -10, -rect.height() // 2)
        painter.drawText(top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, title)
        if not empty:
            font.setBold(False)
            painter.setFont(font)
            painter.setPen(QColor("#5f3b39"))
            bottom = rect.adjusted(12, rect.height() // 2 + 4, -12, -8)
            short = error.split(":")[0]  # the whole reason is in the tooltip and the load report
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            painter.drawText(bottom, flags, short)
