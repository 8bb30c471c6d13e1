"""``molstudio [FILE ...] [--example NAME]``: start the desktop application."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

import molstudio.gui.qt_compat  # noqa: F401  (PySide6 6.12 refcount guard, before any Qt call)

ORGANIZATION = "MolStudio"
APPLICATION = "MolStudio"
EXAMPLE_NAMES = ("tutorial", "chembl_binding")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="molstudio", description="MolStudio: train neural networks on compound data.")
    parser.add_argument("files", nargs="*", type=Path, help="compound tables to open (CSV, TSV, XLSX, SDF, SMI)")
    parser.add_argument("--example", choices=EXAMPLE_NAMES, help="open a built-in example dataset")
    return parser.parse_args(argv)


GIL_SWITCH_SECONDS = 0.0005


def application() -> QApplication:
    """The QApplication, created once, with the names QSettings files are kept under."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setDesktopFileName("molstudio")
    # Painting a table page calls back into Python hundreds of times; with a background thread
    # busy in Python (reading structures), each call waited up to the default 5 ms for the GIL,
    # and a 200,000-row table stalled scrolling for seconds. A shorter interval hands the GIL
    # to the window sooner.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``molstudio`` gui-script; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = application()
    try:
        # imported here so that a broken installation (torch, RDKit) ends in a dialog
        from molstudio.gui.resources import app_icon
        from molstudio.gui.window.main_window import MainWindow

        app.setWindowIcon(app_icon())
        window = MainWindow()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        if args.files:
            window.open_paths(list(args.files))
        if args.example:
            window.open_example(args.example)
    except Exception as exc:  # start-up must explain itself instead of vanishing
        QMessageBox.critical(
            None,
            "MolStudio could not start",
            f"MolStudio could not start:\n\n{exc}\n\nDetails:\n{traceback.format_exc(limit=4)}",
        )
        return 1
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
