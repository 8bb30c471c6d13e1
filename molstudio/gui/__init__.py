"""MolStudio's desktop application (PySide6): a thin layer over :mod:`molstudio.core`."""

# Before any Qt call: PySide6 6.12 on Python < 3.12 drops references to None (see qt_compat).
from molstudio.gui import qt_compat as _qt_compat  # noqa: F401
