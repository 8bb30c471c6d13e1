"""Reading and writing compound tables: CSV, TSV, XLSX, SDF, SMI.

:func:`read_table` returns the table and a :class:`LoadReport` (encoding, delimiter,
problems by row); :func:`iter_table_chunks` streams files of any size with the same
parsing; :func:`write_table` and :func:`open_table_writer` write atomically and never
over the input file.

A file that cannot be a table (empty, only a header, binary, a workbook or PDF renamed,
a damaged workbook, a quote never closed, NUL bytes) raises :class:`MolStudioError`
naming the file and, where there is one, the line. What can be read is read, and the
report says what was not: lines with more values than the header are skipped (their
values would land in the wrong columns), shorter ones padded; a second header row of
units is recognised and left out; an SD record that is broken stays as a row without a
structure; a workbook's first non-empty sheet is read and the others named, merged
cells keep their value in the top-left cell, formulas give their calculated values
and formulas never calculated are named by cell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.tables import delimited, sdf, smi, sniff, xlsx
from molstudio.core.tables.cells import RowProblem
from molstudio.core.tables.writers import (
    DelimitedWriter,
    SdfWriter,
    SmiWriter,
    TableWriter,
    XlsxWriter,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "LoadReport",
    "LoadedTable",
    "RowProblem",
    "TableWriter",
    "iter_table_chunks",
    "open_table_writer",
    "read_table",
    "write_table",
]

_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",
    ".xlsx": "xlsx",
    ".sdf": "sdf",
    ".sd": "sdf",
    ".smi": "smi",
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_FORMATS)


@dataclass
class LoadReport:
    """What happened while reading a file.

    ``problems`` are about single rows (``row`` is the 0-based DataFrame index);
    ``warnings`` are about the file as a whole, in words for the user.
    """

    path: str
    format: str
    rows_read: int
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class LoadedTable:
    """A table as read (a RangeIndex over the data rows in file order) and its report."""

    frame: pd.DataFrame
    report: LoadReport


def _format_of(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if path.suffix.lower() == ".xls":
        raise MolStudioError(
            f"{path.name} is an old Excel (.xls) file, which MolStudio cannot read.",
            hint="Open it in Excel and save it as .xlsx or CSV.",
        )
    if fmt is None:
        kind = f"'{path.suffix}'" if path.suffix else "without an extension"
        raise MolStudioError(
            f"{path.name}: files {kind} cannot be read.",
            hint=f"MolStudio reads {', '.join(SUPPORTED_EXTENSIONS)} files.",
        )
    return fmt


def _check_readable(path: Path) -> str:
    fmt = _format_of(path)
    if not path.exists():
        raise MolStudioError(f"File not found: {path}")
    if path.is_dir():
        raise MolStudioError(f"{path} is a folder, not a file.")
    if path.stat().st_size == 0:
        raise MolStudioError(f"{path.name} is empty (0 bytes).")
    if not os.access(path, os.R_OK):
        raise MolStudioError(f"You do not have permission to read {path}.")
    return fmt


def read_table(
    path: str | Path,
    sheet: str | int | None = None,
    progress: Callable[[float], None] | None = None,
) -> LoadedTable:
    """Read a whole table (CSV, TSV, ;-separated, XLSX, SDF, SMI).

    Parameters
    ----------
    path
        The file; its extension picks the reader, the encoding (UTF-8 with or
        without BOM, Windows-1252 / Latin-1), delimiter and decimal mark are sniffed.
    sheet
        XLSX only: a sheet name or 0-based index; the first sheet by default.
    progress
        Called with the fraction done, from 0.0 to 1.0.
    """
    path = Path(path)
    fmt = _check_readable(path)
    if progress is not None:
        progress(0.0)
    report = LoadReport(path=str(path), format=fmt, rows_read=0)
    try:
        if fmt == "xlsx":
            frame, report.warnings, report.sheet, report.sheets = xlsx.read_xlsx(path, sheet, progress)
        else:
            text, report.encoding = sniff.read_text(path)
            if fmt == "sdf":
                frame, report.problems, report.warnings = sdf.read_sdf(path, text, progress)
            elif fmt == "smi":
                frame = smi.read_smi(path, text)
            else:
                frame, report.problems, report.warnings, report.delimiter, report.decimal = (
                    delimited.read_delimited(path, text)
                )
                report.format = "tsv" if report.delimiter == "\t" else "csv"
    except PermissionError:
        raise MolStudioError(f"You do not have permission to read {path}.") from None
    except OSError as exc:
        raise MolStudioError(f"Could not read {path}: {exc.strerror or exc}") from None
    report.rows_read = len(frame)
    if progress is not None:
        progress(1.0)
    return LoadedTable(frame, report)


def iter_table_chunks(
    path: str | Path, chunk_rows: int = 10000, sheet: str | int | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the table in chunks of at most ``chunk_rows`` rows, memory bounded.

    Columns and values are those of :func:`read_table`; the index continues from
    chunk to chunk (0..n-1 over the whole file). Types are decided per chunk, so a
    column may be numeric in one chunk and text in another where only that chunk
    holds text. File-level checks (missing, empty, binary file) raise at once,
    before the first chunk; there is no load report.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    path = Path(path)
    fmt = _check_readable(path)
    if fmt == "xlsx":
        return xlsx.iter_xlsx(path, sheet, chunk_rows)
    with open(path, "rb") as fh:
        encoding = sniff.detect_encoding(fh, path)
    if fmt == "sdf":
        return sdf.iter_sdf(path, encoding, chunk_rows)
    if fmt == "smi":
        return smi.iter_smi(path, encoding, chunk_rows)
    return delimited.iter_delimited(path, encoding, chunk_rows)


def open_table_writer(
    path: str | os.PathLike[str],
    columns: list[str],
    structure_column: str | None = None,
    images: bool = False,
    forbid: str | Path | None = None,
) -> TableWriter:
    """A streaming writer for CSV, TSV (.tsv/.txt), XLSX, SDF or SMI; use it in ``with``.

    ``writer.write(chunk)`` appends rows; leaving the block normally moves the file into
    place, an exception removes the temporary file. ``images`` (XLSX) embeds a depiction
    of each valid structure; ``forbid`` is a file that must not be overwritten.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    args = (path, list(columns), structure_column, forbid)
    if fmt in ("csv", "tsv"):
        return DelimitedWriter(*args, sep="," if fmt == "csv" else "\t")
    if fmt == "xlsx":
        return XlsxWriter(*args, images=images)
    if fmt == "sdf":
        return SdfWriter(*args)
    if fmt == "smi":
        return SmiWriter(*args)
    raise MolStudioError(
        f"Cannot save as {path.name}: unknown file type '{path.suffix}'.",
        hint="Use .csv, .tsv, .txt, .xlsx, .sdf or .smi.",
    )


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    structure_column: str | None = None,
    images: bool = False,
    forbid: str | Path | None = None,
) -> None:
    """Write ``frame`` by the extension of ``path``, atomically.

    SDF takes structures from ``structure_column`` (SMILES) or a ``molblock`` column,
    writes every other column as an SD property and keeps rows whose structure is
    invalid, with an empty molecule. SMI writes SMILES and name only. XLSX with
    ``images=True`` adds a depiction column. ``forbid`` (the input file) is never
    overwritten.
    """
    with open_table_writer(path, list(frame.columns), structure_column, images, forbid) as writer:
        writer.write(frame)
