"""Column roles (structure, id, targets, descriptors) and the load report of one table.

The roles start as :func:`molstudio.core.tables.columns.detect_roles` found them; one click
on a column's role changes it. The load report lists the file's warnings and the
problem rows (unreadable structures with RDKit's reason); clicking one emits
``problem_selected`` with its row position so the table can show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.tables.columns import ColumnRoles
from molstudio.core.tables.reading import LoadReport, RowProblem

STRUCTURE, ID, TARGET, DESCRIPTOR, IGNORED = "Structure", "ID", "Target", "Descriptor", "—"
MAX_LISTED = 5000  # a list of more problem rows helps nobody; the count says the rest


class ProblemList(QListWidget):
    """The problem rows; when there are none, a line in the empty list says so."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = ""

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        if self.count() or not self.placeholder:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        area = self.viewport().rect().adjusted(8, 8, -8, -8)
        painter.drawText(area, int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
                         | int(Qt.TextFlag.TextWordWrap), self.placeholder)
        painter.end()


def role_of(column: str, roles: ColumnRoles) -> str:
    if column == roles.structure:
        return STRUCTURE
    if column == roles.id:
        return ID
    if column in roles.targets:
        return TARGET
    if column in roles.descriptors:
        return DESCRIPTOR
    return IGNORED


def with_role(roles: ColumnRoles, column: str, role: str, detected: ColumnRoles) -> ColumnRoles:
    """``roles`` with ``column`` given ``role``; a column has one role, and there is one structure and one id."""
    targets = [c for c in roles.targets if c != column]
    descriptors = [c for c in roles.descriptors if c != column]
    structure = None if roles.structure == column else roles.structure
    kind = roles.structure_kind if structure else None
    ident = None if roles.id == column else roles.id
    if role == STRUCTURE:
        structure = column
        kind = detected.structure_kind if column == detected.structure else "smiles"
    elif role == ID:
        ident = column
    elif role == TARGET:
        targets.append(column)
    elif role == DESCRIPTOR:
        descriptors.append(column)
    return replace(roles, structure=structure, structure_kind=kind, id=ident, targets=targets, descriptors=descriptors)


def describe_report(report: LoadReport, columns: int) -> str:
    """One line a chemist can check: rows, columns, and how the file was read."""
    kind = "built-in example" if report.format == "example" else str(report.format).upper()
    parts = [f"{report.rows_read:,} rows · {columns} columns · {kind}"]
    if report.sheet:
        parts.append(f"sheet “{report.sheet}”")
    if report.encoding:
        parts.append(str(report.encoding))
    if report.delimiter:
        names = {",": "comma", ";": "semicolon", "\t": "tab", " ": "space", "|": "pipe"}
        parts.append(f"{names.get(report.delimiter, repr(report.delimiter))}-separated")
    if report.decimal == ",":
        parts.append("decimal comma")
    return " · ".join(parts)


class RolesPanel(QWidget):
    """Editable column roles above the load report."""

    roles_changed = Signal(object)  # ColumnRoles
    problem_selected = Signal(int)  # a row position in the table

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frame = pd.DataFrame()
        self._roles: ColumnRoles | None = None
        self._detected: ColumnRoles | None = None
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.columns = QTableWidget(0, 3)
        self.columns.setHorizontalHeaderLabels(["Column", "Role", "Filled"])
        self.columns.verticalHeader().hide()
        self.columns.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.columns.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.columns.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.report_title = QLabel("<b>Load report</b>")
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5300;")
        self.problems = ProblemList()
        self.problems.setWordWrap(True)
        self.problems.setToolTip("Click a row to show it in the table.")
        self.problems.itemClicked.connect(self._on_problem_clicked)
        self.problems.itemActivated.connect(self._on_problem_clicked)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("<b>Column roles</b>")
        heading.setToolTip("What each column holds. Click a role to change it; the training settings follow.")
        top_layout.addWidget(heading)
        top_layout.addWidget(self.summary)
        top_layout.addWidget(self.columns)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.report_title)
        bottom_layout.addWidget(self.warnings)
        bottom_layout.addWidget(self.problems)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("rolesSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)

    @property
    def roles(self) -> ColumnRoles | None:
        return self._roles

    def set_table(self, frame: pd.DataFrame, roles: ColumnRoles, report: LoadReport | None = None) -> None:
        """Show the columns of ``frame`` with their detected ``roles``."""
        self._frame = frame
        self._roles = self._detected = roles
        if report is not None:
            self.summary.setText(describe_report(report, len(frame.columns)))
            self.warnings.setText("\n".join(f"• {w}" for w in report.warnings))
            self.warnings.setVisible(bool(report.warnings))
        self._fill_columns()

    def set_problems(self, problems: Sequence[RowProblem], checking: bool = False) -> None:
        """List the problem rows; ``checking`` says the structure check is still running."""
        self.problems.clear()
        for problem in list(problems)[:MAX_LISTED]:
            column = problem.column if problem.column and problem.column != self._structure_name() else ""
            where = f"Row {problem.row + 1}" + (f" · {column}" if column else "")
            item = QListWidgetItem(f"{where}: {problem.message}")
            item.setData(Qt.ItemDataRole.UserRole, int(problem.row))
            item.setToolTip(problem.message)
            self.problems.addItem(item)
        more = len(problems) - MAX_LISTED
        state = " (checking structures…)" if checking else ""
        if not problems:
            text = "no problem rows" if not checking else "checking structures…"
            self.report_title.setText(f"<b>Load report</b>: {text}")
            drawn = ", every structure can be drawn" if self._structure_name() else ""
            self.problems.set_placeholder("Checking that every structure can be read…" if checking
                                          else f"No problems: every row was read{drawn}.")
        else:
            extra = f", {more:,} not listed" if more > 0 else ""
            self.report_title.setText(f"<b>Load report</b>: {len(problems):,} problem rows{extra}{state}")

    def _structure_name(self) -> str | None:
        return self._roles.structure if self._roles else None

    def set_role(self, column: str, role: str) -> None:
        """Give ``column`` a role, as a click in the panel does."""
        if self._roles is None or self._detected is None:
            return
        self._roles = with_role(self._roles, column, role, self._detected)
        self._sync_roles()
        self.roles_changed.emit(self._roles)

    def _fill_columns(self) -> None:
        roles = self._roles
        self.columns.setRowCount(0)
        if roles is None:
            return
        self.columns.setRowCount(len(self._frame.columns))
        numeric = set(roles.numeric)
        for row, name in enumerate(map(str, self._frame.columns)):
            label = QTableWidgetItem(name)
            label.setToolTip(f"{name}: {'numbers' if name in numeric else 'text'}")
            self.columns.setItem(row, 0, label)
            combo = QComboBox()
            choices = [STRUCTURE, ID, TARGET] + ([DESCRIPTOR] if name in numeric else []) + [IGNORED]
            combo.addItems(choices)
            combo.setCurrentText(role_of(name, roles))
            combo.setAccessibleName(f"Role of {name}")
            combo.currentTextChanged.connect(lambda role, name=name: self.set_role(name, role))
            self.columns.setCellWidget(row, 1, combo)
            self.columns.setItem(row, 2, QTableWidgetItem(self._filled(name)))

    def _sync_roles(self) -> None:
        """Show the current roles without rebuilding the combo that was just clicked."""
        if self._roles is None:
            return
        for row, name in enumerate(map(str, self._frame.columns)):
            combo = self.columns.cellWidget(row, 1)
            if isinstance(combo, QComboBox):
                combo.blockSignals(True)
                combo.setCurrentText(role_of(name, self._roles))
                combo.blockSignals(False)

    def _filled(self, name: str) -> str:
        """How many rows have a value ("all" when none is missing)."""
        filled = int(self._frame[name].notna().sum())
        return f"{filled:,}" if filled < len(self._frame) else "all"

    def _on_problem_clicked(self, item: QListWidgetItem) -> None:
        self.problem_selected.emit(int(item.data(Qt.ItemDataRole.UserRole)))
