"""The main window: menus, drag-and-drop, recent files, one tab per open table.

At start the window offers, once and without blocking, the model of a training run that
did not end cleanly (closed mid-run, or a crash): a banner across the top says what it is,
Recover makes it the current model of its table's tab, Discard deletes it
(:mod:`molstudio.gui.training.recovery`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from molstudio.core.errors import MolStudioError
from molstudio.core.tables.examples import EXAMPLES
from molstudio.core.tables.reading import SUPPORTED_EXTENSIONS
from molstudio.core.training.autosave import Autosave
from molstudio.gui.common.dialogs import AppWindow
from molstudio.gui.resources import app_icon
from molstudio.gui.training.recovery import (
    AutosaveSlot,
    RecoveryBanner,
    claim_leftovers,
    describe,
)
from molstudio.gui.window import model_actions
from molstudio.gui.window.data_tab import DataTab
from molstudio.gui.window.start_view import StartView

MAX_RECENT = 10
RECENT_KEY = "recentFiles"
SPLITTERS = ("main_split", "table_split")
OPEN_FILTER = "Compound tables (*.csv *.tsv *.txt *.xlsx *.sdf *.sd *.smi);;All files (*)"


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_EXTENSIONS


class MainWindow(AppWindow):
    """MolStudio's window; ``open_paths`` is what File ▸ Open, a drop and the command line use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("MolStudio")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1440, 900)
        self.start_view = StartView()
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._update_title)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_view)
        self.stack.addWidget(self.tabs)
        self.recovery = RecoveryBanner()
        self.recovery.recover_requested.connect(self.recover_autosave)
        self.recovery.discard_requested.connect(self.discard_autosave)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.recovery)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.show_job_progress_in_status_bar()
        self.start_view.open_requested.connect(self.choose_files)
        self.start_view.example_requested.connect(self.open_example)
        self.start_view.recent_requested.connect(lambda path: self.open_paths([Path(path)]))
        self._build_menus()
        self._restore_window()
        self.start_view.set_recent(self.recent_files())
        self._leftovers: list[tuple[AutosaveSlot, Autosave]] = claim_leftovers()
        self._offer_next()

    # --- opening tables ---------------------------------------------------------------
    def open_paths(self, paths: list[Path]) -> list[DataTab]:
        """Open each file in its own tab (reading runs in the background)."""
        opened = []
        for path in paths:
            path = Path(path)
            if not supported(path):
                kinds = ", ".join(SUPPORTED_EXTENSIONS)
                self.show_error("Cannot open this file", f"{path.name}: MolStudio opens {kinds} files.")
                continue
            tab = self._add_tab(DataTab(path.name, path.resolve()))
            tab.load_file(path)
            opened.append(tab)
        return opened

    def open_example(self, name: str) -> DataTab:
        """Open the built-in example ``name`` in a new tab."""
        tab = self._add_tab(DataTab(EXAMPLES[name].title.split(" (")[0]))
        tab.load_example(name)
        return tab

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open compound tables", self._last_folder(), OPEN_FILTER)
        self.open_paths([Path(p) for p in paths])

    def current_tab(self) -> DataTab | None:  # the open table's tab
        tab = self.tabs.currentWidget()
        return tab if isinstance(tab, DataTab) else None

    def data_tabs(self) -> list[DataTab]:
        return [t for t in (self.tabs.widget(i) for i in range(self.tabs.count())) if isinstance(t, DataTab)]

    def close_tab(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if isinstance(tab, DataTab):
            self._save_splitters(tab)
            tab.training.begin_close()  # a training cut short keeps its autosave for the next start
            tab.shutdown()
        self.tabs.removeTab(index)
        if tab is not None:
            tab.deleteLater()
        if not self.tabs.count():
            self.stack.setCurrentWidget(self.start_view)
        self._update_title()

    def _add_tab(self, tab: DataTab) -> DataTab:
        self._restore_splitters(tab)
        tab.table.set_show_structures(self.structures_action.isChecked())
        tab.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        tab.loaded.connect(lambda: self._on_tab_loaded(tab))
        tab.failed.connect(lambda message: self._on_tab_failed(tab, message))
        self.tabs.addTab(tab, tab.title)
        self.tabs.setTabToolTip(self.tabs.indexOf(tab), str(tab.source or tab.title))
        self.tabs.setCurrentWidget(tab)
        self.stack.setCurrentWidget(self.tabs)
        return tab

    def _on_tab_loaded(self, tab: DataTab) -> None:
        if tab.source is not None:
            self.add_recent(tab.source)

    def _on_tab_failed(self, tab: DataTab, message: str) -> None:
        index = self.tabs.indexOf(tab)
        if index >= 0:
            self.close_tab(index)
        if tab.source is not None:
            self.remove_recent(tab.source)
        self.show_error(f"Could not open {tab.title}", message)

    # --- recent files -----------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = QSettings().value(RECENT_KEY, [])
        paths = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else []
        return [str(p) for p in paths if p][:MAX_RECENT]

    def add_recent(self, path: Path) -> None:
        paths = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self._set_recent(paths[:MAX_RECENT])

    def remove_recent(self, path: Path) -> None:
        self._set_recent([p for p in self.recent_files() if p != str(path)])

    def _set_recent(self, paths: list[str]) -> None:
        settings = QSettings()
        settings.setValue(RECENT_KEY, paths)
        settings.sync()
        self.start_view.set_recent(paths)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent_files()
        for i, path in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{i % 10}  {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_paths([Path(p)]))
        if not paths:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear Recent Files", lambda: self._set_recent([]))
        clear.setEnabled(bool(paths))

    # --- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(supported(Path(u.toLocalFile())) for u in event.mimeData().urls() if u.isLocalFile()):
            event.acceptProposedAction()
            self.start_view.set_drag_active(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.start_view.set_drag_active(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self.start_view.set_drag_active(False)
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        # open after the drop returns, so the dragging application is not kept waiting
        QTimer.singleShot(0, lambda: self.open_paths(paths))

    # --- messages, progress, closing ---------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        if (tab := self.current_tab()) is not None:
            self._save_splitters(tab)
        self.jobs.shutdown()
        for tab in self.data_tabs():
            tab.training.begin_close()
            # stops training cleanly; a run cut short keeps its autosave, offered at the next start
            tab.shutdown()
        for slot, _ in self._leftovers:
            slot.release()  # not answered: offered again next time
        self._leftovers.clear()
        settings.sync()
        super().closeEvent(event)

    # --- recovering an interrupted run -------------------------------------------------
    def _offer_next(self) -> None:
        if self._leftovers:
            self.recovery.offer(describe(self._leftovers[0][1]))
        else:
            self.recovery.hide()

    def recover_autosave(self) -> None:
        """Recover: the offered model becomes the current model of its table's tab (opened if need be)."""
        if not self._leftovers:
            return
        slot, found = self._leftovers[0]
        source = Path(str(found.info.get("source") or ""))
        tab = next((t for t in self.data_tabs() if found.info.get("source") and t.source == source.resolve()), None)
        if tab is None and found.info.get("source") and source.is_file():
            (tab,) = self.open_paths([source])
        elif tab is None:
            tab = self.current_tab()
        if tab is None:
            where = f"{source.name} is no longer at {source.parent}" if found.info.get("source") else \
                "it was trained on an example table"
            self.show_error("Open a table first", f"The model cannot be recovered into a table yet: {where}. "
                            "Open a compound table, then choose Recover again.")
            return
        self._leftovers.pop(0)
        self._offer_next()
        if tab.is_loaded:
            self._recover_into(tab, slot, found)
        else:
            tab.loaded.connect(lambda: self._recover_into(tab, slot, found))
            tab.failed.connect(lambda _message: slot.release())

    def _recover_into(self, tab: DataTab, slot: AutosaveSlot, found: Autosave) -> None:
        if self.tabs.indexOf(tab) < 0:  # closed before it was read
            slot.release()
            return
        try:
            tab.training.recover_model(slot, found.info.get("best_epoch", "?"))
        except MolStudioError as exc:
            slot.discard()  # a damaged copy is of no use to anyone
            self.show_error("Could not recover the model", str(exc))
            return
        tab.pages.setCurrentWidget(tab.training)
        self.statusBar().showMessage("Recovered the model; save it with Model ▸ Save Model… to keep it.", 15000)

    def discard_autosave(self) -> None:
        """Discard: delete the offered model."""
        if self._leftovers:
            slot, _ = self._leftovers.pop(0)
            slot.discard()
        self._offer_next()

    def _restore_window(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _save_splitters(self, tab: DataTab) -> None:
        settings = QSettings()
        for name in SPLITTERS:
            settings.setValue(f"window/{name}", getattr(tab, name).saveState())
        settings.setValue("window/roles_split", tab.roles_panel.splitter.saveState())

    def _restore_splitters(self, tab: DataTab) -> None:
        settings = QSettings()
        for name in SPLITTERS:
            state = settings.value(f"window/{name}")
            if state is not None:
                getattr(tab, name).restoreState(state)
        state = settings.value("window/roles_split")
        if state is not None:
            tab.roles_panel.splitter.restoreState(state)

    def _last_folder(self) -> str:
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _update_title(self, *_: object) -> None:
        tab = self.current_tab()
        self.setWindowTitle(f"{tab.title} — MolStudio" if tab else "MolStudio")

    # --- menus --------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open…", self.choose_files, QKeySequence.StandardKey.Open)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        examples_menu = file_menu.addMenu("Open &Example")
        for name, example in EXAMPLES.items():
            action = examples_menu.addAction(example.title)
            action.setStatusTip(example.description)
            action.triggered.connect(lambda _=False, n=name: self.open_example(n))
        file_menu.addSeparator()
        self.export_action = self._action(file_menu, "&Export Predictions…", lambda: model_actions.export_dialog(self), "Ctrl+E")
        file_menu.addSeparator()
        self._action(file_menu, "Close &Tab", lambda: self.close_tab(self.tabs.currentIndex()), QKeySequence.StandardKey.Close)
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view_menu = bar.addMenu("&View")
        self.structures_action = self._action(view_menu, "Show &Structures", self._toggle_structures, "Ctrl+Shift+S")
        self.structures_action.setCheckable(True)
        self.structures_action.setChecked(True)
        self._action(view_menu, "&Filter Rows", self._focus_filter, QKeySequence.StandardKey.Find)
        model_menu = bar.addMenu("&Model")
        model_actions.build_model_menu(self, model_menu)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About MolStudio", self._about)

    def _action(self, menu: QMenu, text: str, slot: Callable[..., object],
                shortcut: str | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _toggle_structures(self, checked: bool) -> None:
        for tab in self.data_tabs():
            tab.table.set_show_structures(checked)

    def _focus_filter(self) -> None:
        if (tab := self.current_tab()) is not None:
            tab.filter_text.setFocus()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About MolStudio",
            "<b>MolStudio</b><br>Train neural networks on your own compound data.<br><br>"
            "Structures are read and drawn with RDKit; networks run on PyTorch.",
        )
