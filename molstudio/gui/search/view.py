"""Search settings: a hyperparameter search around the training panel's run.

The training panel holds the run (targets, architecture, features, split, training
settings); this view searches settings around it with :func:`molstudio.core.search.tuning.tune`
in the one background mechanism (:class:`~molstudio.gui.common.jobs.JobRunner`):

* before starting: the search ranges (:mod:`molstudio.gui.search.ranges`), a budget
  (trials and/or minutes), the pruner, and where the study is kept: by default an
  SQLite file next to the data (:func:`~molstudio.core.search.tuning.default_storage`, as the
  CLI), named after the file and the architecture. A study kept there from an earlier
  session is found and shown (its trials in the table and the plots); Start continues it.
* while running: a row per trial (the running one updated per epoch), the best-so-far
  plot, and every few trials the settings' importances, computed in the background.
  Stop ends the running trial within a batch; finished trials stay in the study.
* "Use best settings" writes the best trial's settings into the training panel and says
  what changed, so the next Train uses them.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.run.choices import default_study_name
from molstudio.core.run.config import TRAINING_SCHEMA, RunConfig
from molstudio.core.search.tuning import (
    PRUNERS,
    SearchFinished,
    TrialReport,
    default_storage,
    objective_metric,
    storage_url,
)
from molstudio.core.training.reports import EpochReport
from molstudio.gui.common.job_view import JobView
from molstudio.gui.common.param_form import display_title, format_value
from molstudio.gui.common.run_status import (
    METRIC_NAMES,
    clock,
)
from molstudio.gui.common.table_items import cell, header_cell
from molstudio.gui.search.plots import BestSoFarPlot, ImportancePlot
from molstudio.gui.search.ranges import SearchRanges, find_param, setting_label
from molstudio.gui.search.study import (
    IMPORTANCE_EVERY,
    Importances,
    StoredStudy,
    TrialRow,
    look_job,
    plain_path,
    search_job,
    settings_text,
)

PRUNER_NAMES = {"median": "Median rule", "hyperband": "Hyperband"}
PRUNER_HELP = ("How hopeless trials are stopped early, epoch by epoch, to save time.\n"
               "Median rule: a trial stops when it is worse than the median of earlier trials at the same epoch.\n"
               "Hyperband: many trials are started and most stopped after a few epochs; suits long trainings.")
STATE_WORDS = {"complete": "finished", "pruned": "stopped early", "failed": "failed", "running": "running",
               "queued": "queued"}
FIXED_COLUMNS = ["Trial", "State", "Value", "Epochs", "Time"]


class TuneView(JobView):
    """Search settings around the training panel's run; see the module docstring.

    ``panel`` is the training panel (its ``config()`` is the run searched around, and
    "Use best settings" writes into it); ``table()`` gives the open table and its file.
    """

    def __init__(self, panel: Any, table: Callable[[], tuple[pd.DataFrame | None, Path | None]],
                 others_busy: Callable[[], str] = lambda: "", parent: QWidget | None = None) -> None:
        super().__init__(others_busy, parent)
        self.panel = panel
        self._table = table
        self.ranges = SearchRanges()
        self.trial_plot = BestSoFarPlot()
        self.importance_plot = ImportancePlot()
        self.progress.setMinimumWidth(160)
        self.rows: dict[int, TrialRow] = {}
        self._columns: list[str] = []
        self._model = ""
        self._metric = ("rmse", "minimize")
        self._running: TrialRow | None = None
        self._running_started = 0.0
        self._best: tuple[str, dict[str, Any], int | None, float | None] | None = None  # model, params, n, value
        self._auto_names: tuple[str, str] = ("", "")  # the storage and name filled in for the user
        self._looked: tuple[str, str, str] = ("", "", "")
        self._build()
        self._refresh_timer = QTimer(self, singleShot=True, interval=300)
        self._refresh_timer.timeout.connect(self.refresh)
        self.panel.changed.connect(lambda: self._refresh_timer.start() if self.isVisible() else None)
        self.update_buttons()

    # ---- building -------------------------------------------------------------------
    def _build(self) -> None:
        self.start_button = QPushButton("▶  Start search")
        self.start_button.setToolTip("Try settings around the training panel's run, scored as chosen under "
                                     "'Score trials on'.")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setToolTip("Stop the running trial now; finished trials stay in the search.")
        self.stop_button.clicked.connect(self.stop)
        self.use_button = QPushButton("Use best settings")
        self.use_button.setToolTip("Put the best trial's settings into the training panel, so the next Train uses "
                                   "them.")
        self.use_button.clicked.connect(self.use_best)
        self.start_over_button = QPushButton("Start over…")
        self.start_over_button.setToolTip("Delete the trials kept under this search's name and start afresh.")
        self.start_over_button.clicked.connect(lambda: self.start_over(confirm=True))
        controls = QHBoxLayout()
        controls.addWidget(self.start_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.use_button)

        setup = QWidget()
        left = QVBoxLayout(setup)
        left.setContentsMargins(0, 4, 0, 0)
        group = QGroupBox("What the search tries")
        box = QVBoxLayout(group)
        self.run_label = QLabel()
        self.run_label.setWordWrap(True)
        box.addWidget(self.run_label)
        box.addWidget(self.ranges, 1)
        left.addWidget(group, 1)
        budget = QGroupBox("Budget and storage")
        form = QFormLayout(budget)
        self.trials = QSpinBox()
        self.trials.setRange(0, 100000)
        self.trials.setValue(20)
        self.trials.setSpecialValueText("no limit")
        self.trials.setToolTip("Trials to run now (a resumed search adds this many). 0 = until the time limit.")
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 100000)
        self.minutes.setSuffix(" min")
        self.minutes.setSpecialValueText("no limit")
        self.minutes.setToolTip("No new trial starts after this time. 0 = until the number of trials is reached.")
        self.pruner = QComboBox()
        for value in PRUNERS:
            self.pruner.addItem(PRUNER_NAMES.get(value, value), value)
        self.pruner.setToolTip(PRUNER_HELP)
        self.scoring = QComboBox()
        self.scoring.addItem("Validation set", 0)
        self.scoring.addItem("5-fold cross-validation", 5)
        self.scoring.setToolTip(
            "How each trial is scored. The validation set is quickest, but with ~100 validation compounds a "
            "search of many trials mostly fits their noise.\n5-fold cross-validation trains 5 networks per trial "
            "(5× slower), each scored on a fifth of the training and validation compounds it did not see: "
            "a steadier choice. The test set is never used.")
        self.scoring.currentIndexChanged.connect(lambda _i: self._on_scoring())
        self.storage = QLineEdit()
        self.storage.setToolTip("Where the search is kept: an SQLite file (the default, next to the data) or a "
                                "database address such as postgresql://user@host/db, which several computers can "
                                "share. A search kept there survives closing MolStudio and can be continued.")
        self.study_name = QLineEdit()
        self.study_name.setToolTip("The search's name in that storage; the same name continues the same search.")
        for widget in (self.storage, self.study_name):
            widget.editingFinished.connect(self._look)
        form.addRow("Trials:", self.trials)
        form.addRow("Time limit:", self.minutes)
        form.addRow("Stop hopeless trials:", self.pruner)
        form.addRow("Score trials on:", self.scoring)
        form.addRow("Kept in:", self.storage)
        form.addRow("Search name:", self.study_name)
        form.addRow("", self.start_over_button)
        left.addWidget(budget)

        self.table = QTableWidget(0, len(FIXED_COLUMNS))
        self.table.setHorizontalHeaderLabels(FIXED_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.trial_plot)
        plots.addWidget(self.importance_plot)
        plots.setSizes([1, 1])
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(plots)
        results.addWidget(self.table)
        results.setSizes([3, 2])
        # two pages: the tab is about 600 pixels wide beside the settings column and the compound
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(setup, "Ranges and budget")
        self.pages.addTab(results, "Trials")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)

    # ---- the run searched around -------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()

    def _config(self) -> RunConfig:
        frame, _ = self._table()
        if frame is None:
            raise MolStudioError("Open a table first: drop a compound file on the window or use File ▸ Open.")
        return self.panel.config()

    def refresh(self) -> None:
        """Show the ranges around the panel's run, and the search kept for it (found in the background)."""
        if self.is_running():
            return
        try:
            config = self._config()
        except MolStudioError as exc:
            self.run_label.setText(html.escape(exc.message))
            self.update_buttons()
            return
        self.ranges.set_run(config.model, {**config.resolved_hparams(), **config.resolved_training()})
        self._describe_run(config)
        self._place_defaults(config)
        self._look()
        self.update_buttons()

    def _on_scoring(self) -> None:
        """Another way of scoring is another search: its own default name, its own kept trials."""
        config = self._idle_config()
        if config is None:
            return
        self._describe_run(config)
        self._place_defaults(config)
        self._reset_results(objective_metric(config.task))
        self._look()

    def _describe_run(self, config: RunConfig) -> None:
        values = {**config.resolved_hparams(), **config.resolved_training()}
        targets = ", ".join(config.targets)
        folds = self.scoring.currentData()
        scored = (f"by {folds}-fold cross-validation over the training and validation compounds." if folds
                  else f"on the validation set ({config.split.sizes[1]:.0%} of the compounds).")
        self.run_label.setText(f"Around the training panel's run: <b>{html.escape(config.model)}</b> predicting "
                               f"<b>{html.escape(targets)}</b>, {values['epochs']} epochs per trial at most, scored "
                               + scored)

    def _place_defaults(self, config: RunConfig) -> None:
        """The default storage and search name, unless the user typed their own."""
        storage, name = self._default_place(config)
        if self.storage.text() in ("", self._auto_names[0]):
            self.storage.setText(storage)
        if self.study_name.text() in ("", self._auto_names[1]):
            self.study_name.setText(name)
        self._auto_names = (storage, name)

    def _default_place(self, config: RunConfig) -> tuple[str, str]:
        """Next to the data file as the CLI does; an example table's search in the app's data folder."""
        _, source = self._table()
        name = default_study_name(config, source, self.scoring.currentData() or 0)
        if source is not None:
            return plain_path(default_storage(source)), name
        return str(self._default_file()), name

    @staticmethod
    def _default_file() -> Path:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(folder) / "searches" / "examples.search.db"

    def _look(self) -> None:
        """Find what the storage keeps under the search name (in the background)."""
        config = self._idle_config()
        if config is None:
            return
        storage, name = self.storage.text().strip(), self.study_name.text().strip()
        if not storage or not name:
            return
        self._looked = (storage, name, config.model)
        self.jobs.start("look", look_job(storage, name, config, self.scoring.currentData()), self._on_look, lambda message: None,
                        self.update_buttons)

    def _on_look(self, items: list[Any]) -> None:
        found: StoredStudy = items[0]
        if (found.storage, found.name) != self._looked[:2]:
            return
        self._metric = objective_metric(self._safe_task())
        self._reset_results(self._metric)
        if found.other_run:
            self.banner.show_message(
                f"The search '{found.name}' already holds {len(found.rows)} trial(s) of another run "
                f"({found.other_run}).\nGive this search another name to start a new one, or use Start over "
                "to delete those trials.", "warning")
            self._best = None
        elif found.rows:
            self._model = found.model or self._looked[2]
            self._set_columns(found.rows)
            for row in found.rows:
                self._put_row(row)
            self._redraw()
            best = (f"; best so far: trial {found.best_number}, {self._scored()} {self._metric_label()} "
                    f"{found.best_value:.4g}" if found.best_number is not None else "")
            self._best = (self._model, found.best_params, found.best_number, found.best_value) \
                if found.best_number is not None else None
            self.banner.show_message(
                f"This search was started before: {len(found.rows)} trial(s) are kept in "
                f"{self._place_text(found.storage)}{best}.\nStart continues it; Start over deletes its trials.",
                "info")
            if len(items) > 1:
                self.importance_plot.set_importances(items[1].values)
            self.pages.setCurrentIndex(1)
        else:
            self._best = None
            self.banner.hide()
        self.update_buttons()

    def _idle_config(self) -> RunConfig | None:
        """The panel's run when no search runs and the panel holds a valid run, else None."""
        if self.is_running():
            return None
        try:
            return self._config()
        except MolStudioError:
            return None

    def _safe_task(self) -> str:
        try:
            return self._config().task
        except MolStudioError:
            return "regression"

    # ---- searching ------------------------------------------------------------------
    def start(self) -> bool:
        """Start (or continue) the search with the ranges and budget shown; whether it started."""
        if not self.may_start():
            return False
        try:
            config = self._config()
            self.ranges.set_run(config.model, {**config.resolved_hparams(), **config.resolved_training()})
            overrides = self.ranges.overrides()
        except MolStudioError as exc:
            self.show_error(str(exc))
            return False
        trials = self.trials.value() or None
        timeout = self.minutes.value() * 60.0 or None
        if trials is None and timeout is None:
            self.show_error("A search needs a budget: a number of trials, a time limit, or both.")
            return False
        storage, name = self.storage.text().strip(), self.study_name.text().strip()
        if not storage or not name:
            self.show_error("Say where the search is kept (an SQLite file or a database address) and give it a name.")
            return False
        if "://" not in storage or storage.startswith("sqlite:///"):
            file = Path(plain_path(storage)).expanduser()
            if file == self._default_file():
                file.parent.mkdir(parents=True, exist_ok=True)  # the application's own folder
            if not file.parent.is_dir():
                self.show_error(f"The folder {file.parent} for the search file does not exist.\nChoose an existing "
                            "folder in 'Kept in'.")
                return False
        frame, _ = self._table()
        self.jobs.cancel("look")
        if self._model != config.model or not self.rows:
            self._reset_results(objective_metric(config.task))
        self._model = config.model
        self._metric = objective_metric(config.task)
        self._set_columns([])
        self.banner.hide()
        pruner = self.pruner.currentData()
        job = search_job(config, frame, trials, timeout, storage, name, pruner, overrides,
                         self.scoring.currentData())
        self.pages.setCurrentIndex(1)
        self._running = None
        budget = " and ".join(filter(None, [f"{trials} trial(s)" if trials else "",
                                             f"{self.minutes.value()} min" if timeout else ""]))
        self.run_job("search", job, self._on_report, self._on_failed,
                     f"Searching settings for {config.model}: {budget}, kept in {self._place_text(storage)}…")
        return True

    def job_stopping(self) -> None:
        """Stop stops the running trial; the finished ones stay in the study (and the end still arrives)."""
        self.stop_button.setEnabled(False)

    def start_over(self, confirm: bool = True) -> bool:
        """Delete the trials kept under the search name (after asking, unless ``confirm`` is False)."""
        import optuna

        if self.is_running():
            return False
        storage, name = self.storage.text().strip(), self.study_name.text().strip()
        if confirm:
            answer = QMessageBox.question(
                self, "Start the search over?",
                f"Delete the trials of the search '{name}' kept in {self._place_text(storage)}?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        url = storage_url(storage)
        try:
            if url is not None:  # a search kept in memory is gone with its run
                optuna.delete_study(study_name=name, storage=url)
        except KeyError:
            pass  # nothing kept under that name
        except Exception as exc:  # an unreachable database: say so
            self.show_error(f"Could not delete the search '{name}': {str(exc).splitlines()[0]}")
            return False
        self._best = None
        self._reset_results(self._metric)
        self.banner.hide()
        self.status_message.emit(f"The trials of the search '{name}' were deleted.")
        self.update_buttons()
        return True

    def shutdown(self, msecs: int = 30000) -> None:
        """Stop the search and wait for it (the window is closing); finished trials stay kept."""
        self._refresh_timer.stop()
        super().shutdown(msecs)

    # ---- reports --------------------------------------------------------------------
    def _on_report(self, report: Any) -> None:
        if isinstance(report, EpochReport):
            if self._running is None:
                number = max(self.rows, default=-1) + 1
                self._running = TrialRow(number, "running", {}, None, 0, 0.0)
                self._running_started = time.monotonic()
            self._running.epochs = report.epoch
            self._running.seconds = time.monotonic() - self._running_started
            value = report.val_metrics.get(self._metric[0])
            self._running.value = float(value) if value is not None and math.isfinite(value) else None
            self._put_row(self._running)
            self.progress.setRange(0, report.epochs)
            self.progress.setValue(report.epoch)
            self.progress.setFormat(f"Trial {self._running.number}: epoch {report.epoch} / {report.epochs}")
        elif isinstance(report, TrialReport):
            if self._running is not None and self._running.number != report.number:
                self._remove_row(self._running.number)  # another worker took that number
            self._running = None
            self._set_columns([TrialRow(0, "", report.params, None, 0, 0)])
            self._put_row(TrialRow(report.number, report.state, report.params, report.value, report.epochs,
                                   report.seconds, report.message))
            if report.best_number is not None:
                best = self.rows.get(report.best_number)
                self._best = (self._model, best.params if best else report.params, report.best_number,
                              report.best_value)
            self._redraw()
            self.update_buttons()
        elif isinstance(report, Importances):
            self.importance_plot.set_importances(report.values)
        elif isinstance(report, SearchFinished):
            self._finished(report)

    def _finished(self, end: SearchFinished) -> None:
        if self._running is not None:
            self._remove_row(self._running.number)  # stopped: Optuna keeps it as failed, not worth a row
            self._running = None
        if end.best_number is not None:
            self._best = (self._model, dict(end.best_params), end.best_number, end.best_value)
        how = {"completed": "Finished", "timeout": "Time limit reached", "cancelled": "Stopped"}.get(end.stopped,
                                                                                                  end.stopped)
        done = [r for r in self.rows.values() if r.state == "complete"]
        self.progress.finish(f"{how}: {end.trials_run} trial(s) run")
        if end.best_number is None:
            self.banner.show_message("No trial has finished yet, so there are no best settings.\nGive the search "
                                     "more trials or more time.", "warning")
        else:
            self.banner.show_message(
                f"Best so far: trial {end.best_number}, {self._scored()} {self._metric_label()} {end.best_value:.4g}.\n"
                f"{len(done)} of the search's {len(self.rows)} trials ran to the end, the others were stopped early "
                "or failed. Use best settings puts the best trial's settings into the training panel.", "info")
        self.status_message.emit(f"{how}: the search '{end.study}' holds {len(self.rows)} trial(s)"
                                 f"{self._best_text()}.")

    def _on_failed(self, message: str) -> None:
        if self._running is not None:
            self._remove_row(self._running.number)
            self._running = None
        self.progress.finish("Search failed")
        self.show_error(message)

    # ---- using the best ---------------------------------------------------------------
    def use_best(self) -> list[str]:
        """Write the best trial's settings into the training panel; the changes, in words."""
        if self._best is None:
            self.show_error("No trial has finished yet, so there are no best settings to use.")
            return []
        model, params, number, value = self._best
        changes = []
        if self.panel.architecture.currentData() != model and model in MODELS:
            self.panel.set_architecture(model)
            changes.append(f"architecture → {model}")
        before = self._panel_values()
        schema = MODELS.get(model).schema
        self.panel.hparams.set_values({k: v for k, v in params.items() if schema.get(k) is not None})
        training = {k: v for k, v in params.items() if schema.get(k) is None and TRAINING_SCHEMA.get(k) is not None}
        self.panel.training.set_values(training)
        self.panel.advanced.set_values(training)
        after = self._panel_values()
        for key in params:
            param = find_param(model, key)
            if param is None or before.get(key) == after.get(key):
                continue
            old = settings_text(before[key]) if key in before else "?"
            changes.append(f"{display_title(param)} {old} → {settings_text(after.get(key))}")
        head = f"Best settings of trial {number} ({self._scored()} {self._metric_label()} {value:.4g}) are in the panel"
        if changes:
            self.banner.show_message(f"{head}; the next Train uses them.\nChanged: " + "; ".join(changes) + ".",
                                     "info")
        else:
            self.banner.show_message(f"{head}: they were the panel's settings already.", "info")
        self.status_message.emit(f"{head}.")
        return changes

    def _panel_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for form in (self.panel.hparams, self.panel.training, self.panel.advanced):
            for name, editor in form.editors.items():
                try:
                    out[name] = editor.value()
                except MolStudioError:
                    out[name] = editor.raw()
        return out

    # ---- the table and plots ------------------------------------------------------------
    def _reset_results(self, metric: tuple[str, str]) -> None:
        self.rows = {}
        self._running = None
        self.table.setRowCount(0)
        self._columns = []
        self._set_columns([])
        label = METRIC_NAMES.get(metric[0], metric[0])
        scored = self._scored()
        header_cell(self.table, 2).setText(f"{scored[0].upper()}{scored[1:]} {label}")
        self.trial_plot.reset(label, metric[1] == "maximize")
        self.importance_plot.set_importances({})

    def _set_columns(self, rows: list[TrialRow]) -> None:
        names = list(self._columns)
        for row in rows:
            names += [k for k in row.params if k not in names]
        if names == self._columns and self.table.columnCount() == len(FIXED_COLUMNS) + len(names):
            return
        self._columns = names
        self.table.setColumnCount(len(FIXED_COLUMNS) + len(names))
        for i, name in enumerate(names):
            param = find_param(self._model, name) if self._model in MODELS else None
            item = QTableWidgetItem(setting_label(self._model, name) if param is not None else name)
            item.setToolTip(name)
            self.table.setHorizontalHeaderItem(len(FIXED_COLUMNS) + i, item)
        for row in self.rows.values():
            self._put_row(row)

    def _put_row(self, row: TrialRow) -> None:
        self.rows[row.number] = row
        index = self._table_row(row.number)
        value = "–" if row.value is None else f"{row.value:.4g}"
        state = STATE_WORDS.get(row.state, row.state)
        cells = [str(row.number), state, value, str(row.epochs) if row.epochs else "–", clock(row.seconds)]
        for name in self._columns:
            param = find_param(self._model, name) if self._model in MODELS else None
            v = row.params.get(name)
            cells.append("" if v is None else settings_text(v) if param is None or isinstance(v, float)
                         else format_value(param, v))
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col != 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row.message:
                item.setToolTip(f"Why it failed: {row.message}")
            self.table.setItem(index, col, item)

    def _table_row(self, number: int) -> int:
        """The table row of trial ``number``, inserted in number order if it is new."""
        for i in range(self.table.rowCount()):
            shown = int(cell(self.table, i, 0).text())
            if shown == number:
                return i
            if shown > number:
                self.table.insertRow(i)
                self.table.setItem(i, 0, QTableWidgetItem(str(number)))
                return i
        i = self.table.rowCount()
        self.table.insertRow(i)
        self.table.setItem(i, 0, QTableWidgetItem(str(number)))
        return i

    def _remove_row(self, number: int) -> None:
        self.rows.pop(number, None)
        for i in range(self.table.rowCount()):
            if (item := self.table.item(i, 0)) is not None and item.text() == str(number):
                self.table.removeRow(i)
                return

    def _redraw(self) -> None:
        rows = [r for r in self.rows.values() if r.state in ("complete", "pruned")]
        self.importance_plot.set_waiting(sum(r.state == "complete" for r in rows), IMPORTANCE_EVERY)
        self.trial_plot.set_trials([r.number for r in rows], [r.value for r in rows], [r.state for r in rows])

    def trial_states(self) -> dict[int, str]:
        """Trial number -> state, as the table shows them."""
        return {n: r.state for n, r in sorted(self.rows.items())}

    # ---- helpers ------------------------------------------------------------------
    def _metric_label(self) -> str:
        return METRIC_NAMES.get(self._metric[0], self._metric[0])

    def _scored(self) -> str:
        """How the trials are scored, before the metric's name: "validation" or "5-fold CV"."""
        folds = self.scoring.currentData()
        return f"{folds}-fold CV" if folds else "validation"

    def _best_text(self) -> str:
        if self._best is None or self._best[3] is None:
            return ""
        return f" · best: trial {self._best[2]}, {self._metric_label()} {self._best[3]:.4g}"

    @staticmethod
    def _place_text(storage: str) -> str:
        url = storage_url(storage) or ""
        return Path(url.removeprefix("sqlite:///")).name if url.startswith("sqlite:///") else url

    def update_buttons(self) -> None:
        """Enable what can be done now (called again when the table or another job changes)."""
        running = self.is_running()
        frame, _ = self._table()
        self.start_button.setEnabled(not running and frame is not None)
        self.stop_button.setEnabled(running)
        self.use_button.setEnabled(not running and self._best is not None)
        self.start_over_button.setEnabled(not running and bool(self.rows))
        for widget in (self.ranges, self.trials, self.minutes, self.pruner, self.scoring, self.storage,
                       self.study_name):
            widget.setEnabled(not running)

