"""The main window: menus, drops, recent files and one tab per open table (:class:`DataTab`),
the Model menu's dialogs and the start view."""

from molstudio.gui.window.data_tab import DataTab
from molstudio.gui.window.main_window import MainWindow

__all__ = ["DataTab", "MainWindow"]
