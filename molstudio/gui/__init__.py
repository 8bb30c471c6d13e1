"""MolStudio's desktop application (PySide6): a thin layer over :mod:`molstudio.core`."""
