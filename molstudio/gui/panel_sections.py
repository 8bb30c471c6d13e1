"""The data-side sections of the training panel: what to predict and the features.

Each section shows what the engine detected for the open table and lets the user
change it; none computes anything itself (task detection, feature sizes and split
counts come from :mod:`molstudio.core`).
"""

from __future__ import annotations

import molstudio.gui.qt_compat  # noqa: F401  (PySide6 6.12 reference-count guard, first)

from typing import TYPE_CHECKING, Any

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.errors import MolStudioError
from molstudio.core.featurizers import FEATURIZERS, make_featurizer, parse_feature_specs
from molstudio.gui.param_form import ParamEditor

if TYPE_CHECKING:
    from molstudio.core.columns import ColumnRoles

TASKS = (("regression", "Regression (measured values)"), ("classification", "Classification (two classes)"))


def checklist(max_rows: int = 5) -> QListWidget:
    """A compact list of check boxes, as tall as its items (at most ``max_rows``)."""
    widget = QListWidget()
    widget.setProperty("max_rows", max_rows)
    widget.setUniformItemSizes(True)
    _fit_height(widget)
    return widget


def _fit_height(widget: QListWidget) -> None:
    rows = min(max(widget.count(), 1), int(widget.property("max_rows") or 5))
    row_height = widget.sizeHintForRow(0) if widget.count() else widget.fontMetrics().height() + 6
    widget.setFixedHeight(rows * row_height + 2 * widget.frameWidth() + 4)


def fill_checklist(widget: QListWidget, names: list[str], checked: set[str]) -> None:
    widget.blockSignals(True)
    widget.clear()
    for name in names:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        widget.addItem(item)
    widget.blockSignals(False)
    _fit_height(widget)


def checked_names(widget: QListWidget) -> list[str]:
    return [widget.item(i).text() for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked]


def _name(spec: Any) -> str:
    return spec["name"] if isinstance(spec, dict) else str(spec).split("(")[0].strip()


class TargetSection(QGroupBox):
    """Target column(s) and the task type, detected from the values and changeable."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What to predict", parent)
        form = QFormLayout(self)
        self.targets = checklist(4)
        self.targets.setToolTip("Tick the column(s) to predict; several columns train one multi-task model.")
        self.targets.itemChanged.connect(self._targets_changed)
        form.addRow("Target column(s):", self.targets)
        self.task = QComboBox()
        for value, text in TASKS:
            self.task.addItem(text, value)
        self.task.setToolTip("Detected from the target's values; change it if the detection is wrong.")
        self.task.currentIndexChanged.connect(lambda *_: self.changed.emit())
        self.detected = QLabel()
        self.detected.setStyleSheet("color: palette(placeholder-text);")
        form.addRow("Task:", self.task)
        form.addRow("", self.detected)  # under the choice: the panel stays narrow
        self._frame: pd.DataFrame | None = None

    def set_table(self, frame: pd.DataFrame, roles: "ColumnRoles") -> None:
        self._frame = frame
        taken = {roles.structure, roles.id}
        from molstudio.core.columns import is_classification

        numeric = [c for c in frame.columns if c in set(roles.numeric) and c not in taken]
        labels = [c for c in frame.columns  # two-class text columns ("active" / "inactive") can be targets too
                  if c not in taken and c not in numeric and is_classification(frame[c])]
        names = list(dict.fromkeys([*roles.targets, *numeric, *labels]))  # detected targets first
        fill_checklist(self.targets, [str(c) for c in names], set(roles.targets))  # as the engine would
        self._detect()

    def selected(self) -> list[str]:
        return checked_names(self.targets)

    def set_selected(self, names: list[str]) -> bool:
        """Tick ``names`` if all are in the table; returns whether they were."""
        available = {self.targets.item(i).text() for i in range(self.targets.count())}
        if not names or not set(names) <= available:
            return False
        fill_checklist(self.targets, [self.targets.item(i).text() for i in range(self.targets.count())], set(names))
        self._targets_changed()
        return True

    def task_value(self) -> str:
        return str(self.task.currentData())

    def set_task(self, task: str) -> None:
        index = self.task.findData(task)
        if index >= 0:
            self.task.setCurrentIndex(index)

    def _targets_changed(self, *_: Any) -> None:
        self._detect()
        self.changed.emit()

    def _detect(self) -> None:
        from molstudio.core.columns import task_type

        names = self.selected()
        if self._frame is None or not names:
            self.detected.setText("")
            return
        kinds = {task_type(self._frame[n]) for n in names}
        if len(kinds) == 1:
            kind = kinds.pop()
            self.set_task(kind)
            self.detected.setText(f"detected: {kind}")
        else:
            self.detected.setText("mixed: train them separately")


class FeatureSection(QGroupBox):
    """Fingerprints and descriptors (from the featurizer registry) and the table's own columns."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Features (what the network reads)", parent)
        layout = QVBoxLayout(self)
        self.columns_box = QCheckBox("Numeric columns of the table (your own descriptors):")
        self.columns = checklist(5)
        self.size_note = QLabel()
        self.boxes: dict[str, QCheckBox] = {}
        self.editors: dict[str, list[ParamEditor]] = {}
        for name in FEATURIZERS.names():
            cls = FEATURIZERS.get(name)
            if not cls.needs_structures:
                continue
            box = QCheckBox(cls.description)
            box.setObjectName(f"feature_{name}")
            box.toggled.connect(self._changed)
            layout.addWidget(box)
            self.editors[name] = []
            if len(cls.schema.params):
                params = QWidget()
                row = QHBoxLayout(params)
                row.setContentsMargins(24, 0, 0, 0)
                for param in cls.schema:
                    editor = ParamEditor(param, self._changed)
                    row.addWidget(QLabel(param.title + ":"))
                    row.addWidget(editor.widget)
                    self.editors[name].append(editor)
                row.addStretch(1)
                layout.addWidget(params)
                params.setVisible(False)
                box.toggled.connect(params.setVisible)
            self.boxes[name] = box
        self.columns_box.setObjectName("feature_columns")
        self.columns_box.toggled.connect(self._changed)
        layout.addWidget(self.columns_box)
        self.columns.itemChanged.connect(self._changed)
        layout.addWidget(self.columns)
        self.standardize = QCheckBox("Standardize structures first (salts, charges, tautomers)")
        self.standardize.setToolTip("Clean up each structure with RDKit's standardizer before computing features.")
        self.standardize.toggled.connect(lambda *_: self.changed.emit())
        layout.addWidget(self.standardize)
        self.size_note.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.size_note)
        self._has_structures = True
        self.set_specs(["morgan_count", "rdkit2d"])

    def set_table(self, roles: "ColumnRoles", targets: list[str]) -> None:
        self._has_structures = roles.structure is not None
        taken = {roles.structure, roles.id, *targets}
        names = [c for c in dict.fromkeys([*roles.descriptors, *roles.numeric]) if c not in taken]
        fill_checklist(self.columns, names, set(roles.descriptors) - taken)
        self.columns_box.setEnabled(bool(names))
        self.columns.setVisible(bool(names))
        self.columns_box.setText("Numeric columns of the table (your own descriptors):" if names
                                 else "Numeric columns of the table (this table has none)")
        for box in self.boxes.values():
            box.setEnabled(self._has_structures)
            box.setToolTip("" if self._has_structures else "The table has no structure (SMILES) column.")
        self.standardize.setEnabled(self._has_structures)
        if not self._has_structures:
            self.set_specs(["columns"])
        self._changed()

    def set_targets(self, targets: list[str]) -> None:
        """Untick (and grey out) the columns that are now targets."""
        for i in range(self.columns.count()):
            item = self.columns.item(i)
            is_target = item.text() in targets
            flags = item.flags()
            item.setFlags(flags & ~Qt.ItemFlag.ItemIsEnabled if is_target else flags | Qt.ItemFlag.ItemIsEnabled)
            if is_target:
                item.setCheckState(Qt.CheckState.Unchecked)

    def specs(self) -> list[str]:
        """Feature specs as text, e.g. ``["morgan_count(radius=3)", "rdkit2d", "columns"]``."""
        out: list[str] = []
        for name, box in self.boxes.items():
            if box.isChecked() and box.isEnabled():
                changed = [f"{e.param.name}={e.value()}" for e in self.editors[name] if e.value() != e.param.default]
                out.append(f"{name}({','.join(changed)})" if changed else name)
        if self.columns_box.isChecked() and self.columns_box.isEnabled():
            out.append("columns")
        return out

    def descriptor_columns(self) -> list[str]:
        use = self.columns_box.isChecked() and self.columns_box.isEnabled()
        return checked_names(self.columns) if use else []

    def set_specs(self, specs: list[Any], descriptor_columns: list[str] | None = None) -> None:
        structural = [s for s in specs if _name(s) != "columns"]
        parsed = {s["name"]: s for s in parse_feature_specs(structural)} if structural else {}
        for name, box in self.boxes.items():
            box.setChecked(name in parsed and self._has_structures)
            for editor in self.editors[name]:
                editor.set_value(parsed.get(name, {}).get(editor.param.name, editor.param.default))
        self.columns_box.setChecked(any(_name(s) == "columns" for s in specs) or not self._has_structures)
        if descriptor_columns:
            names = [self.columns.item(i).text() for i in range(self.columns.count())]
            fill_checklist(self.columns, names, set(descriptor_columns))
        self._changed()

    def _changed(self, *_: Any) -> None:
        self.columns.setEnabled(self.columns_box.isChecked())
        try:
            specs = [s for s in self.specs() if s != "columns"]
            width = sum(len(make_featurizer(s).feature_names()) for s in parse_feature_specs(specs)) if specs else 0
            width += len(self.descriptor_columns())
            self.size_note.setText(f"{width:,} numbers per compound" if width else "No features chosen yet.")
        except MolStudioError as exc:
            self.size_note.setText(str(exc))
        self.changed.emit()
