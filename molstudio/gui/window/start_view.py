"""What the window shows with no table open: a drop target, the examples, recent files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.tables.examples import EXAMPLES
from molstudio.gui.resources import app_icon

DROP_STYLE = """
QFrame#dropZone {{ border: 2px dashed {border}; border-radius: 12px; background: {background}; }}
"""


class StartView(QWidget):
    """The welcome page; the whole window accepts dropped files, this page shows where."""

    open_requested = Signal()
    example_requested = Signal(str)
    recent_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.example_buttons: dict[str, QPushButton] = {}
        page = QWidget()
        page.setMaximumWidth(760)
        column = QVBoxLayout(page)
        column.setSpacing(14)
        column.addLayout(self._header())
        column.addWidget(self._drop_zone())
        column.addWidget(_heading("Start with an example"))
        column.addLayout(self._examples())
        self.recent_title = _heading("Recent files")
        self.recent_box = QVBoxLayout()
        self.recent_box.setSpacing(2)
        column.addWidget(self.recent_title)
        column.addLayout(self.recent_box)
        column.addStretch(1)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(page, 4)
        centred.addStretch(1)
        inner = QWidget()
        inner.setLayout(centred)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.set_recent([])
        self.set_drag_active(False)

    def set_recent(self, paths: list[str]) -> None:
        """Show up to five recent files as links."""
        while self.recent_box.count():
            item = self.recent_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for path in paths[:5]:
            name = Path(path).name
            link = QLabel(f"<a href='{path}'>{name}</a> <span style='color:gray'>— {Path(path).parent}</span>")
            link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
            link.linkActivated.connect(self.recent_requested)
            link.setToolTip(path)
            self.recent_box.addWidget(link)
        self.recent_title.setVisible(bool(paths))

    def set_drag_active(self, active: bool) -> None:
        """Highlight the drop zone while files are dragged over the window."""
        colours = {"border": "#2a7ab0", "background": "#e6f1fa"} if active else {"border": "#9db3c6", "background": "#f7f9fb"}
        self.drop_zone.setStyleSheet(DROP_STYLE.format(**colours))

    def _header(self) -> QHBoxLayout:
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(QSize(72, 72)))
        title = QLabel("<span style='font-size:22pt; font-weight:600'>Welcome to MolStudio</span><br>"
                       "<span style='font-size:11pt; color:#555'>Train neural networks on your own compound data: "
                       "open a table, pick what to predict, watch the network learn, export the predictions.</span>")
        title.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(title, 1)
        return row

    def _drop_zone(self) -> QFrame:
        self.drop_zone = QFrame()
        self.drop_zone.setObjectName("dropZone")
        self.drop_zone.setMinimumHeight(170)
        text = QLabel("<span style='font-size:15pt; font-weight:600'>Drop compound files here</span><br>"
                      "<span style='color:#555'>CSV · TSV · Excel (.xlsx) · SDF · SMILES (.smi) — one tab per file</span>")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setStyleSheet("background: transparent; border: none;")
        self.open_button = QPushButton("Open File…")
        self.open_button.setIcon(QIcon.fromTheme("document-open"))
        self.open_button.setMinimumWidth(160)
        self.open_button.clicked.connect(self.open_requested)
        box = QVBoxLayout(self.drop_zone)
        box.addStretch(1)
        box.addWidget(text)
        box.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(1)
        return self.drop_zone

    def _examples(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        for i, (name, example) in enumerate(EXAMPLES.items()):
            card = QFrame()
            card.setObjectName("exampleCard")
            card.setStyleSheet("QFrame#exampleCard { border: 1px solid #d5dde5; border-radius: 8px; background: white; }")
            title = QLabel(f"<b>{example.title}</b>")
            title.setWordWrap(True)
            about = QLabel(example.description)
            about.setWordWrap(True)
            about.setStyleSheet("color: #444;")
            button = QPushButton("Open example")
            button.clicked.connect(lambda _=False, name=name: self.example_requested.emit(name))
            self.example_buttons[name] = button
            box = QVBoxLayout(card)
            box.addWidget(title)
            box.addWidget(about, 1)
            box.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(card, 0, i)
        return grid


def _heading(text: str) -> QLabel:
    label = QLabel(f"<span style='font-size:12pt; font-weight:600'>{text}</span>")
    return label
