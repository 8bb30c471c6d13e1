"""The architecture section of the training panel: a drop-down of every registered
architecture, its one-line description and its hyperparameter form.

Each drop-down entry names the architecture and what it reads (``dmpnn · molecular
graph``); the one :mod:`molstudio.core.run.recommend` recommends for the open table is
marked "(recommended)", and architectures that read structures are greyed out for a
table without a structure column. Switching architecture rebuilds the form from the
architecture's schema; the values set for each architecture are kept for the session,
so switching back shows them again. What an architecture reads and the training settings it
starts from are core's rules (:mod:`molstudio.core.run.choices`), shared with the command line.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.run.choices import input_kind
from molstudio.gui.common.param_form import ParamForm

#: what each input kind is, in a chemist's words
READS = {"vector": "fingerprints / descriptors", "graph": "molecular graph", "tokens": "SMILES"}
NEEDS_STRUCTURES = "Reads each molecule's structure: this table has no structure (SMILES) column."


def item_text(name: str, recommended: bool = False) -> str:
    """A drop-down entry: ``"dmpnn  ·  molecular graph  (recommended)"``."""
    kind = input_kind(name)
    return f"{name}  ·  {READS.get(kind, kind)}" + ("  (recommended)" if recommended else "")


class ArchitectureSection(QGroupBox):
    """See the module docstring. ``switched(old, new)`` follows every change of architecture."""

    changed = Signal()
    switched = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Architecture", parent)
        self._layout = QVBoxLayout(self)
        self.combo = QComboBox()
        self.combo.setObjectName("architecture")
        for name in MODELS.names():
            self.combo.addItem(item_text(name), name)
            self.combo.setItemData(self.combo.count() - 1, MODELS.get(name).description,
                                   Qt.ItemDataRole.ToolTipRole)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(placeholder-text);")
        self._layout.addWidget(self.combo)
        self._layout.addWidget(self.description)
        self._values: dict[str, dict[str, Any]] = {}
        self.name = ""
        self.form = ParamForm(MODELS.get(MODELS.names()[0]).schema)
        self._layout.addWidget(self.form)
        self.combo.currentIndexChanged.connect(lambda *_: self.set_architecture(self.combo.currentData()))

    def add_beside_choice(self, widget: QWidget) -> None:
        """Show ``widget`` right under the drop-down (the run's estimate and the quick choice)."""
        self._layout.insertWidget(1, widget)

    def set_architecture(self, name: str) -> None:
        """Select architecture ``name`` and rebuild its hyperparameter form from its schema."""
        index = self.combo.findData(name)
        if index < 0:
            raise MolStudioError(f"Unknown architecture '{name}'.", hint=f"Available: {', '.join(MODELS.names())}.")
        if index != self.combo.currentIndex():
            self.combo.setCurrentIndex(index)  # calls back here through the signal
            return
        old = self.name
        if old == name:
            return
        if old:
            try:
                self._values[old] = self.form.values()
            except MolStudioError:
                pass  # a half-typed value is not kept
        arch = MODELS.get(name)
        self.description.setText(arch.description)
        self.combo.setToolTip(arch.description)
        form = ParamForm(arch.schema)
        form.setObjectName("hyperparameters")
        form.set_values(self._values.get(name, {}))
        form.changed.connect(self.changed.emit)
        self._layout.replaceWidget(self.form, form)
        self.form.hide()
        self.form.setParent(None)
        self.form.deleteLater()
        self.form, self.name = form, name
        self.switched.emit(old, name)
        self.changed.emit()

    def set_table_kind(self, has_structures: bool, recommended: str, why: str = "") -> None:
        """Mark ``recommended`` (its tooltip says ``why``); grey out the structure readers for a
        table without structures."""
        model = self.combo.model()
        for i in range(self.combo.count()):
            name = self.combo.itemData(i)
            self.combo.setItemText(i, item_text(name, name == recommended))
            usable = has_structures or input_kind(name) == "vector"
            if isinstance(model, QStandardItemModel):
                model.item(i).setEnabled(usable)
            tip = MODELS.get(name).description + ("" if usable else "\n" + NEEDS_STRUCTURES)
            if name == recommended and why:
                tip += "\nRecommended for this table: " + why
            self.combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
