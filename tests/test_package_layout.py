"""The house rules of the package: no import circles, and the layer contracts (core never
imports the app or the command line; each group imports only the groups below it) hold and
would catch a break."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import molstudio

ROOT = Path(molstudio.__file__).resolve().parent.parent


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), imports inside functions
    and under TYPE_CHECKING included (grimp reads every import statement)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles_anywhere_in_the_package():
    graph = grimp.build_graph("molstudio")  # a package face importing its modules is no circle unless one imports it back
    assert len(graph.modules) > 100
    assert _cycles(graph) == []


def test_the_circle_finder_finds_a_circle():
    graph = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(name)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.z")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y", "a.z"]]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    return subprocess.run([lint, "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_layer_contracts_are_kept():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_import_against_the_layers_breaks_a_contract(tmp_path):
    shutil.copytree(ROOT / "molstudio", tmp_path / "molstudio", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    cells = tmp_path / "molstudio" / "core" / "tables" / "cells.py"
    # reading a table must never depend on training: only inside a function, still counted
    cells.write_text(cells.read_text() + "\n\ndef _later():\n    from molstudio.core.training import train  # noqa\n")
    done = _lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "core: each stage imports only the stages below it BROKEN" in done.stdout
    assert "molstudio.core.tables.cells -> molstudio.core.training" in done.stdout
