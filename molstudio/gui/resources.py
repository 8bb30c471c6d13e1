"""Files shipped with the application (installed as package data of ``molstudio``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON_PATH = RESOURCES / "molstudio.svg"


def app_icon() -> QIcon:
    """The MolStudio icon (an SVG, sharp at every size)."""
    return QIcon(str(ICON_PATH))
