"""The main window: opening files (menu path, drop), examples, recent files, closing."""

from pathlib import Path

import pandas as pd
from gui_fixtures import BACKGROUND_MS
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from molstudio.gui.app import parse_args
from molstudio.gui.window.data_tab import DataTab
from molstudio.gui.window.main_window import MAX_RECENT, MainWindow


def drop(window, paths):
    """Send the drag-enter and drop events a file manager would send."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(pos, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    accepted = enter.isAccepted()
    if accepted:
        QApplication.sendEvent(window, QDropEvent(pos, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    return accepted


def test_window_starts_on_the_start_view(window):
    assert "MolStudio" in window.windowTitle()
    assert window.stack.currentWidget() is window.start_view
    assert set(window.start_view.example_buttons) == {"tutorial", "chembl_binding"}


def test_opening_a_file_shows_its_rows_and_structures(window, open_table, compounds_csv):
    tab = open_table(compounds_csv)
    assert window.stack.currentWidget() is window.tabs
    assert window.windowTitle() == "compounds.csv — MolStudio"
    assert tab.model.rowCount() == 63
    assert tab.roles.structure == "smiles" and tab.roles.id == "compound_id"
    assert tab.model.index(0, 1).data() == "CCO"
    assert "63 rows" in tab.roles_panel.summary.text()


def test_dropped_files_open_one_tab_each(window, qtbot, wait_loaded, compounds_csv, tmp_path):
    other = tmp_path / "second.tsv"
    pd.DataFrame({"smiles": ["c1ccccc1", "CCN"], "pIC50": [5.1, 6.2]}).to_csv(other, sep="\t", index=False)
    assert drop(window, [compounds_csv, other])
    qtbot.waitUntil(lambda: window.tabs.count() == 2)
    tabs = [wait_loaded(t) for t in window.data_tabs()]
    assert [t.title for t in tabs] == ["compounds.csv", "second.tsv"]
    assert tabs[1].model.rowCount() == 2 and tabs[1].roles.targets == ["pIC50"]


def test_a_drag_of_unsupported_files_is_refused(window, tmp_path):
    note = tmp_path / "notes.docx"
    note.write_bytes(b"PK")
    assert not drop(window, [note])
    assert window.tabs.count() == 0


def test_a_file_that_cannot_be_read_gives_a_message_and_no_tab(window, qtbot, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    window.open_paths([empty])
    qtbot.waitUntil(lambda: window.tabs.count() == 0 and window.last_error != "", timeout=BACKGROUND_MS)
    assert "empty" in window.last_error
    assert window.stack.currentWidget() is window.start_view


def test_start_view_examples_open(window, qtbot, wait_loaded):
    window.start_view.example_buttons["chembl_binding"].click()
    chembl = wait_loaded(window.current_tab())
    assert chembl.model.rowCount() == 1017
    assert chembl.roles.structure == "smiles" and chembl.roles.targets == ["activity"]
    window.start_view.example_buttons["tutorial"].click()
    tutorial = wait_loaded(window.current_tab())
    assert tutorial.roles.structure is None
    assert tutorial.roles.targets == ["y"] and tutorial.roles.descriptors == ["f1", "f2", "f3", "f4"]
    assert window.tabs.count() == 2


def test_recent_files_are_kept_between_launches(window, qtbot, open_table, compounds_csv, tmp_path):
    open_table(compounds_csv)
    assert window.recent_files() == [str(compounds_csv.resolve())]
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.recent_files() == [str(compounds_csv.resolve())]
    again.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in again.recent_menu.actions()]
    assert any("compounds.csv" in t for t in texts)
    for i in range(MAX_RECENT + 3):
        again.add_recent(tmp_path / f"f{i}.csv")
    recent = again.recent_files()
    assert len(recent) == MAX_RECENT and recent[0].endswith(f"f{MAX_RECENT + 2}.csv")


def test_window_geometry_is_restored(qtbot, window):
    window.resize(700, 500)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == (700, 500)


def test_splitter_positions_are_restored(qtbot, window, open_table, wait_loaded, compounds_csv):
    tab = open_table(compounds_csv)
    total = sum(tab.table_split.sizes())
    tab.table_split.setSizes([total // 2, total - total // 2])  # a wide column-roles panel
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    (tab2,) = again.open_paths([compounds_csv])
    wait_loaded(tab2)
    roles, table = tab2.table_split.sizes()
    assert roles / (roles + table) > 0.4  # the default gives it a quarter
    again.close()


def test_closing_the_window_while_work_runs_stops_it(qtbot, tmp_path, compounds_csv):
    big = tmp_path / "big.csv"
    frame = pd.read_csv(compounds_csv)
    pd.concat([frame] * 200, ignore_index=True).to_csv(big, index=False)  # 12,600 structures to check
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    (tab,) = win.open_paths([big])
    qtbot.waitUntil(lambda: tab.jobs.is_running("check"), timeout=BACKGROUND_MS)
    win.close()  # the leak check of conftest fails the test if a thread outlives this
    assert not tab.jobs.busy()


def test_command_line_names_files_and_examples():
    args = parse_args(["a.csv", "b.sdf", "--example", "tutorial"])
    assert args.files == [Path("a.csv"), Path("b.sdf")] and args.example == "tutorial"


def test_closing_the_last_tab_returns_to_the_start_view(window, open_table, compounds_csv):
    open_table(compounds_csv)
    window.close_tab(0)
    assert window.stack.currentWidget() is window.start_view
    assert window.windowTitle() == "MolStudio"
    assert not any(isinstance(w, DataTab) for w in [window.tabs.widget(i) for i in range(window.tabs.count())])


def test_molstudio_file_opens_the_window_with_the_table(qapp, compounds_csv):
    from PySide6.QtCore import QTimer

    from molstudio.gui import app

    seen = {}

    def look():
        win = next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()), None)
        tab = win.current_tab() if win else None
        if tab is not None and tab.is_loaded and not tab.jobs.busy():
            seen.update(rows=tab.model.rowCount(), title=win.windowTitle())
            win.close()  # the last window closed ends app.exec()
        else:
            QTimer.singleShot(50, look)

    QTimer.singleShot(0, look)
    # never hang; stopped afterwards, or it would close the windows of a test running by then
    give_up = QTimer(singleShot=True, interval=BACKGROUND_MS)
    give_up.timeout.connect(lambda: [w.close() for w in QApplication.topLevelWidgets()])
    give_up.start()
    try:
        assert app.main([str(compounds_csv)]) == 0
    finally:
        give_up.stop()
    assert seen == {"rows": 63, "title": "compounds.csv — MolStudio"}


def test_a_start_up_failure_is_explained_in_a_dialog(qapp, monkeypatch):
    from molstudio.gui import app
    from molstudio.gui.window import main_window

    def broken():
        raise RuntimeError("torch is missing")

    shown = []
    monkeypatch.setattr(main_window, "MainWindow", broken)
    monkeypatch.setattr(app.QMessageBox, "critical", lambda *args: shown.append(args))
    assert app.main([]) == 1
    assert shown[0][1] == "MolStudio could not start" and "torch is missing" in shown[0][2]


def test_closing_the_window_during_a_run_stops_it_cleanly(window, qtbot, wait_loaded):
    import time

    tab = wait_loaded(window.open_example("tutorial"))
    assert tab.training.train()
    qtbot.waitUntil(tab.training.is_training)
    qtbot.wait(300)  # well into the run
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < 5  # Stop answers within a batch, not at the end of the run
    assert not tab.training.is_training()
