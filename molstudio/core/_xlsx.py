"""Excel workbooks (.xlsx), read with openpyxl in read-only mode (rows are streamed)."""

from __future__ import annotations

import warnings as _warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from molstudio.core._tables import clean_header, finish_frame, numeric_warnings
from molstudio.core.errors import MolStudioError

MAX_ROWS = 1_048_576  # Excel's limit, header included
MAX_COLUMNS = 16_384


@contextmanager
def open_sheet(path: Path, sheet: str | int | None) -> Iterator[tuple[Any, str, list[str]]]:
    """Yield (worksheet, its name, all sheet names); the workbook is closed afterwards."""
    import openpyxl

    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise MolStudioError(
            f"{path.name} is not a readable Excel workbook (.xlsx).",
            hint="It may be damaged, password-protected or an old .xls file renamed; "
            "open it in Excel and save it again as .xlsx or CSV.",
        ) from exc
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            title = names[0]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise MolStudioError(
                    f"{path.name} has {len(names)} sheet(s); there is no sheet number {sheet + 1}.",
                    hint=f"Its sheets are: {', '.join(names)}.",
                )
            title = names[sheet]
        elif sheet in names:
            title = sheet
        else:
            raise MolStudioError(
                f"{path.name} has no sheet named '{sheet}'.", hint=f"Its sheets are: {', '.join(names)}."
            )
        yield wb[title], title, names
    finally:
        wb.close()


def _rows(ws: Any) -> Iterator[tuple[int, tuple]]:
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in row):
            yield number, row


def _header(rows: Iterator[tuple[int, tuple]], path: Path, title: str) -> tuple[list[str], list[str]]:
    first = next(rows, None)
    if first is None:
        raise MolStudioError(f"Sheet '{title}' of {path.name} is empty.")
    return clean_header(first[1])


def _frame(rows: list[tuple], names: list[str], start: int) -> pd.DataFrame:
    width = len(names)
    padded = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    frame = pd.DataFrame.from_records(padded, columns=names) if padded else pd.DataFrame(columns=names)
    return finish_frame(frame, start=start)


def read_xlsx(
    path: Path, sheet: str | int | None, progress: Callable[[float], None] | None = None
) -> tuple[pd.DataFrame, list[str], str, list[str]]:
    """Whole-sheet read; returns (frame, warnings, sheet name, sheet names)."""
    with open_sheet(path, sheet) as (ws, title, names_of_sheets):
        total = ws.max_row or 0
        rows_iter = _rows(ws)
        names, warnings = _header(rows_iter, path, title)
        rows, beyond = [], []
        for number, row in rows_iter:
            if any(v is not None for v in row[len(names):]):
                beyond.append(number)
            rows.append(row)
            if progress is not None and total and number % 1000 == 0:
                progress(min(number / total, 1.0))
    if not rows:
        raise MolStudioError(f"Sheet '{title}' of {path.name} has a header row but no data rows.")
    if beyond:
        warnings.append(
            f"Values to the right of the last named column '{names[-1]}' were ignored "
            f"(sheet row {', '.join(map(str, beyond[:5]))}{' and more' if len(beyond) > 5 else ''})."
        )
    frame = _frame(rows, names, 0)
    warnings += numeric_warnings(frame)
    return frame, warnings, title, names_of_sheets


def iter_xlsx(path: Path, sheet: str | int | None, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a sheet, parsed like :func:`read_xlsx`, streamed from disk."""
    with open_sheet(path, sheet) as (ws, title, _):
        rows_iter = _rows(ws)
        names, _ = _header(rows_iter, path, title)
        start = 0
        batch: list[tuple] = []
        for _, row in rows_iter:
            batch.append(row)
            if len(batch) == chunk_rows:
                frame = _frame(batch, names, start)
                start, batch = start + len(frame), []
                if len(frame):
                    yield frame
        if batch:
            yield _frame(batch, names, start)
        elif start == 0:
            raise MolStudioError(f"Sheet '{title}' of {path.name} has a header row but no data rows.")
