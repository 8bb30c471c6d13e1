"""Excel workbooks (.xlsx), read with openpyxl in read-only mode (rows are streamed).

What a workbook holds beyond a plain table is read as follows and said in the load
report: the first sheet holding anything is read and the others are named; a formula
gives the value Excel last calculated, and a formula never calculated (a workbook
written by a program) is named by its cell; a merged range keeps its value in its
top-left cell; a second header row of units under the column names is not read as data.
"""

from __future__ import annotations

import itertools
import re
import warnings as _warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.tables.cells import (
    clean_header,
    finish_frame,
    numeric_warnings,
    units_row,
    units_warning,
)
from molstudio.core.tables.sniff import looks_binary, signature

MAX_ROWS = 1_048_576  # Excel's limit, header included
MAX_COLUMNS = 16_384
LOOKAHEAD = 200  # rows below a units row that must be numbers for it to count as one
_SHOWN = 5
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"')
_SCAN_BLOCK = 1 << 20
_DAMAGED_HINT = "Was it copied completely? Open it in Excel and save it again as .xlsx, or save it as CSV."


def _not_a_workbook(path: Path) -> MolStudioError | None:
    """Why a file with the .xlsx extension is no workbook at all, or None when it may be one."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"PK"):
        return None
    name = f"{path.name} is not a readable Excel workbook (.xlsx)"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return MolStudioError(
            f"{name}: it is an old Excel (.xls) file or a password-protected workbook.",
            hint="Open it in Excel and save it as .xlsx without a password, or as CSV.",
        )
    known = signature(head)
    if known is not None:
        return MolStudioError(f"{name}: it looks like {known[0]}.", hint=known[1])
    if not looks_binary(head):
        return MolStudioError(
            f"{name}: it is a text file.", hint="If it is a table, give it the .csv extension (.tsv for tabs)."
        )
    return MolStudioError(f"{name}: it contains no workbook.", hint=_DAMAGED_HINT)


@contextmanager
def _open_book(path: Path, data_only: bool = True) -> Iterator[Any]:
    """The workbook, read-only; ``data_only`` gives formulas' calculated values."""
    import openpyxl

    error = _not_a_workbook(path)
    if error is not None:
        raise error
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except MemoryError:
        raise
    except Exception as exc:  # zipfile, openpyxl and the XML parser raise many kinds on a damaged file
        raise MolStudioError(
            f"{path.name} is not a readable Excel workbook (.xlsx): it is damaged or incomplete.",
            hint=_DAMAGED_HINT,
        ) from exc
    try:
        yield wb
    finally:
        wb.close()


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _rows(ws: Any, path: Path) -> Iterator[tuple[int, tuple]]:
    """(sheet row number, values) of each row holding anything."""
    number = 0
    try:
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if any(_filled(v) for v in row):
                yield number, row
    except MemoryError:
        raise
    except Exception as exc:  # a damaged sheet: zlib, openpyxl and the XML parser raise many kinds
        raise MolStudioError(
            f"{path.name} is damaged: sheet '{ws.title}' could not be read beyond row {number:,}.",
            hint=_DAMAGED_HINT,
        ) from exc


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _choose(wb: Any, sheet: str | int | None, path: Path) -> tuple[str, list[str]]:
    """The sheet to read, and what the load report says about the others.

    By default the first sheet holding anything; an empty first sheet (a cover page)
    is passed over.
    """
    names = list(wb.sheetnames)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise MolStudioError(
                f"{path.name} has {len(names)} sheet(s); there is no sheet number {sheet + 1}.",
                hint=f"Its sheets are: {', '.join(names)}.",
            )
        return names[sheet], []
    if sheet is not None:
        if sheet not in names:
            raise MolStudioError(
                f"{path.name} has no sheet named '{sheet}'.", hint=f"Its sheets are: {', '.join(names)}."
            )
        return sheet, []
    empty = list(itertools.takewhile(lambda t: next(_rows(wb[t], path), None) is None, names))
    if len(empty) == len(names):
        if len(names) == 1:
            raise MolStudioError(f"Sheet '{names[0]}' of {path.name} is empty.")
        raise MolStudioError(f"Every sheet of {path.name} is empty ({_quoted(names)}).")
    title = names[len(empty)]
    others = names[len(empty) + 1 :]
    not_read = f" (not read: {_quoted(others)})" if others else ""
    if empty:
        verb = "Sheet {} of {} is empty" if len(empty) == 1 else "Sheets {} of {} are empty"
        note = f"{verb.format(_quoted(empty), path.name)}; sheet '{title}' was read{not_read}."
    elif others:
        note = (
            f"{path.name} has {len(names)} sheets; the first, '{title}', was read{not_read}. To use another "
            "sheet, move it to the front in Excel (on the command line: --sheet NAME)."
        )
    else:
        return title, []
    return title, [note]


def _markup(path: Path, ws: Any) -> tuple[bool, list[str]]:
    """Whether the sheet holds formulas, and its merged ranges, from the sheet's XML.

    openpyxl's read-only mode reports neither; one pass over the compressed XML is
    fast next to parsing it.
    """
    member = getattr(ws, "_worksheet_path", None)
    formulas, tail = False, b""
    merged: list[str] = []
    if not member:
        return formulas, merged
    try:
        with zipfile.ZipFile(path) as zf, zf.open(member.lstrip("/")) as fh:
            while block := fh.read(_SCAN_BLOCK):
                text = tail + block
                formulas = formulas or _FORMULA.search(text) is not None
                merged += [m.group(1).decode() for m in _MERGED.finditer(text) if m.end() > len(tail)]
                tail = text[-256:]
    except Exception:  # the values were read already; a sheet that cannot be scanned only loses this note
        return formulas, merged
    return formulas, merged


def _is_formula(value: object) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ in (
        "ArrayFormula",
        "DataTableFormula",
    )


def _uncalculated(path: Path, title: str, values: dict[int, tuple]) -> list[str]:
    """Cells holding a formula but no calculated value (``values``: the calculated rows by number)."""
    from openpyxl.utils import get_column_letter

    cells = []
    with _open_book(path, data_only=False) as wb:
        for number, row in _rows(wb[title], path):
            calculated = values.get(number, ())
            for col, value in enumerate(row):
                if _is_formula(value) and (col >= len(calculated) or calculated[col] is None):
                    cells.append(f"{get_column_letter(col + 1)}{number}")
    return cells


def _markup_warnings(path: Path, ws: Any, title: str, values: Callable[[], dict[int, tuple]]) -> list[str]:
    """Notes on merged cells and uncalculated formulas; ``values`` gives the rows read, by sheet row."""
    formulas, merged = _markup(path, ws)
    warnings = []
    if merged:
        shown = ", ".join(merged[:_SHOWN]) + (f" and {len(merged) - _SHOWN} more" if len(merged) > _SHOWN else "")
        warnings.append(
            f"Sheet '{title}' of {path.name} has merged cells ({shown}): each keeps its value in its top-left "
            "cell only, the other cells were read as empty. Unmerge them in Excel and fill in the values "
            "where every row needs one."
        )
    cells = _uncalculated(path, title, values()) if formulas else []
    if cells:
        shown = ", ".join(cells[:_SHOWN]) + (f" and {len(cells) - _SHOWN} more" if len(cells) > _SHOWN else "")
        what = "1 cell" if len(cells) == 1 else f"{len(cells)} cells"
        verb, read = ("holds a formula", "it was") if len(cells) == 1 else ("hold formulas", "they were")
        warnings.append(
            f"{what} of sheet '{title}' in {path.name} {verb} without a calculated value ({shown}), so {read} "
            "read as empty. The workbook was written by a program that does not calculate; open it "
            "in Excel and save it again to store the values."
        )
    return warnings


def _no_rows(path: Path, title: str, names: list[str]) -> MolStudioError:
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return MolStudioError(
        f"Sheet '{title}' of {path.name} has a header row but no data rows: only the column names ({shown}).",
        hint="Check that you chose the right file or sheet; a table needs one row per compound below its "
        "column names.",
    )


def _frame(
    rows: list[tuple], names: list[str], start: int, qualifiers: dict[str, bool] | None = None
) -> pd.DataFrame:
    width = len(names)
    padded = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows]
    frame = pd.DataFrame.from_records(padded, columns=names) if padded else pd.DataFrame(columns=names)
    return finish_frame(frame, start=start, qualifiers=qualifiers)


def read_xlsx(
    path: Path, sheet: str | int | None, progress: Callable[[float], None] | None = None
) -> tuple[pd.DataFrame, list[str], str, list[str]]:
    """Whole-sheet read; returns (frame, warnings, sheet name, sheet names)."""
    with _open_book(path) as wb:
        title, warnings = _choose(wb, sheet, path)
        ws = wb[title]
        total = ws.max_row or 0
        rows_iter = _rows(ws, path)
        first = next(rows_iter, None)
        if first is None:
            raise MolStudioError(f"Sheet '{title}' of {path.name} is empty.")
        names, header_warnings = clean_header(first[1])
        warnings += header_warnings
        numbers, rows, beyond = [], [], []
        for number, row in rows_iter:
            if any(_filled(v) for v in row[len(names) :]):
                beyond.append(number)
            numbers.append(number)
            rows.append(row)
            if progress is not None and total and number % 1000 == 0:
                progress(min(number / total, 1.0))
        warnings += _markup_warnings(path, ws, title, lambda: dict([first, *zip(numbers, rows)]))
        sheet_names = list(wb.sheetnames)
    units = units_row(names, rows[0], rows[1 : 1 + LOOKAHEAD]) if len(rows) > 1 else None
    if units is not None:
        warnings.append(units_warning(path.name, f"row {numbers[0]}", units))
        rows = rows[1:]
    if not rows:
        raise _no_rows(path, title, names)
    if beyond:
        warnings.append(
            f"Values to the right of the last named column '{names[-1]}' were ignored "
            f"(sheet row {', '.join(map(str, beyond[:5]))}{' and more' if len(beyond) > 5 else ''})."
        )
    frame = _frame(rows, names, 0)
    warnings += numeric_warnings(frame)
    return frame, warnings, title, sheet_names


def iter_xlsx(path: Path, sheet: str | int | None, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a sheet, parsed like :func:`read_xlsx`, streamed from disk."""
    with _open_book(path) as wb:
        title, _ = _choose(wb, sheet, path)
        rows_iter = _rows(wb[title], path)
        first = next(rows_iter, None)
        if first is None:
            raise MolStudioError(f"Sheet '{title}' of {path.name} is empty.")
        names, _ = clean_header(first[1])
        ahead = [row for _, row in itertools.islice(rows_iter, LOOKAHEAD + 1)]
        if len(ahead) > 1 and units_row(names, ahead[0], ahead[1:]) is not None:
            ahead = ahead[1:]
        start = 0
        qualifiers: dict[str, bool] = {}  # one decision per column for the whole sheet
        batch: list[tuple] = []
        for row in itertools.chain(ahead, (row for _, row in rows_iter)):
            batch.append(row)
            if len(batch) == chunk_rows:
                frame = _frame(batch, names, start, qualifiers)
                start, batch = start + len(frame), []
                if len(frame):
                    yield frame
        if batch:
            yield _frame(batch, names, start, qualifiers)
        elif start == 0:
            raise _no_rows(path, title, names)
