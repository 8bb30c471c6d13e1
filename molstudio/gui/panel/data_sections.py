"""The data-side sections of the training panel: what to predict and the features.

Each section shows what the engine detected for the open table and lets the user
change it; none computes anything itself (task detection, feature sizes and split
counts come from :mod:`molstudio.core`).

The features section follows the chosen architecture (:meth:`FeatureSection.set_reader`):
a feed-forward or linear model reads only these features, so at least one is needed;
a graph or SMILES model reads each molecule's structure itself, and the features
become optional extras ("none ticked" is a valid choice).
"""

from __future__ import annotations

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
from molstudio.core.featurize.featurizers import (
    FEATURIZERS,
    make_featurizer,
    parse_feature_specs,
)
from molstudio.gui.common.param_form import ParamEditor

if TYPE_CHECKING:
    from molstudio.core.tables.columns import ColumnRoles

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


def spec_name(spec: Any) -> str:
    """The featurizer name of a spec: ``"morgan_count"`` for ``"morgan_count(radius=3)"``."""
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

    def set_table(self, frame: pd.DataFrame, roles: ColumnRoles) -> None:
        self._frame = frame
        taken = {roles.structure, roles.id}
        from molstudio.core.tables.columns import is_classification

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
        from molstudio.core.tables.columns import task_type

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


#: what a graph or sequence model reads by itself: (in the note above the features, when none is ticked)
STRUCTURE_READ = {"graph": ("each molecule's graph of atoms and bonds", "the molecular graph"),
                  "tokens": ("each molecule's SMILES", "the SMILES")}
VECTOR_TITLE = "Features (what the network reads)"
EXTRA_TITLE = "Extra molecule-level features (optional)"
WARNING_STYLE = "color: #B00020;"
NOTE_STYLE = "color: palette(placeholder-text);"


class FeatureSection(QGroupBox):
    """Fingerprints and descriptors (from the featurizer registry) and the table's own columns."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(VECTOR_TITLE, parent)
        layout = QVBoxLayout(self)
        self.intro = QLabel()  # what a graph / sequence model reads by itself
        self.intro.setWordWrap(True)
        self.intro.setStyleSheet(NOTE_STYLE)
        self.intro.setVisible(False)
        layout.addWidget(self.intro)
        self.reader, self.reader_name = "vector", ""
        self._has_structures = True
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
        self.size_note.setWordWrap(True)
        self.size_note.setStyleSheet(NOTE_STYLE)
        layout.addWidget(self.size_note)
        self.set_specs(["morgan_count", "rdkit2d"])

    def set_table(self, roles: ColumnRoles, targets: list[str]) -> None:
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
        structural = [s for s in specs if spec_name(s) != "columns"]
        parsed = {s["name"]: s for s in parse_feature_specs(structural)} if structural else {}
        for name, box in self.boxes.items():
            box.setChecked(name in parsed and self._has_structures)
            for editor in self.editors[name]:
                editor.set_value(parsed.get(name, {}).get(editor.param.name, editor.param.default))
        self.columns_box.setChecked(any(spec_name(s) == "columns" for s in specs) or not self._has_structures)
        if descriptor_columns:
            names = [self.columns.item(i).text() for i in range(self.columns.count())]
            fill_checklist(self.columns, names, set(descriptor_columns))
        self._changed()

    def set_reader(self, kind: str, name: str) -> None:
        """Adapt to architecture ``name``, which reads ``kind`` ("vector", "graph" or "tokens")."""
        self.reader, self.reader_name = kind, name
        reads = STRUCTURE_READ.get(kind)
        self.setTitle(EXTRA_TITLE if reads else VECTOR_TITLE)
        self.intro.setVisible(reads is not None)
        if reads:
            self.intro.setText(f"{name} reads {reads[0]} itself. Anything ticked here is added to "
                               "what it learns from the structure; none ticked is fine.")
        self._changed()

    def problem(self) -> str:
        """Why the chosen features cannot be trained on ("" when they can)."""
        if self.specs():
            if "columns" in self.specs() and not self.descriptor_columns():
                return "Tick at least one of the table's numeric columns to use as features."
            return ""
        if self.reader in STRUCTURE_READ:
            return ""
        what = "fingerprint, descriptors or the table's columns" if self._has_structures else "the table's columns"
        return f"Tick at least one kind of feature ({what}): the {self.reader_name or 'chosen'} network reads only these."

    def _changed(self, *_: Any) -> None:
        self.columns.setEnabled(self.columns_box.isChecked())
        problem = self.problem()
        try:
            specs = [s for s in self.specs() if s != "columns"]
            width = sum(len(make_featurizer(s).feature_names()) for s in parse_feature_specs(specs)) if specs else 0
            width += len(self.descriptor_columns())
            if problem:
                text = problem
            elif width:
                text = f"{width:,} {'extra ' if self.reader in STRUCTURE_READ else ''}numbers per compound"
            else:
                reads = STRUCTURE_READ.get(self.reader, ("", "the structure"))[1]
                text = f"No extra features: {self.reader_name or 'the network'} reads {reads} only."
        except MolStudioError as exc:
            text, problem = str(exc), str(exc)
        self.size_note.setText(text)
        self.size_note.setStyleSheet(WARNING_STYLE if problem else NOTE_STYLE)
        self.changed.emit()
