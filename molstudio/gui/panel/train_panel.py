"""The training panel: everything a run needs, as a :class:`RunConfig`.

Targets and task, the architecture (a drop-down filled from the model registry) with
its hyperparameter form generated from the architecture's schema, the features, the
training settings (generated from :data:`TRAINING_SCHEMA`) and the split.
``config()`` and ``set_config()`` convert to and from the engine's
:class:`~molstudio.core.run.config.RunConfig`; the last values are kept in QSettings.

What the panel shows, and when it changes by itself:

* **Opening a table** preselects the configuration :func:`molstudio.core.run.recommend.recommended`
  gives for that table (with structures or descriptor columns only, its number of
  compounds, the task of its targets): its architecture, features, ensemble size, epochs,
  patience and batch size. The target, the split and the shared training settings
  (optimizer, seed, device, ...) keep the last run's values. The same happens when the
  table's structure column is set or removed in the roles panel. Until the user chooses an
  architecture, the panel follows the recommendation: another table or another task (a
  class target ticked instead of a measured one) brings its own. A configuration imported
  (or a model opened) before the table is in wins over the recommendation.
* **Switching architecture** sets the training settings that architectures tune for
  themselves (:func:`~molstudio.core.run.choices.tuned_keys`: epochs, learning
  rate, batch size, patience, gradient clipping) to the new architecture's values:
  those the user last set for it in this session, else its defaults (``training_defaults``).
  Each architecture keeps its own values, as its hyperparameters do; the other training
  settings are shared and never change on a switch. Importing a run configuration,
  loading a run from the history or opening a model shows exactly their settings.
* **A long run** (estimated over :data:`~molstudio.gui.panel.estimate_hint.QUICK_ABOVE` seconds
  by :mod:`~molstudio.gui.panel.estimate_hint`, under the architecture drop-down) is offered
  the quick choice of :func:`~molstudio.core.run.recommend.quick` beside it: "Quick start
  instead" sets its architecture, features and ensemble size as the recommendation does.
* **Features** follow the architecture's input: a vector model (mlp, linear) needs at
  least one; for a graph or SMILES model they are optional extras and none ticked is
  sent as ``features = ["none"]``.
"""

from __future__ import annotations

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

from molstudio.core.architectures import MODELS
from molstudio.core.device import available_devices
from molstudio.core.errors import MolStudioError
from molstudio.core.run.choices import (
    guess_task,
    input_kind,
    recommended_start,
    require_structures,
    training_start,
    tuned_keys,
)
from molstudio.core.run.config import TRAINING_SCHEMA, RunConfig, SplitConfig
from molstudio.core.run.recommend import recommended
from molstudio.gui.common.param_form import ParamForm, format_value
from molstudio.gui.panel.architecture_section import ArchitectureSection
from molstudio.gui.panel.data_sections import FeatureSection, TargetSection, spec_name
from molstudio.gui.panel.estimate_hint import EstimateHint, HintRequest
from molstudio.gui.panel.split_section import SplitSection

if TYPE_CHECKING:
    from molstudio.core.tables.columns import ColumnRoles

SETTINGS_KEY = "training/last_run_config"
# shown at once; the rest of TRAINING_SCHEMA is under "More settings"
MAIN_TRAINING = ["optimizer", "lr", "batch_size", "epochs", "patience", "weight_decay", "ensemble", "seed", "device"]


def _setting_text(name: str, value: Any) -> str:
    """A training setting and its value in words ("learning rate 0.0003")."""
    param = TRAINING_SCHEMA.get(name)
    assert param is not None  # tuned_keys() names training settings
    return f"{param.title.lower()} {format_value(param, value)}"


class TrainPanel(QWidget):
    """Settings of a training run; see the module docstring."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.target = TargetSection()
        self.arch = ArchitectureSection()
        self.features = FeatureSection()
        self.split = SplitSection()
        self.estimate_hint = EstimateHint(self._hint_request)  # beside the recommended architecture
        self.estimate_hint.quick_requested.connect(self.apply_quick)
        self.arch.add_beside_choice(self.estimate_hint)
        layout.addWidget(self.target)
        layout.addWidget(self.arch)  # first the network, then what it reads besides the structure
        layout.addWidget(self.features)
        layout.addWidget(self._training_group())
        layout.addWidget(self.split)
        layout.addStretch(1)
        self.target.changed.connect(self._targets_changed)
        for section in (self.features, self.split, self.arch):
            section.changed.connect(self.changed.emit)
        self.changed.connect(self.estimate_hint.schedule)
        self._frame: pd.DataFrame | None = None
        self._roles: ColumnRoles | None = None
        self._has_structures: bool | None = None  # of the table shown; None before the first one
        self._pending = RunConfig()
        self._chosen = False  # a configuration set explicitly before the table was in
        self._following = False  # the panel shows the recommendation, unchanged by the user
        self._applying = False  # the panel itself is switching the architecture
        self._tuned: dict[str, dict[str, Any]] = {}  # per architecture: its values of tuned_keys()
        self.arch.switched.connect(self._switched)
        default = RunConfig().model
        self.set_architecture(default if default in MODELS else self.architecture.currentData())
        self.restore()

    # ---- building -------------------------------------------------------------------
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
        self.training_note = QLabel()  # which settings the architecture starts from
        self.training_note.setWordWrap(True)
        self.training_note.setStyleSheet("color: palette(placeholder-text);")
        self.training_note.setToolTip("Each architecture starts from its own epochs, learning rate, batch size and "
                                      "patience; what you change is kept for that architecture in this session.")
        box.addWidget(self.training_note)
        box.addWidget(self.training)
        box.addWidget(toggle)
        box.addWidget(self.advanced)
        return group

    # ---- architecture ---------------------------------------------------------------
    @property
    def architecture(self) -> QComboBox:
        """The architecture drop-down."""
        return self.arch.combo

    @property
    def description(self) -> QLabel:
        return self.arch.description

    @property
    def hparams(self) -> ParamForm:
        """The hyperparameter form of the architecture shown (rebuilt on every switch)."""
        return self.arch.form

    @property
    def _arch(self) -> str:
        return self.arch.name

    def set_architecture(self, name: str) -> None:
        """Select architecture ``name`` and rebuild its hyperparameter form from its schema."""
        self.arch.set_architecture(name)

    def _switched(self, old: str, new: str) -> None:
        """Keep ``old``'s tuned training settings and show ``new``'s (see the module docstring)."""
        if not self._applying:
            self._following = False  # the user chose
        keys = tuned_keys()
        if old:
            try:
                values = self.training_values()
                self._tuned[old] = {k: values[k] for k in keys}
            except MolStudioError:
                pass
        start = {**training_start(new), **self._tuned.get(new, {})}
        self._set_training({k: start[k] for k in keys})
        own, plain = training_start(new), TRAINING_SCHEMA.defaults()
        tuned = [_setting_text(k, own[k]) for k in keys if own[k] != plain[k]]
        self.training_note.setText(f"Starting values for {new}: {', '.join(tuned)}." if tuned else "")
        self.training_note.setVisible(bool(tuned))
        self.features.set_reader(input_kind(new), new)

    def training_values(self) -> dict[str, Any]:
        """Every training setting shown (raises MolStudioError naming a bad field)."""
        return {**self.training.values(), **self.advanced.values()}

    def _set_training(self, values: dict[str, Any]) -> None:
        self.training.set_values(values)
        self.advanced.set_values(values)

    # ---- table ----------------------------------------------------------------------
    def set_table(self, frame: pd.DataFrame, roles: ColumnRoles) -> None:
        """Show the columns of a newly opened table (or its changed roles).

        A new kind of table (with or without structures) gets the recommended
        configuration; otherwise the panel's choices are kept where they fit.
        """
        if self._frame is not None:
            try:
                self._pending = self.config()
            except MolStudioError:
                pass
        has_structures = roles.structure is not None
        new_kind = has_structures != self._has_structures
        self._frame, self._roles, self._has_structures = frame, roles, has_structures
        self.target.set_table(frame, roles)
        rec = self._recommendation()
        self.arch.set_table_kind(has_structures, rec["model"], rec["why"])
        if (new_kind or self._following) and not self._chosen:
            self._apply_recommended()
        self._chosen = False
        self._apply_data(self._pending)

    def _task(self) -> str:
        """The task the recommendation is for: as chosen, else as the ticked targets look."""
        task = self.target.task_value()
        if task in ("regression", "classification"):
            return task
        return guess_task(self._frame, self.target.selected()) if self._frame is not None else ""

    def _recommendation(self) -> dict[str, Any]:
        return recommended(bool(self._has_structures), self._compounds(), self._task())

    def _start(self, quick: bool = False) -> tuple[str, list[str], dict[str, Any]]:
        """Core's recommended (or quick) start for the table and task shown
        (:func:`molstudio.core.run.choices.recommended_start`)."""
        return recommended_start(bool(self._has_structures), self._compounds(), quick_choice=quick, task=self._task())

    def _select(self, model: str, training: dict[str, Any]) -> None:
        """Show ``model`` and ``training`` as the panel's own choice (the user has not chosen)."""
        self._applying = True
        try:
            self.set_architecture(model)
        finally:
            self._applying = False
        self._set_training(training)

    def _apply_recommended(self, quick: bool = False) -> None:
        """Preselect the recommended start, or its quick choice, for the next :meth:`_apply_data`."""
        model, features, training = self._start(quick)
        self._select(model, training)
        self._pending.model = model
        self._pending.features = features
        self._following = not quick

    def _follow(self) -> None:
        """Show the recommendation for the task now chosen: its architecture, training settings
        and features (the targets, the task and the chosen descriptor columns stay)."""
        model, features, training = self._start()
        self._select(model, training)
        columns = self.features.descriptor_columns()
        wanted = [f for f in features if f != "columns"] if self._roles and self._roles.structure else []
        if columns or not (self._roles and self._roles.structure):
            wanted.append("columns")
        self.features.set_specs(wanted, columns or None)

    def _compounds(self) -> int:
        return len(self._frame) if self._frame is not None else 0

    def apply_quick(self) -> None:
        """Switch to the quick choice offered beside a long run (the estimate's button)."""
        if self._has_structures is None:
            return
        try:
            self._pending = self.config()
        except MolStudioError:
            pass
        self._apply_recommended(quick=True)
        self._apply_data(self._pending)

    def _quick_config(self, cfg: RunConfig) -> RunConfig | None:
        """``cfg`` as :meth:`apply_quick` would make it; None when it is that already."""
        model, features, training = self._start(quick=True)
        ensemble = cfg.resolved_training()["ensemble"]
        if cfg.model == model and [spec_name(f) for f in cfg.features] == features and \
                ensemble == training.get("ensemble", ensemble):
            return None
        quick = copy.deepcopy(cfg)
        quick.model, quick.hparams, quick.features = model, {}, list(features)
        keep = {k: v for k, v in cfg.training.items() if k not in tuned_keys()}
        quick.training = {**keep, **training}
        quick.resolved_for = None
        return quick

    def _hint_request(self) -> HintRequest | None:
        """What the estimate measures: the panel's run (None while it cannot run)."""
        if self._frame is None or self._roles is None:
            return None
        try:
            cfg = self.config()
        except MolStudioError:
            return None
        return HintRequest(self._frame, cfg, self._quick_config(cfg))

    def _apply_data(self, cfg: RunConfig) -> None:
        if self._frame is None or self._roles is None:
            return
        if self.target.set_selected([t for t in cfg.targets]) and cfg.task in ("regression", "classification"):
            self.target.set_task(cfg.task)
        targets = self.target.selected()
        self.features.set_table(self._roles, targets)
        names = [spec_name(f) for f in cfg.features]
        wanted = [f for f, n in zip(cfg.features, names) if n not in ("columns", "none")] if self._roles.structure else []
        if self._roles.structure and not names:  # nothing named: the architecture's own features
            wanted = list(MODELS.get(self._arch).default_features)
        columns = [c for c in cfg.descriptor_columns if c in self._frame.columns and c not in targets]
        if ("columns" in names and columns) or not self._roles.structure:
            wanted.append("columns")
        self.features.set_specs(wanted, columns or None)
        self.features.standardize.setChecked(cfg.standardize)
        self.split.set_table(self._frame, self._roles.structure)
        self._targets_changed()

    def _targets_changed(self) -> None:
        if self._frame is not None and self._has_structures is not None:
            rec = self._recommendation()
            self.arch.set_table_kind(self._has_structures, rec["model"], rec["why"])
            if self._following and rec["model"] != self._arch:  # another task: its own recommendation
                self._follow()
        targets = self.target.selected()
        self.features.set_targets(targets)
        self.split.set_targets(targets, self.target.task_value())
        self.changed.emit()

    # ---- configuration --------------------------------------------------------------
    def config(self) -> RunConfig:
        """The run the panel describes (raises MolStudioError for an impossible choice)."""
        cfg = RunConfig(model=self._arch, hparams=self.hparams.values(), training=self.training_values())
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
        require_structures(self._arch, self._roles.structure)
        problem = self.features.problem()
        if problem:
            raise MolStudioError(problem)
        cfg.features = self.features.specs() or ["none"]
        cfg.descriptor_columns = self.features.descriptor_columns()
        cfg.standardize = self.features.standardize.isChecked() and self.features.standardize.isEnabled()
        return cfg

    def set_config(self, cfg: RunConfig) -> None:
        """Show ``cfg`` in the panel (columns missing from the open table are left as they are)."""
        self._show_config(cfg)
        self._chosen = self._frame is None  # the table, when it comes, keeps this configuration
        self._following = False

    def _show_config(self, cfg: RunConfig) -> None:
        self.set_architecture(cfg.model)
        self.hparams.set_values(cfg.resolved_hparams())
        self._set_training(cfg.resolved_training())
        self.split.set_values(cfg.split.method, tuple(cfg.split.sizes), cfg.split.seed, cfg.split.column)
        self._pending = copy.deepcopy(cfg)
        self._apply_data(self._pending)

    def shutdown(self) -> None:
        """Keep the settings and wait for the background split count and estimate (the window is closing)."""
        self.remember()
        self.split.shutdown()
        self.estimate_hint.shutdown()

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
            self._show_config(RunConfig.from_dict(json.loads(str(text))))
        except (MolStudioError, ValueError, TypeError, KeyError):
            QSettings().remove(SETTINGS_KEY)
