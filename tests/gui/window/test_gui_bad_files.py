"""Every bad file of the corpus opened in the real main window: a file that cannot be read
gives its specific message and no tab; one that can shows its problem in the load report;
either way the window stays usable and nothing is left running."""

import pytest
from bad_files import CORPUS
from gui_fixtures import BACKGROUND_MS

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness

CRASH_SIGNS = ("Traceback", "Unexpected problem", "Error tokenizing", "ParseError")


def _report_text(tab) -> str:
    panel = tab.roles_panel
    problems = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    return "\n".join([panel.warnings.text(), *problems])


@pytest.mark.parametrize("make", CORPUS, ids=lambda make: make.__name__)
def test_a_bad_file_in_the_window(window, qtbot, wait_loaded, compounds_csv, tmp_path, make):
    bad = make(tmp_path)
    (tab,) = window.open_paths([bad.path])
    if bad.loads:
        wait_loaded(tab)
        assert tab.model.rowCount() == bad.rows
        if bad.expect:
            assert bad.expect in _report_text(tab)
            assert tab.roles_panel.warnings.isVisible() or tab.roles_panel.problems.count()
        assert window.last_error == ""
    else:
        qtbot.waitUntil(lambda: window.last_error != "", timeout=BACKGROUND_MS)
        assert bad.expect in window.last_error
        assert not any(sign in window.last_error for sign in CRASH_SIGNS)
        qtbot.waitUntil(lambda: window.tabs.count() == 0)
        assert window.stack.currentWidget() is window.start_view
    # the window goes on working: a good file opens after the bad one
    (good,) = window.open_paths([compounds_csv])
    wait_loaded(good)
    assert good.model.rowCount() == 63
    assert window.tabs.currentWidget() is good


def test_several_bad_files_dropped_at_once_leave_the_good_one_open(window, qtbot, wait_loaded, compounds_csv, tmp_path):
    refused = [bad for bad in (make(tmp_path) for make in CORPUS) if not bad.loads][:4]
    tabs = window.open_paths([b.path for b in refused] + [compounds_csv])
    wait_loaded(tabs[-1])
    qtbot.waitUntil(lambda: window.tabs.count() == 1, timeout=BACKGROUND_MS)
    assert window.tabs.widget(0) is tabs[-1]
    assert window.last_error  # the last refusal is what the window says
    assert any(b.expect in window.last_error for b in refused)
