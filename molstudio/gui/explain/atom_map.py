"""Atom contributions in the detail pane: which atoms raise or lower the selected compound's prediction.

:class:`AtomMap` is the tool bar above the detail pane's picture (the "Atom contributions"
toggle, a target chooser, "Export picture…") and the legend line under it. With the toggle
on, the pane draws :func:`molstudio.core.explain.atoms.draw_contributions` instead of the plain
depiction. The contributions are computed by a background job ("atoms", on the tab's
:class:`~molstudio.gui.common.jobs.JobRunner`) shortly after the selection settles; a result that
arrives for a compound no longer selected is kept in the cache but not shown. Results are
cached per (model, structure, target).
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.explain.atoms import (
    AtomContributions,
    atom_contributions,
    draw_contributions,
    write_contributions,
)
from molstudio.gui.common.dialogs import AppWindow, save_dialog
from molstudio.gui.table.model import PREDICTION_DECIMALS, display_text
from molstudio.gui.table.structures import parse

if TYPE_CHECKING:
    from molstudio.core.trained.model import TrainedModel
    from molstudio.gui.common.jobs import JobRunner
    from molstudio.gui.table.detail_pane import DetailPane

JOB = "atoms"
SETTLE_MS = 150  # arrow keys through the table start no job per row passed
CACHE_SIZE = 200
MIN_DRAW_SIZE = (200, 150)  # drawn at the picture's size then, scaled with the pane (aspect ratio kept)
EXPORT_SIZE = (800, 600)
PICTURE_FILTERS = {"PNG picture (*.png)": (".png", False), "SVG picture (*.svg)": (".svg", False)}
# the colours of core.explain's map (red raises, blue lowers), for the legend's swatches
RAISES, LOWERS = "#db3333", "#3b73d9"

NO_MODEL = ("Train a model on this table (Train & predict) or open one (Model ▸ Open Model…) to see "
            "which atoms raise or lower its prediction.")
NO_STRUCTURES = ("The current model reads only descriptor columns, not the structures, so no atom can be "
                 "credited with its prediction. See Model ▸ Feature Importance… instead.")
TOGGLE_TIP = ("Colour each atom by how much it raises (red) or lowers (blue) the model's prediction "
              "for this compound: the change in the prediction when the atom is masked.")

TOGGLE_STYLE = ("QPushButton { padding: 3px 8px; border: 1px solid #a8a8a8; border-radius: 3px; background: #f6f6f6; }"
                "QPushButton:checked { background: #dbeaf7; border-color: #5b9bd5; }"
                "QPushButton:disabled { color: #9a9a9a; border-color: #cccccc; }")

Key = tuple[int, str, str]


@dataclass
class _Drawn:
    contrib: AtomContributions
    svg: bytes


class AtomMap(QWidget):
    """The atom-contribution tools of ``pane``; ``model()`` is the tab's current model (or None)."""

    def __init__(self, pane: DetailPane, jobs: JobRunner, model: Callable[[], TrainedModel | None],
                 idle: Callable[[], None] = lambda: None) -> None:
        super().__init__(pane)
        self._pane = pane
        self._jobs = jobs
        self._get_model = model
        self._idle = idle
        self._model: TrainedModel | None = None
        self._row: pd.Series | None = None
        self._text = ""  # the structure as the table holds it
        self._kind = "smiles"
        self._cache: OrderedDict[Key, _Drawn | str] = OrderedDict()  # a str: why it failed
        self._running: Key | None = None
        self.toggle = QPushButton("Atom contributions")
        self.toggle.setCheckable(True)
        self.toggle.setStyleSheet(TOGGLE_STYLE)
        self.target = QComboBox()
        self.target.setToolTip("The target whose prediction is taken apart")
        self.export_button = QPushButton("Export picture…")
        self.export_button.setToolTip("Save this colour map as a PNG or SVG picture")
        # the target chooser gets a row of its own: the pane is narrow
        self.target_row = QWidget()
        row = QHBoxLayout(self.target_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Target:"))
        row.addWidget(self.target, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.toggle)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.target_row)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("font-size: 11px;")
        pane.host_picture_tools(self, self.legend)
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self._start)
        self.toggle.toggled.connect(lambda _on: self.refresh())
        self.target.currentIndexChanged.connect(lambda _i: self.refresh())
        self.export_button.clicked.connect(self.export_dialog)
        self.show_compound(None)

    # --- what the pane shows ----------------------------------------------------------
    def show_compound(self, row: pd.Series | None, structure: str | None = None, kind: str = "smiles") -> None:
        """The pane now shows ``row``; ``structure`` is its structure column (None: nothing to draw)."""
        if row is not None and structure and structure in row.index and display_text(row[structure]):
            self._row, self._text = row, str(row[structure])
        else:
            self._row, self._text = None, ""
        self._kind = kind
        self.setVisible(self._row is not None)
        self.refresh()

    def refresh(self) -> None:
        """Follow the current model, toggle and target: draw from the cache or start the job."""
        self._follow_model()
        reason = self._unavailable()
        self.toggle.setEnabled(not reason)
        self.toggle.setToolTip(reason or TOGGLE_TIP)
        self.target_row.setVisible(not reason and self._model is not None and len(self._model.targets) > 1)
        key = self._key()
        found = self._cache.get(key) if key is not None else None
        self.export_button.setVisible(key is not None)
        self.export_button.setEnabled(isinstance(found, _Drawn))
        self.legend.setVisible(key is not None)
        if key is None:
            self._timer.stop()
            self._running = None
            self._jobs.cancel(JOB)
            if self._pane.picture_svg is not None:
                self._pane.set_picture(None)
            return
        if found is not None:
            self._cache.move_to_end(key)
        if isinstance(found, _Drawn):
            self._pane.set_picture(found.svg)
            self.legend.setText(self._legend(found.contrib))
        elif isinstance(found, str):
            self._pane.set_picture(None)
            self.legend.setText(f"<span style='color:#a4262c'>{html.escape(found)}</span>")
        else:
            self._pane.set_picture(None)
            self.legend.setText("<span style='color:gray'>Working out the atom contributions…</span>")
            if self._running != key:
                self._timer.start()

    @property
    def contributions(self) -> AtomContributions | None:
        """The contributions shown now (None while none are)."""
        key = self._key()
        found = self._cache.get(key) if key is not None else None
        return found.contrib if isinstance(found, _Drawn) else None

    def _follow_model(self) -> None:
        model = self._get_model()
        if model is self._model:
            return
        self._model = model
        # the old model's pictures go: holding on to it would keep it in memory
        self._cache = OrderedDict((k, v) for k, v in self._cache.items() if k[0] == id(model))
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(list(model.targets) if model is not None else [])
        self.target.blockSignals(False)

    def _unavailable(self) -> str:
        if self._model is None:
            return NO_MODEL
        if not self._model.inputs.needs_structures:
            return NO_STRUCTURES
        return ""

    def _key(self) -> Key | None:
        if self._row is None or not self.toggle.isChecked() or self._unavailable() or self._model is None:
            return None
        return id(self._model), self._text, self.target.currentText() or self._model.targets[0]

    # --- the background job -------------------------------------------------------------
    def _start(self) -> None:
        key, model, row = self._key(), self._model, self._row
        if key is None or model is None or row is None or key in self._cache:
            return
        structure: Any = self._text
        if self._kind == "molblock":  # the SMILES core.explain reads are what a molblock parses to
            structure, _ = parse(self._text, "molblock")
            if structure is None:
                structure = ""
        area = self._pane.picture.contentsRect().size()
        size = (max(area.width(), MIN_DRAW_SIZE[0]), max(area.height(), MIN_DRAW_SIZE[1]))
        columns = [c for c in model.inputs.descriptor_columns if c in row.index]
        descriptors = {c: row[c] for c in columns} or None

        def job(cancel: threading.Event) -> Iterator[tuple[Key, _Drawn]]:
            if cancel.is_set():
                return
            contrib = atom_contributions(model, structure, key[2], descriptors)
            yield key, _Drawn(contrib, draw_contributions(contrib, size, "svg"))

        self._running = key
        self._jobs.start(JOB, job, self._on_result, lambda message: self._on_failed(key, message), self._finished)

    def _on_result(self, result: tuple[Key, _Drawn]) -> None:
        key, drawn = result
        self._remember(key, drawn)

    def _on_failed(self, key: Key, message: str) -> None:
        self._remember(key, message.split("\n\n")[0])

    def _remember(self, key: Key, value: _Drawn | str) -> None:
        if key[0] == id(self._model):
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        if self._running == key:
            self._running = None
        if key == self._key():  # a compound selected meanwhile waits for its own result
            self.refresh()

    def _finished(self) -> None:
        self._running = None
        self._idle()

    # --- words and files ------------------------------------------------------------------
    def _legend(self, contrib: AtomContributions) -> str:
        model = self._model
        if model is not None and model.task == "classification":
            column = model.targets.index(contrib.target)
            label = (model.classes or [["0", "1"]] * len(model.targets))[column][-1]
            value = f"Predicted probability that {contrib.target} is '{label}': {contrib.prediction:.2f}"
        else:
            value = f"Predicted {contrib.target}: {display_text(contrib.prediction, PREDICTION_DECIMALS)}"
        swatch = "<span style='color:{}'>&#9632;</span>&nbsp;{}"
        return (f"<b>{html.escape(value)}</b>. {swatch.format(RAISES, 'Red')} atoms raise it, "
                f"{swatch.format(LOWERS, 'blue')} atoms lower it; the deeper the colour, the larger the change."
                f"<br><span style='color:#606060'>Colour of each atom: the {html.escape(contrib.method)}.</span>")

    def export_dialog(self) -> None:
        """Ask where to save the colour map (PNG or SVG, by the name's suffix) and write it."""
        contrib = self.contributions
        window = self.window()
        if contrib is None or not isinstance(window, AppWindow):
            return
        name = "".join(ch if ch.isalnum() else "_" for ch in self._pane.title.text().split(" (row")[0])[:40]
        source = getattr(window.current_tab(), "source", None)  # the open table's file (None: an example)
        folder = source.parent if source is not None else Path.home()
        default = folder / f"{name.strip('_') or 'compound'}_{contrib.target}_atoms.png"
        save_dialog(window, "Export atom contributions", default, PICTURE_FILTERS,
                                  lambda target: write_contributions(contrib, target.path, EXPORT_SIZE),
                                  "Could not export the picture", "Atom contributions saved to {path}")
