"""Files shipped with the application, from the project's top-level ``resources/`` folder
(the app runs from a checkout installed with ``pip install -e .``; packaging/ bundles the folder)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
ICON_PATH = RESOURCES / "molstudio.svg"


def app_icon() -> QIcon:
    """The MolStudio icon (an SVG, sharp at every size)."""
    return QIcon(str(ICON_PATH))
