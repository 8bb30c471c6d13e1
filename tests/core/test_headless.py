"""molstudio.core must run without Qt: a headless server has no display libraries."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import molstudio.core


def test_core_modules_do_not_import_qt():
    names = [m.name for m in pkgutil.walk_packages(molstudio.core.__path__, "molstudio.core.")]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'shiboken6')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(names) > 10


def test_no_qt_import_statement_in_core_sources():
    root = Path(molstudio.core.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("PySide6", "PyQt", "pyqtgraph"):
            assert f"import {word}" not in text and f"from {word}" not in text, path
