"""Background jobs of a data tab: reading a table, checking and searching its structures.

Both are plain generator functions for :class:`molstudio.gui.common.worker.Worker`; every
computation is a call into :mod:`molstudio.core`. Reading yields a
:class:`Preview` first (the first rows of a large text file, so the table fills in a
fraction of a second) and then the :class:`Loaded` table with its load report and
detected column roles.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.tables import columns, examples
from molstudio.core.tables import reading as io
from molstudio.gui.common.worker import Job

PREVIEW_ROWS = 1000
# a preview only pays off when the whole read takes noticeably long; a workbook
# cannot be streamed cheaply, so it is read once
PREVIEW_MIN_BYTES = 1_000_000
CHECK_CHUNK = 1000


@dataclass
class Preview:
    """The first rows of a file, shown while the rest is read."""

    frame: pd.DataFrame
    roles: columns.ColumnRoles


@dataclass
class Loaded:
    """The whole table as :func:`molstudio.core.tables.reading.read_table` returns it."""

    frame: pd.DataFrame
    report: io.LoadReport
    roles: columns.ColumnRoles


@dataclass
class CheckProgress:
    done: int
    total: int


@dataclass
class CheckResult:
    """Why each structure could not be read, keyed by row position."""

    column: str
    errors: dict[int, str]


def wants_preview(path: Path) -> bool:
    """Whether reading ``path`` is worth a preview of its first rows."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return False
    try:
        return path.stat().st_size >= PREVIEW_MIN_BYTES
    except OSError:
        return False


def read_job(path: Path) -> Job:
    """A worker job reading ``path``: yields :class:`Preview` (large files) then :class:`Loaded`."""

    def job(cancel: threading.Event) -> Iterator[object]:
        if wants_preview(path):
            chunks = io.iter_table_chunks(path, PREVIEW_ROWS)
            try:
                first = next(chunks, None)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            if first is not None and len(first):
                yield Preview(first, columns.detect_roles(first))
        if cancel.is_set():
            return
        loaded = io.read_table(path)
        if cancel.is_set():
            return
        yield Loaded(loaded.frame, loaded.report, columns.detect_roles(loaded.frame))

    return job


def example_job(name: str) -> Job:
    """A worker job making the built-in example ``name``; yields :class:`Loaded`."""

    def job(cancel: threading.Event) -> Iterator[object]:
        if name not in examples.EXAMPLES:
            raise MolStudioError(f"There is no example called '{name}'.")
        frame = examples.EXAMPLES[name].make()
        report = io.LoadReport(path=examples.EXAMPLES[name].title, format="example", rows_read=len(frame))
        yield Loaded(frame, report, columns.detect_roles(frame))

    return job


def check_job(column: str, values: Sequence[object], kind: str) -> Job:
    """A worker job parsing every structure of ``column``; yields progress, then a :class:`CheckResult`."""
    values = list(values)

    def job(cancel: threading.Event) -> Iterator[object]:
        errors: dict[int, str] = {}
        total = len(values)
        for start in range(0, total, CHECK_CHUNK):
            if cancel.is_set():
                return
            parsed = chem.parse_structures(values[start : start + CHECK_CHUNK], kind=kind)
            for offset, error in enumerate(parsed.errors):
                if error:
                    errors[start + offset] = error
            yield CheckProgress(min(start + CHECK_CHUNK, total), total)
        yield CheckResult(column, errors)

    return job


@dataclass
class SearchProgress:
    done: int
    total: int


@dataclass
class SearchResult:
    """Which rows (by position) contain the substructure."""

    smarts: str
    mask: np.ndarray


def search_job(smarts: str, values: Sequence[object], kind: str) -> Job:
    """A worker job marking the rows whose structure contains ``smarts``.

    Raises MolStudioError (in the worker) when ``smarts`` is not valid SMARTS.
    """
    values = list(values)

    def job(cancel: threading.Event) -> Iterator[object]:
        query = chem.parse_smarts(smarts)
        mask = np.zeros(len(values), dtype=bool)
        for start in range(0, len(values), CHECK_CHUNK):
            if cancel.is_set():
                return
            parsed = chem.parse_structures(values[start : start + CHECK_CHUNK], kind=kind)
            mask[start : start + len(parsed.mols)] = chem.substructure_mask(parsed.mols, query)
            yield SearchProgress(min(start + CHECK_CHUNK, len(values)), len(values))
        yield SearchResult(smarts, mask)

    return job
