"""One open table: the compound table with its filters, roles, details and training.

A :class:`DataTab` reads its file in the background (first rows first), checks
every structure in the background, and hands the table and the chosen column
roles to the training view. Layout: two pages, "Compounds" (roles and load report
beside the table) and "Train & predict" (the training view), with the selected
compound shown to their right whichever page is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.tables.columns import ColumnRoles
from molstudio.core.tables.reading import LoadReport, RowProblem
from molstudio.core.trained.model import DOMAIN_COLUMN, SIMILARITY_COLUMN, count_outside
from molstudio.gui.common.jobs import JobRunner, wait_for_queued
from molstudio.gui.explain.atom_map import AtomMap
from molstudio.gui.table import loader
from molstudio.gui.table.detail_pane import DetailPane
from molstudio.gui.table.model import UNCERTAINTY, FrameModel, FrameProxy
from molstudio.gui.table.roles_panel import RolesPanel
from molstudio.gui.table.structures import DepictionCache
from molstudio.gui.table.view import CompoundTable
from molstudio.gui.training.view import TrainingView

FILTER_DELAY_MS = 250
INVALID_STYLE = "QLineEdit { border: 1px solid #c4314b; background: #fdf1f0; }"


class DataTab(QWidget):
    """A table opened from a file or a built-in example."""

    status_message = Signal(str)
    loaded = Signal()  # the whole table has been read
    failed = Signal(str)  # it could not be read; the message is for the user

    def __init__(self, title: str, source: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.source = source
        self.report: LoadReport | None = None
        self.roles: ColumnRoles | None = None
        self.is_loaded = False
        self._structure_problems: list[RowProblem] = []
        self.jobs = JobRunner(self)
        self.depictions = DepictionCache(parent=self)
        self.model = FrameModel(self.depictions, self)
        self.proxy = FrameProxy(self.model, self)
        self.table = CompoundTable(self.proxy)
        self.roles_panel = RolesPanel()
        self.detail = DetailPane()
        self.training = TrainingView()
        self.atom_map = AtomMap(self.detail, self.jobs, lambda: self.training.model, self._idle)
        self._build_filter_bar()
        self._build_layout()
        self._connect()

    # --- loading -------------------------------------------------------------------
    def load_file(self, path: Path) -> None:
        """Read ``path`` in the background; ``loaded`` or ``failed`` follows."""
        self._busy(f"Reading {path.name}…")
        self.jobs.start("load", loader.read_job(path), self._on_loaded_item, self._on_load_failed, self._idle)

    def load_example(self, name: str) -> None:
        """Make the built-in example ``name`` in the background."""
        self._busy("Preparing the example…")
        self.jobs.start("load", loader.example_job(name), self._on_loaded_item, self._on_load_failed, self._idle)

    @property
    def frame(self) -> pd.DataFrame:
        """The table in file order, prediction columns included."""
        return self.model.frame

    def _on_loaded_item(self, item: Any) -> None:
        if isinstance(item, loader.Preview):
            self.model.set_frame(item.frame)
            self.model.set_structure(item.roles.structure, item.roles.structure_kind or "smiles")
            self._busy(f"Reading the rest of the file… (first {len(item.frame):,} rows shown)")
            self.status_message.emit(f"{self.title}: first rows shown, reading the rest…")
            return
        if not isinstance(item, loader.Loaded):
            return
        self.report = item.report
        self.model.set_frame(item.frame)
        self.roles_panel.set_table(item.frame, item.roles, item.report)
        self.is_loaded = True
        self._idle()
        self.apply_roles(item.roles)
        self.status_message.emit(f"{self.title}: {len(item.frame):,} rows read")
        self.loaded.emit()

    def _on_load_failed(self, message: str) -> None:
        self._idle()
        self.failed.emit(message)

    # --- roles and structure check ---------------------------------------------------
    def apply_roles(self, roles: ColumnRoles) -> None:
        """Use ``roles`` for the depictions, the problem list and the training view."""
        changed = self.roles is None or (roles.structure, roles.structure_kind) != (
            self.roles.structure,
            self.roles.structure_kind,
        )
        self.roles = roles
        self.filter_smarts.setEnabled(roles.structure is not None)
        self.model.set_structure(roles.structure, roles.structure_kind or "smiles")
        self.table.set_show_structures(self.model.show_structures)
        self.training.set_table(self.model.frame, roles, self.source)
        if changed:
            self._start_check()
            if self.filter_smarts.text().strip():
                self._apply_smarts()

    def _start_check(self) -> None:
        self._structure_problems = []
        roles = self.roles
        if roles is None or roles.structure is None:
            self.jobs.cancel("check")
            self._show_problems(checking=False)
            return
        values = self.model.frame[roles.structure].tolist()
        job = loader.check_job(roles.structure, values, roles.structure_kind or "smiles")
        self._show_problems(checking=True)
        self._busy(f"Checking {len(values):,} structures…", maximum=len(values))
        self.jobs.start("check", job, self._on_check_item, self._on_job_failed, self._idle)

    def _on_check_item(self, item: Any) -> None:
        if isinstance(item, loader.CheckProgress):
            self.progress.setValue(item.done)
        elif isinstance(item, loader.CheckResult):
            self.model.set_structure_errors(item.column, item.errors)
            self._structure_problems = [RowProblem(row, item.column, why) for row, why in sorted(item.errors.items())]
            self._show_problems(checking=False)
            count = len(item.errors)
            if count:
                self.status_message.emit(f"{self.title}: {count:,} structure(s) could not be read; see the load report")

    def _show_problems(self, checking: bool) -> None:
        problems = list(self.report.problems if self.report else []) + self._structure_problems
        self.roles_panel.set_problems(problems, checking=checking)

    # --- filters ---------------------------------------------------------------------
    def set_text_filter(self, text: str) -> None:
        self.filter_text.setText(text)
        self._apply_text()

    def set_smarts_filter(self, smarts: str) -> None:
        self.filter_smarts.setText(smarts)
        self._apply_smarts()

    def _apply_text(self) -> None:
        self.proxy.set_text(self.filter_text.text())
        self._update_count()

    def _apply_smarts(self) -> None:
        text = self.filter_smarts.text().strip()
        self.filter_smarts.setStyleSheet("")
        self.filter_smarts.setToolTip(SMARTS_HELP)
        if not text or self.roles is None or self.roles.structure is None:
            self.jobs.cancel("search")
            self.proxy.set_structure_mask(None)
            self._update_count()
            if text:
                self.status_message.emit("This table has no structure column to search.")
            return
        try:
            chem.parse_smarts(text)  # checked here, so a typo is marked at once
        except MolStudioError as exc:
            self.filter_smarts.setStyleSheet(INVALID_STYLE)
            self.filter_smarts.setToolTip(str(exc))
            self.status_message.emit(exc.message)
            return
        values = self.model.frame[self.roles.structure].tolist()
        job = loader.search_job(text, values, self.roles.structure_kind or "smiles")
        self._busy(f"Searching {len(values):,} structures for {text}…", maximum=len(values))
        self.jobs.start("search", job, self._on_search_item, self._on_job_failed, self._idle)

    def _on_search_item(self, item: Any) -> None:
        if isinstance(item, loader.SearchProgress):
            self.progress.setValue(item.done)
        elif isinstance(item, loader.SearchResult):
            self.proxy.set_structure_mask(item.mask)
            self._update_count()
            self.status_message.emit(f"{int(item.mask.sum()):,} compounds contain {item.smarts}")

    def _update_count(self, *_: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{total:,} compounds" if shown == total else f"{shown:,} of {total:,} compounds")

    # --- selection and predictions ---------------------------------------------------
    def select_position(self, position: int) -> None:
        """Select frame row ``position`` (a problem row, a clicked scatter point)."""
        if not 0 <= position < self.model.rowCount():
            return
        if not self.table.select_position(position):
            self._show_detail(position)
            self.status_message.emit(f"Row {position + 1} is hidden by the current filter.")

    def add_predictions(self, predictions: pd.DataFrame) -> None:
        """Append prediction columns (same index as the table), replacing earlier ones.

        An earlier model's uncertainty, interval or applicability-domain columns go when the
        new model does not make them: they would read as this prediction's.
        """
        targets = {str(c).removesuffix("_predicted") for c in predictions.columns if str(c).endswith("_predicted")}
        stale = {f"{t}{suffix}" for t in targets for suffix in (UNCERTAINTY, "_lower", "_upper")}
        stale |= {SIMILARITY_COLUMN, DOMAIN_COLUMN}
        self.model.drop_columns([c for c in self.model.prediction_columns
                                 if c not in predictions.columns and c in stale])
        names = self.model.append_columns(predictions)
        self.pages.setCurrentWidget(self.table_split)
        columns = list(map(str, self.model.frame.columns))
        for name in names:  # the proxy filters rows only: its columns are the model's
            self.table.fit_header(columns.index(name))
        if names:
            column = columns.index(names[0])
            self.table.scrollTo(self.proxy.index(max(self.table.rowAt(0), 0), column))
        message = f"Predictions added to {self.title}: {', '.join(names)}"
        if DOMAIN_COLUMN in predictions.columns:
            outside = count_outside(predictions)
            message += (f". {outside} of {len(predictions)} compounds are outside the model's applicability "
                        "domain (shaded orange)" if outside else ". Every compound is inside the model's "
                        "applicability domain")
        self.status_message.emit(message)
        if self.detail.position is not None:
            self._show_detail(self.detail.position)

    def _on_current_changed(self, current: Any, _previous: Any) -> None:
        if current.isValid():
            self._show_detail(self.proxy.position(current.row()))

    def _show_detail(self, position: int) -> None:
        roles = self.roles
        self.detail.show_row(
            self.model.frame,
            position,
            structure=self.model.structure_column,
            kind=self.model.structure_kind,
            id_column=roles.id if roles else None,
            highlighted=self.model.prediction_columns,
            decimals=self.model.decimals,
        )
        self.atom_map.show_compound(self.model.frame.iloc[position], self.model.structure_column,
                                    self.model.structure_kind)

    def shutdown(self) -> None:
        """Stop every background job of this tab, training included, and wait for them."""
        self.jobs.shutdown()
        self.training.stop()
        wait_for_queued(lambda: not self.training.is_training(), 15000)
        self.training.shutdown()

    # --- progress --------------------------------------------------------------------
    def _busy(self, text: str, maximum: int = 0) -> None:
        self.progress_label.setText(text)
        self.progress.setRange(0, maximum)
        self.progress.setValue(0)
        self.progress_strip.show()

    def _idle(self) -> None:
        if not self.jobs.busy():
            self.progress_strip.hide()

    def _on_job_failed(self, message: str) -> None:
        self._idle()
        self.status_message.emit(message)

    # --- construction ------------------------------------------------------------------
    def _build_filter_bar(self) -> None:
        self.filter_text = QLineEdit()
        self.filter_text.setPlaceholderText("Filter rows by text")
        self.filter_text.setToolTip("Show only rows with this text in any column (ID, SMILES, values); case is ignored.")
        self.filter_text.setClearButtonEnabled(True)
        self.filter_smarts = QLineEdit()
        self.filter_smarts.setPlaceholderText("Substructure (SMARTS) + Enter")
        self.filter_smarts.setClearButtonEnabled(True)
        self.filter_smarts.setToolTip(SMARTS_HELP)
        self.count_label = QLabel("")
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(FILTER_DELAY_MS)
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.progress_strip = QWidget()
        strip = QHBoxLayout(self.progress_strip)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.addWidget(self.progress_label, 1)
        strip.addWidget(self.progress)
        self.progress_strip.hide()

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.filter_text, 3)
        bar.addWidget(self.filter_smarts, 3)
        bar.addWidget(self.count_label)
        table_area = QWidget()
        area = QVBoxLayout(table_area)
        area.setContentsMargins(0, 0, 0, 0)
        area.addLayout(bar)
        area.addWidget(self.progress_strip)
        area.addWidget(self.table, 1)
        self.table_split = QSplitter(Qt.Orientation.Horizontal)
        self.table_split.setObjectName("tableSplitter")
        self.table_split.addWidget(self.roles_panel)
        self.table_split.addWidget(table_area)
        self.table_split.setStretchFactor(1, 1)
        self.table_split.setSizes([290, 860])
        # table and training each get the whole height; the compound stays in view beside both
        self.pages = QTabWidget()
        self.pages.addTab(self.table_split, "Compounds")
        self.pages.addTab(self.training, "Train && predict")
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.setObjectName("mainSplitter")
        self.main_split.addWidget(self.pages)
        self.main_split.addWidget(self.detail)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setSizes([1150, 290])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.main_split)

    def _connect(self) -> None:
        self._text_timer.timeout.connect(self._apply_text)
        self.filter_text.textChanged.connect(lambda _: self._text_timer.start())
        self.filter_smarts.returnPressed.connect(self._apply_smarts)
        self.filter_smarts.textChanged.connect(lambda text: self._apply_smarts() if not text.strip() else None)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset, self.proxy.layoutChanged):
            signal.connect(self._update_count)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.roles_panel.roles_changed.connect(self.apply_roles)
        self.roles_panel.problem_selected.connect(self.select_position)
        self.training.compound_selected.connect(self.select_position)
        self.training.predictions_ready.connect(self.add_predictions)
        self.training.status_message.connect(self.status_message)
        self.training.status_message.connect(lambda _text: self.atom_map.refresh())  # each new model is announced


SMARTS_HELP = (
    "Show only compounds containing this substructure, written as SMARTS\n"
    "(c1ccncc1 pyridine, [NX3;H2] primary amine, C(=O)[OH] carboxylic acid).\n"
    "Press Enter to search; clear the box to show all compounds."
)
