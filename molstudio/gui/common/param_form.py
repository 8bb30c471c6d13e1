"""Editors generated from a :class:`~molstudio.core.params.Schema`.

Every architecture (and the training settings) declares its hyperparameters as
:class:`~molstudio.core.params.Param` objects; :class:`ParamForm` turns them into a
form (spin boxes with the declared ranges, check boxes, drop-downs, lists) with the
help text, range and default as tooltips, so a new architecture needs no GUI code.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from molstudio.core.errors import MolStudioError
from molstudio.core.params import Param, Schema

INT_MAX = 2**31 - 1
_LADDER = (1.0, 2.0, 5.0)
#: words of a parameter name written as a chemist reads them, for names without a label
WORDS = {"ffn": "FFN", "smiles": "SMILES", "gnn": "GNN", "conv": "convolution", "lr": "learning rate"}


def display_title(param: Param) -> str:
    """The row title: the schema's label, else its name with acronyms kept upper-case
    ("FFN hidden size", not "Ffn hidden size")."""
    if param.label:
        return param.label
    words = [WORDS.get(w.lower(), w) for w in param.name.split("_") if w]
    text = " ".join(words) or param.name
    return text[0].upper() + text[1:]


def param_tooltip(param: Param) -> str:
    """Rich-text tooltip: title, help, allowed range and default."""
    lines = [f"<b>{html.escape(display_title(param), quote=False)}</b> <code>{param.name}</code>"]
    if param.help:
        lines.append(html.escape(param.help, quote=False))
    extra = []
    if param.range_text():
        extra.append(f"Allowed: {html.escape(param.range_text(), quote=False)}")
    extra.append(f"Default: {html.escape(format_value(param, param.default), quote=False)}")
    lines.append("<i>" + " · ".join(extra) + "</i>")
    return "<br>".join(lines)


def format_value(param: Param, value: Any) -> str:
    """Text of a value as a chemist would type it (``16, 16`` for a list)."""
    if param.type == "int_list":
        return ", ".join(str(v) for v in value)
    if param.type == "bool":
        return "on" if value else "off"
    if param.type == "float":
        return f"{float(value):g}"
    return str(value)


class SciSpinBox(QDoubleSpinBox):
    """A float spin box showing ``1e-05`` rather than ``0.00``; arrows step 1-2-5 on a log ladder."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ladder = param.log or (0 < abs(float(param.default)) < 0.01)
        self.setDecimals(12)
        low = -1e12 if param.low is None else float(param.low)
        high = 1e12 if param.high is None else float(param.high)
        self.setRange(low, high)
        span = high - low
        self.setSingleStep(0.05 if span <= 1.0 else 0.1 if span <= 10 else 1.0)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.replace(",", ".").strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D102
        from PySide6.QtGui import QValidator

        cleaned = text.replace(",", ".").strip()
        try:
            value = float(cleaned)
        except ValueError:
            ok = cleaned == "" or all(c in "0123456789.eE+-" for c in cleaned)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802
        if not self._ladder:
            super().stepBy(steps)
            return
        value = self.value()
        for _ in range(abs(steps)):
            value = _ladder_step(value, up=steps > 0, low=self.minimum())
        self.setValue(min(max(value, self.minimum()), self.maximum()))


def _ladder_step(value: float, up: bool, low: float) -> float:
    """The next value of the 1-2-5 sequence above or below ``value``."""
    if value <= 0:
        return max(low, 1e-6) if up else value
    exp = math.floor(math.log10(value))
    candidates = [m * 10.0**e for e in (exp - 1, exp, exp + 1) for m in _LADDER]
    if up:
        return min(c for c in candidates if c > value * (1 + 1e-9))
    below = [c for c in candidates if c < value * (1 - 1e-9)]
    nxt = max(below)
    return 0.0 if low <= 0 and nxt < 1e-7 else nxt


class ParamEditor:
    """One parameter's editor widget with typed ``value()``/``set_value()``."""

    def __init__(self, param: Param, on_change: Callable[[], None], override: QWidget | None = None) -> None:
        self.param = param
        self.widget = override if override is not None else self._make()
        self._connect(on_change)
        if override is None:
            self.set_value(param.default)
        self.widget.setToolTip(param_tooltip(param))
        self.widget.setObjectName(f"param_{param.name}")

    def _make(self) -> QWidget:
        p = self.param
        if p.type == "int":
            box = QSpinBox()
            box.setRange(int(max(p.low if p.low is not None else -INT_MAX, -INT_MAX)),
                         int(min(p.high if p.high is not None else INT_MAX, INT_MAX)))
            box.setKeyboardTracking(False)
            box.setGroupSeparatorShown(False)
            return box
        if p.type == "float":
            return SciSpinBox(p)
        if p.type == "bool":
            return QCheckBox()
        if p.type == "choice":
            choices = QComboBox()
            choices.addItems(list(p.choices))
            return choices
        edit = QLineEdit()
        if p.type == "int_list":
            edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"^[\d\s,;]*$")))
            edit.setPlaceholderText("e.g. 16, 16 (empty = no hidden layer)")
        return edit

    def _connect(self, callback: Callable[[], None]) -> None:
        w = self.widget

        def on_change(*_: Any) -> None:
            callback()

        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.valueChanged.connect(on_change)
        elif isinstance(w, QCheckBox):
            w.toggled.connect(on_change)
        elif isinstance(w, QComboBox):
            w.currentIndexChanged.connect(on_change)
        elif isinstance(w, QLineEdit):
            w.editingFinished.connect(on_change)

    def raw(self) -> Any:
        w = self.widget
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            data = w.currentData()
            return data if data is not None else w.currentText()
        assert isinstance(w, QLineEdit)  # what _make gives the other types
        return w.text()

    def value(self) -> Any:
        """The value, parsed and range-checked by the schema (raises MolStudioError)."""
        raw = self.raw()
        if self.param.type == "int_list" and not str(raw).strip():
            return []
        try:
            return self.param.parse(raw)
        except MolStudioError as exc:
            raise MolStudioError(f"{display_title(self.param)}: {exc.message}", hint=exc.hint) from None

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            if index < 0:
                index = w.findText(str(value))
            if index >= 0:
                w.setCurrentIndex(index)
        else:
            assert isinstance(w, QLineEdit)  # what _make gives the other types
            w.setText(format_value(self.param, value) if self.param.type == "int_list" else str(value))


class ParamForm(QWidget):
    """A form with one row per parameter of ``schema`` (or of ``names``, in that order).

    Parameters
    ----------
    schema
        The parameters to edit.
    names
        Only these parameters, in this order (default: all).
    overrides
        Ready-made editor widgets for some parameters (e.g. a device drop-down).
    """

    changed = Signal()

    def __init__(
        self,
        schema: Schema,
        names: list[str] | None = None,
        overrides: dict[str, QWidget] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.schema = schema
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.editors: dict[str, ParamEditor] = {}
        overrides = overrides or {}
        params = [schema.get(n) for n in names] if names is not None else list(schema)
        for param in params:
            if param is None:
                continue
            editor = ParamEditor(param, self.changed.emit, overrides.get(param.name))
            label = QLabel(display_title(param) + ":")
            label.setToolTip(editor.widget.toolTip())
            label.setBuddy(editor.widget)
            layout.addRow(label, editor.widget)
            self.editors[param.name] = editor
        if not self.editors:
            note = QLabel("This architecture has no settings to choose.")
            note.setEnabled(False)
            layout.addRow(note)

    def values(self) -> dict[str, Any]:
        """All values, checked against the schema (raises MolStudioError naming the field)."""
        return {name: editor.value() for name, editor in self.editors.items()}

    def set_values(self, values: dict[str, Any]) -> None:
        """Set the values of known parameters; others are ignored."""
        for name, value in values.items():
            if name in self.editors:
                self.editors[name].set_value(value)

    def widget_for(self, name: str) -> QWidget:
        return self.editors[name].widget
