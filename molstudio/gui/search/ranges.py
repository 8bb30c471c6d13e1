"""The search ranges of a hyperparameter search, as a small editable table.

One row per setting the search may change for the chosen architecture (its schema and
the searched training settings): the range the search would try (from
:class:`~molstudio.core.search.space.SearchSpace`, around the run's own settings) and
the run's value. The user narrows or widens a range (``1e-4 .. 1e-2``), lists choices
(``relu, gelu``), fixes a setting (one value), or empties the cell to keep the run's
value. Edited cells are read with the CLI's own :func:`parse_override` and checked
against the schema through :class:`SearchSpace`, so the GUI and ``molstudio-cli tune
--search`` accept exactly the same ranges; a refused one is marked and explained in words.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param
from molstudio.core.run.config import TRAINING_SCHEMA
from molstudio.core.search.space import (
    NOT_SEARCHED,
    TRAINING_RANGES,
    Dimension,
    SearchSpace,
    parse_override,
)
from molstudio.gui.common.param_form import display_title, format_value
from molstudio.gui.common.table_items import cell, header_cell

BAD = QColor("#fdecea")
RANGE_HELP = (
    "What the search may try for each setting.\n"
    "  LOW .. HIGH   a range (e.g. 1e-4 .. 1e-2)\n"
    "  A, B, C       choices (e.g. relu, gelu)\n"
    "  one value     fixed at that value\n"
    "  empty         kept at the run's value (right-hand column)\n"
    "Layer sizes: a range of neurons per layer (1 to one more layer than the run has), "
    "or fixed sizes such as 256 256."
)
NAME, RANGE, RUN, NOTE = range(4)


def find_param(model: str, name: str) -> Param | None:
    """The schema entry of ``name`` (the architecture's, else the training settings'); None for neither."""
    return MODELS.get(model).schema.get(name) or TRAINING_SCHEMA.get(name)


def _listed_param(model: str, name: str) -> Param:
    """The schema entry of a setting the ranges table lists (always one of the two schemas')."""
    param = find_param(model, name)
    assert param is not None, name
    return param


def setting_label(model: str, name: str) -> str:
    """A setting's name in plain words (the schema's label); Optuna's own names of a layer
    list (``hidden_sizes_layers`` / ``_width``) included."""
    for suffix, words in (("_layers", "number of layers"), ("_width", "neurons per layer")):
        base = name.removesuffix(suffix)
        if base != name and (param := find_param(model, base)) is not None:
            return f"{display_title(param)}: {words}"
    param = find_param(model, name)
    return display_title(param) if param is not None else name


def dimension_text(dim: Dimension) -> str:
    """A dimension as the user types it (and :func:`parse_override` reads it)."""
    if dim.kind == "choice":
        return ", ".join(str(c).lower() if isinstance(c, bool) else str(c) for c in dim.choices)
    return f"{dim.low:g} .. {dim.high:g}"


def dimension_note(dim: Dimension) -> str:
    if dim.kind == "layers":
        return f"1 to {dim.max_layers} layers" + (", log scale" if dim.log else "")
    if dim.kind == "choice":
        return f"{len(dim.choices)} choices"
    return "log scale" if dim.log else ""


class SearchRanges(QWidget):
    """The editable ranges; :meth:`overrides` gives what ``tune(overrides=...)`` takes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Setting", "Search range", "Run's value", ""])
        header_cell(self.table, RANGE).setToolTip(RANGE_HELP)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(NAME, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(RANGE, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(RUN, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(self._edited)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        hint = QLabel("Double-click a range to change it: LOW .. HIGH, choices separated by commas, one value to "
                      "fix the setting, or empty to keep the run's value.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        self.model = ""
        self._values: dict[str, Any] = {}
        self._defaults: dict[str, str] = {}  # name -> the range text shown before any edit
        self._filling = False

    # ---- filling ---------------------------------------------------------------------
    def set_run(self, model: str, values: dict[str, Any]) -> None:
        """Show the default ranges of ``model`` around the run's settings ``values`` (name -> value).

        The user's edits are kept when the architecture stays the same.
        """
        edits = self.edits() if model == self.model else {}
        self.model, self._values = model, dict(values)
        space = SearchSpace.for_model(model, values)
        dims = {d.name: d for d in space.dimensions}
        names = [p.name for p in MODELS.get(model).schema
                 if p.type != "str" and (p.name in dims or p.name not in NOT_SEARCHED)]
        names += [n for n in TRAINING_RANGES if n not in names]
        names += [n for n in NOT_SEARCHED if n in MODELS.get(model).schema.names() and n not in names]
        self._filling = True
        self.table.setRowCount(len(names))
        self._defaults = {}
        for row, name in enumerate(names):
            param = _listed_param(model, name)
            dim = dims.get(name)
            text = dimension_text(dim) if dim is not None else ""
            self._defaults[name] = text
            label = QTableWidgetItem(display_title(param))
            label.setData(Qt.ItemDataRole.UserRole, name)
            label.setToolTip(f"{param.help}\nAllowed: {param.range_text() or 'any'}" if param.help else name)
            run = QTableWidgetItem(format_value(param, values.get(name, param.default)))
            note = QTableWidgetItem(dimension_note(dim) if dim is not None else "not searched")
            cell = QTableWidgetItem(edits.get(name, text))
            cell.setToolTip(RANGE_HELP)
            for item in (label, run, note):
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            for col, item in ((NAME, label), (RANGE, cell), (RUN, run), (NOTE, note)):
                self.table.setItem(row, col, item)
        self._filling = False
        self.check()

    def names(self) -> list[str]:
        return [cell(self.table, r, NAME).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())]

    def set_range(self, name: str, text: str) -> None:
        """Type ``text`` into the range cell of setting ``name`` (as the user would)."""
        cell(self.table, self.names().index(name), RANGE).setText(text)

    def range_text(self, name: str) -> str:
        return cell(self.table, self.names().index(name), RANGE).text()

    def edits(self) -> dict[str, str]:
        """Range cells the user changed: name -> text."""
        out = {}
        for row, name in enumerate(self.names()):
            text = cell(self.table, row, RANGE).text().strip()
            if text != self._defaults.get(name, ""):
                out[name] = text
        return out

    # ---- reading ---------------------------------------------------------------------
    def overrides(self) -> dict[str, Any]:
        """The user's changes as ``tune``'s overrides; raises MolStudioError in words naming the setting."""
        for name, text in self.edits().items():
            try:
                SearchSpace.for_model(self.model, self._values, {name: self._parse_one(name, text)})
            except MolStudioError as exc:
                raise MolStudioError(f"{display_title(_listed_param(self.model, name))}: {exc.message}",
                                     hint=exc.hint) from None
        return self._parsed()

    def check(self) -> bool:
        """Mark refused ranges and say why under the table; whether every range is accepted."""
        problems = dict(self._problems())
        self._filling = True
        for row, name in enumerate(self.names()):
            cell(self.table, row, RANGE).setBackground(QBrush(BAD) if name in problems else QBrush())
        self._filling = False
        lines = [f"{display_title(_listed_param(self.model, n))}: {m}" for n, m in problems.items()]
        self.message.setText("\n".join(lines))
        self.message.setVisible(bool(lines))
        return not lines

    def _parsed(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, text in self.edits().items():
            out[name] = self._parse_one(name, text)
        return out

    def _parse_one(self, name: str, text: str) -> Any:
        param = _listed_param(self.model, name)
        if not text:  # emptied: keep the run's value
            return self._values.get(name, param.default)
        if param.type == "int_list" and ".." not in text:
            text = text.replace(",", " ")  # "256, 256" is one list of layer sizes, not two choices
        return parse_override(f"{name}={text}")[1]

    def _problems(self) -> list[tuple[str, str]]:
        out = []
        for name, text in self.edits().items():
            try:
                SearchSpace.for_model(self.model, self._values, {name: self._parse_one(name, text)})
            except MolStudioError as exc:
                out.append((name, str(exc).replace("\n", " ")))
        return out

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != RANGE:
            return
        self.check()
        self.changed.emit()
