"""Reading delimited text (CSV, TSV, ;-separated), whole or in chunks.

pandas' C parser reads the file with the options :mod:`.sniff` found, and :mod:`.cells`
cleans what it leaves as text, so a file read in chunks gives the same values as the whole file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.tables.cells import (
    NA_SPELLINGS,
    NA_TOKENS,
    RowProblem,
    clean_header,
    clean_text,
    finish_frame,
    numeric_warnings,
    units_warning,
)
from molstudio.core.tables.sniff import HEAD_BYTES, Dialect, read_head, sniff

_SHOWN = 5  # line numbers listed in one warning
# a cell may hold a whole molblock or a pasted log: Python's csv module stops at 128 kB by default
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))



def _pandas_read(source, dialect: Dialect, encoding: str | None, chunk_rows: int | None):
    return pd.read_csv(
        source,
        sep=dialect.delimiter,
        decimal=dialect.decimal,
        header=None,
        skiprows=dialect.skip_lines,
        names=[f"_{i}" for i in range(dialect.width)],
        dtype={f"_{i}": str for i in dialect.text_columns if i < dialect.width},
        na_values=sorted(NA_SPELLINGS),
        keep_default_na=False,
        index_col=False,
        on_bad_lines="skip",
        skip_blank_lines=True,
        encoding=encoding,
        encoding_errors="replace",
        engine="c",
        chunksize=chunk_rows,
    )


def _unclosed_quote_line(lines: Iterable[str], delimiter: str) -> int:
    """The line where the record holding a never-closed quote starts."""
    reader = csv.reader(lines, delimiter=delimiter)
    start = last = 1
    try:
        for _ in reader:
            last, start = start, reader.line_num + 1
    except csv.Error:
        return start
    return last


def _parser_error(path: Path, exc: Exception, lines: Iterable[str], delimiter: str) -> MolStudioError:
    if "EOF inside string" in str(exc):
        line = _unclosed_quote_line(lines, delimiter)
        return MolStudioError(
            f'{path.name}: line {line:,} opens a quote (") that is never closed, so the rest of the '
            "file would be read as one value.",
            hint="Add the missing closing quote on that line, or remove the stray quote character.",
        )
    reason = str(exc).split("C error: ")[-1].strip()
    return MolStudioError(
        f"{path.name} could not be read as a table ({reason}).",
        hint="Open it in a spreadsheet program and save it again as CSV.",
    )


def _long_rows(raw: pd.DataFrame, width: int) -> pd.Series | None:
    """Rows with values beyond the header's ``width`` columns (True), or None if there are none."""
    if raw.shape[1] <= width or raw.empty:
        return None
    extra = raw.iloc[:, width:]
    filled = pd.concat([clean_text(extra[c]).notna() for c in extra.columns], axis=1).any(axis=1)
    return filled if filled.any() else None


def _drop_long(raw: pd.DataFrame, dialect: Dialect) -> pd.DataFrame:
    long = _long_rows(raw, len(dialect.header))
    return raw if long is None else raw[~long]


def _finish(
    raw: pd.DataFrame, dialect: Dialect, names: list[str], start: int, qualifiers: dict[str, bool] | None = None
) -> pd.DataFrame:
    """Name the columns and give the cells their types (lines too long already dropped)."""
    frame = raw.iloc[:, : len(names)].set_axis(names, axis=1)
    return finish_frame(frame, decimal=dialect.decimal, start=start, qualifiers=qualifiers)


def _is_blank(fields: list[str]) -> bool:
    return all(f.strip().lower() in NA_TOKENS for f in fields)


def _scan(
    text: str, dialect: Dialect, named: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]], int]:
    """Ragged lines as they are read.

    Returns (long, short, kept): lines with values beyond the header's columns, which
    are skipped, as (line number, values); lines with fewer values than ``named``
    columns, which are padded, as (data row, line number, values); and the number of
    data rows kept (-1 when no line is ragged: found fast, nothing counted).
    """
    delimiter, width = dialect.delimiter, len(dialect.header)
    lines = text.split("\n")
    odd = (line for line in lines[dialect.skip_lines :] if line.count(delimiter) != width - 1)
    if all(_is_blank(line.split(delimiter)) for line in odd):
        return [], [], -1  # the usual case: no ragged line
    if '"' in text:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        ends = ((reader.line_num, rec) for rec in reader)
        records = _with_start_lines(ends)
    else:
        records = ((i, line.split(delimiter)) for i, line in enumerate(lines, start=1))
    long: list[tuple[int, int]] = []
    short: list[tuple[int, int, int]] = []
    kept = 0
    for line_no, fields in records:
        if line_no <= dialect.skip_lines or _is_blank(fields):
            continue
        if len(fields) > dialect.width or not _is_blank(fields[width:]):
            long.append((line_no, len(fields)))
            continue
        if len(fields) < named:
            short.append((kept, line_no, len(fields)))
        kept += 1
    return long, short, kept


def _with_start_lines(records: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    start = 1
    for end, fields in records:
        yield start, fields
        start = end + 1


def _lines_list(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_SHOWN])
    return shown + (f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")


def _ragged_warnings(
    path: Path, dialect: Dialect, named: int, long: list[tuple[int, int]], short: list[tuple[int, int, int]]
) -> list[str]:
    sep = "tab" if dialect.delimiter == "\t" else f"'{dialect.delimiter}'"
    width = len(dialect.header)
    warnings = []
    if len(long) == 1:
        (line, n), = long
        warnings.append(
            f"{path.name}: line {line} has {n} values but the header names {width} columns, so the line was "
            f"skipped (its values would land in the wrong columns). A value containing {sep} needs quotes."
        )
    elif long:
        shown = ", ".join(f"line {line} ({n} values)" for line, n in long[:_SHOWN])
        more = f" and {len(long) - _SHOWN} more" if len(long) > _SHOWN else ""
        warnings.append(
            f"{path.name}: {len(long)} lines have more values than the header's {width} columns and were "
            f"skipped (their values would land in the wrong columns): {shown}{more}. A value containing "
            f"{sep} needs quotes."
        )
    if short:
        warnings.append(
            f"{path.name}: {len(short)} line(s) have fewer values than the header's {named} columns; the "
            f"missing values were left empty: line {_lines_list([n for _, n, _ in short])}."
        )
    return warnings


def _no_rows(path: Path, names: list[str]) -> MolStudioError:
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return MolStudioError(
        f"{path.name} has a header line but no data rows: only the column names ({shown}).",
        hint="Check that you chose the right file; a table needs one row per compound below its column names.",
    )


def read_delimited(path: Path, text: str) -> tuple[pd.DataFrame, list[RowProblem], list[str], str, str]:
    """Whole-file read; returns (frame, problems, warnings, delimiter, decimal)."""
    default = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    dialect = sniff(text[:HEAD_BYTES], len(text) > HEAD_BYTES, default)
    names, warnings = clean_header(dialect.header)
    if not names:
        raise MolStudioError(f"The first line of {path.name} holds no column names.")
    if dialect.units is not None:
        warnings.append(units_warning(path.name, f"line {dialect.units_line}", dialect.units))
    try:
        raw = _pandas_read(io.StringIO(text), dialect, None, None)
    except pd.errors.ParserError as exc:
        raise _parser_error(path, exc, io.StringIO(text), dialect.delimiter) from None
    raw = _drop_long(raw, dialect)
    frame = _finish(raw, dialect, names, 0)
    long, short, kept = _scan(text, dialect, len(names))
    warnings += _ragged_warnings(path, dialect, len(names), long, short)
    problems: list[RowProblem] = []
    if short and kept == len(frame):  # else our line count disagrees with pandas: no row numbers
        problems = [
            RowProblem(row, None, f"line {line} has {n} of {len(names)} values; the rest were left empty")
            for row, line, n in short
        ]
    ignored = raw.iloc[:, len(names) : len(dialect.header)]
    if ignored.shape[1] and len(finish_frame(ignored)):
        warnings.append(f"Values to the right of the last named column '{names[-1]}' were ignored.")
    if frame.empty:
        if long:
            sep = "tab" if dialect.delimiter == "\t" else f"'{dialect.delimiter}'"
            raise MolStudioError(
                f"No line of {path.name} fits its header: every data line has more values than "
                f"the {len(dialect.header)} column names.",
                hint=f"Check that the first line names every column (separator: {sep}) and that no "
                "title line stands above the column names.",
            )
        raise _no_rows(path, names)
    warnings += numeric_warnings(frame, dialect.decimal)
    return frame, problems, warnings, dialect.delimiter, dialect.decimal


def iter_delimited(path: Path, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a delimited file, parsed exactly like :func:`read_delimited`."""
    default = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    head, truncated = read_head(path, encoding)
    dialect = sniff(head, truncated, default)
    names, _ = clean_header(dialect.header)
    if not names:
        raise MolStudioError(f"The first line of {path.name} holds no column names.")
    with open(path, "rb") as fh:
        windows = b"\r" in fh.read(HEAD_BYTES)  # Windows (or old Mac) line ends
    return _delimited_chunks(path, encoding, chunk_rows, dialect, names, windows)


def _unix_newlines(raw: pd.DataFrame) -> pd.DataFrame:
    """Line breaks inside quoted values as \\n, as in a whole-file read (which reads text
    with its line ends made \\n)."""
    for name in raw.columns:
        col = raw[name]
        if pd.api.types.is_numeric_dtype(col):
            continue
        if col.str.contains("\r", regex=False, na=False).any():
            raw[name] = col.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    return raw


def _delimited_chunks(
    path: Path, encoding: str, chunk_rows: int, dialect: Dialect, names: list[str], windows: bool
) -> Iterator[pd.DataFrame]:
    start = 0
    qualifiers: dict[str, bool] = {}  # one decision per column for the whole file
    try:
        with _pandas_read(path, dialect, encoding, chunk_rows) as reader:
            for raw in reader:
                if windows:
                    raw = _unix_newlines(raw)
                frame = _finish(_drop_long(raw, dialect), dialect, names, start, qualifiers)
                start += len(frame)
                if len(frame):
                    yield frame
    except pd.errors.ParserError as exc:
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            raise _parser_error(path, exc, fh, dialect.delimiter) from None
    if start == 0:
        raise _no_rows(path, names)


# --- SMILES lists -------------------------------------------------------------------

