"""The training panel: everything a run needs, as a :class:`RunConfig`.

Targets and task, features, the architecture (a drop-down filled from the model
registry) with its hyperparameter form generated from the architecture's schema,
the training settings (generated from :data:`TRAINING_SCHEMA`) and the split.
``config()`` and ``set_config()`` convert to and from the engine's
:class:`~molstudio.core.config.RunConfig`; the last values are kept in QSettings.
"""

from __future__ import annotations

import molstudio.gui.qt_compat  # noqa: F401  (PySide6 6.12 reference-count guard, first)

import copy
import json
from typing import TYPE_CHECKING, Any

import pandas as pd
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.config import TRAINING_SCHEMA, RunConfig, SplitConfig
from molstudio.core.device import available_devices
from molstudio.core.errors import MolStudioError
from molstudio.core.models import MODELS
from molstudio.gui.panel_sections import FeatureSection, TargetSection
from molstudio.gui.split_section import SplitSection
from molstudio.gui.param_form import ParamForm

if TYPE_CHECKING:
    from molstudio.core.columns import ColumnRoles

SETTINGS_KEY = "training/last_run_config"
# shown at once; the rest of TRAINING_SCHEMA is under "More settings"
MAIN_TRAINING = ["optimizer", "lr", "batch_size", "epochs", "patience", "weight_decay", "ensemble", "seed", "device"]


class TrainPanel(QWidget):
    """Settings of a training run; see the module docstring."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.target = TargetSection()
        self.features = FeatureSection()
        self.split = SplitSection()
        layout.addWidget(self.target)
        layout.addWidget(self.features)
        layout.addWidget(self._model_group())
        layout.addWidget(self._training_group())
        layout.addWidget(self.split)
        layout.addStretch(1)
        self.target.changed.connect(self._targets_changed)
        for section in (self.features, self.split):
            section.changed.connect(self.changed.emit)
        self._frame: pd.DataFrame | None = None
        self._roles: "ColumnRoles | None" = None
        self._pending = RunConfig()
        self.restore()

    # ---- building -------------------------------------------------------------------
    def _model_group(self) -> QGroupBox:
        group = QGroupBox("Architecture")
        self._model_layout = QVBoxLayout(group)
        self.architecture = QComboBox()
        self.architecture.setObjectName("architecture")
        for name in MODELS.names():
            self.architecture.addItem(name, name)
            self.architecture.setItemData(self.architecture.count() - 1, MODELS.get(name).description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: palette(placeholder-text);")
        self._model_layout.addWidget(self.architecture)
        self._model_layout.addWidget(self.description)
        self._hp_values: dict[str, dict[str, Any]] = {}
        self._arch = ""
        self.hparams = ParamForm(MODELS.get(MODELS.names()[0]).schema)
        self._model_layout.addWidget(self.hparams)
        self.architecture.currentIndexChanged.connect(self._architecture_changed)
        default = RunConfig().model
        self.set_architecture(default if default in MODELS else self.architecture.currentData())
        return group

    def _training_group(self) -> QGroupBox:
        group = QGroupBox("Training")
        box = QVBoxLayout(group)
        device = QComboBox()
        for value, label in available_devices():
            device.addItem(label, value)
        self.training = ParamForm(TRAINING_SCHEMA, names=MAIN_TRAINING, overrides={"device": device})
        rest = [n for n in TRAINING_SCHEMA.names() if n not in MAIN_TRAINING]
        self.advanced = ParamForm(TRAINING_SCHEMA, names=rest)
        self.advanced.setVisible(False)
        toggle = QToolButton()
        toggle.setText("More settings")
        toggle.setCheckable(True)
        toggle.setAutoRaise(True)
        toggle.setArrowType(Qt.ArrowType.RightArrow)
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

        def show_more(on: bool) -> None:
            self.advanced.setVisible(on)
            toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

        toggle.toggled.connect(show_more)
        self.more_toggle = toggle
        for form in (self.training, self.advanced):
            form.changed.connect(self.changed.emit)
        box.addWidget(self.training)
        box.addWidget(toggle)
        box.addWidget(self.advanced)
        return group

    # ---- architecture ---------------------------------------------------------------
    def set_architecture(self, name: str) -> None:
        """Select architecture ``name`` and rebuild its hyperparameter form from its schema."""
        index = self.architecture.findData(name)
        if index < 0:
            raise MolStudioError(f"Unknown architecture '{name}'.", hint=f"Available: {', '.join(MODELS.names())}.")
        if index != self.architecture.currentIndex():
            self.architecture.setCurrentIndex(index)  # calls back here through the signal
            return
        if self._arch and self._arch != name:
            try:
                self._hp_values[self._arch] = self.hparams.values()
            except MolStudioError:
                pass
        arch = MODELS.get(name)
        self.description.setText(arch.description)
        self.architecture.setToolTip(arch.description)
        old = self.hparams
        self.hparams = ParamForm(arch.schema)
        self.hparams.setObjectName("hyperparameters")
        self.hparams.set_values(self._hp_values.get(name, {}))
        self.hparams.changed.connect(self.changed.emit)
        self._model_layout.replaceWidget(old, self.hparams)
        old.hide()
        old.setParent(None)
        old.deleteLater()
        self._arch = name
        self.changed.emit()

    def _architecture_changed(self, _index: int) -> None:
        self.set_architecture(self.architecture.currentData())

    # ---- table ----------------------------------------------------------------------
    def set_table(self, frame: pd.DataFrame, roles: "ColumnRoles") -> None:
        """Show the columns of a newly opened table; keep the last choices where they fit."""
        self._frame, self._roles = frame, roles
        self.target.set_table(frame, roles)
        self._apply_data(self._pending)

    def _apply_data(self, cfg: RunConfig) -> None:
        if self._frame is None or self._roles is None:
            return
        if self.target.set_selected([t for t in cfg.targets]) and cfg.task in ("regression", "classification"):
            self.target.set_task(cfg.task)
        targets = self.target.selected()
        self.features.set_table(self._roles, targets)
        names = [str(f).split("(")[0].strip() for f in cfg.features]
        wanted = [f for f, n in zip(cfg.features, names) if n != "columns"] if self._roles.structure else []
        if self._roles.structure and not wanted:
            wanted = ["morgan_count", "rdkit2d"]
        columns = [c for c in cfg.descriptor_columns if c in self._frame.columns and c not in targets]
        if ("columns" in names and columns) or not self._roles.structure:
            wanted.append("columns")
        self.features.set_specs(wanted, columns or None)
        self.features.standardize.setChecked(cfg.standardize)
        self.split.set_table(self._frame, self._roles.structure)
        self._targets_changed()

    def _targets_changed(self) -> None:
        targets = self.target.selected()
        self.features.set_targets(targets)
        self.split.set_targets(targets, self.target.task_value())
        self.changed.emit()

    # ---- configuration --------------------------------------------------------------
    def config(self) -> RunConfig:
        """The run the panel describes (raises MolStudioError for an impossible choice)."""
        cfg = RunConfig(model=self._arch, hparams=self.hparams.values(),
                        training={**self.training.values(), **self.advanced.values()})
        cfg.split = SplitConfig(method=self.split.method_value(), sizes=self.split.sizes(), seed=self.split.seed.value(),
                                column=self.split.column.currentText() if self.split.method_value() == "column" else "")
        if self._frame is None or self._roles is None:
            pending = self._pending
            cfg.structure_column, cfg.id_column = pending.structure_column, pending.id_column
            cfg.targets, cfg.task = list(pending.targets), pending.task
            cfg.features, cfg.descriptor_columns = list(pending.features), list(pending.descriptor_columns)
            cfg.standardize = pending.standardize
            return cfg
        cfg.structure_column = self._roles.structure or ""
        cfg.id_column = self._roles.id or ""
        cfg.targets = self.target.selected()
        if not cfg.targets:
            raise MolStudioError("Choose the column to predict (tick a target column).")
        cfg.task = self.target.task_value()
        cfg.features = self.features.specs()
        cfg.descriptor_columns = self.features.descriptor_columns()
        cfg.standardize = self.features.standardize.isChecked() and self.features.standardize.isEnabled()
        if not cfg.features:
            raise MolStudioError("Choose at least one kind of feature (fingerprint, descriptors or columns).")
        if "columns" in cfg.features and not cfg.descriptor_columns:
            raise MolStudioError("Tick at least one of the table's numeric columns to use as features.")
        return cfg

    def set_config(self, cfg: RunConfig) -> None:
        """Show ``cfg`` in the panel (columns missing from the open table are left as they are)."""
        self.set_architecture(cfg.model)
        self.hparams.set_values(cfg.resolved_hparams())
        training = cfg.resolved_training()
        self.training.set_values(training)
        self.advanced.set_values(training)
        self.split.set_values(cfg.split.method, tuple(cfg.split.sizes), cfg.split.seed, cfg.split.column)
        self._pending = copy.deepcopy(cfg)
        self._apply_data(self._pending)

    def shutdown(self) -> None:
        """Keep the settings and wait for a background split count (the window is closing)."""
        self.remember()
        self.split.shutdown()

    # ---- settings -------------------------------------------------------------------
    def remember(self) -> None:
        """Keep the current settings for the next session (QSettings, as JSON text)."""
        try:
            cfg = self.config()
        except MolStudioError:
            return
        self._pending = copy.deepcopy(cfg)
        QSettings().setValue(SETTINGS_KEY, json.dumps(cfg.to_dict()))

    def restore(self) -> None:
        """Load the settings kept by :meth:`remember`; unreadable ones are ignored."""
        text = QSettings().value(SETTINGS_KEY, "")
        if not text:
            return
        try:
            self.set_config(RunConfig.from_dict(json.loads(str(text))))
        except (MolStudioError, ValueError, TypeError, KeyError):
            QSettings().remove(SETTINGS_KEY)
