"""Reading delimited text (CSV, TSV, ;-separated) and SMILES lists, whole or in chunks.

Encoding, delimiter and decimal mark are sniffed once, from the start of the file;
pandas' C parser then reads it with the same options whole or in chunks, and
:mod:`._tables` cleans what it leaves as text, so a file read in chunks gives the
same values as the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from rdkit import Chem, rdBase

from molstudio.core._tables import (
    NA_SPELLINGS,
    NA_TOKENS,
    RowProblem,
    clean_header,
    clean_text,
    finish_frame,
    numeric_warnings,
    units_row,
    units_warning,
)
from molstudio.core.chem import MAX_SMILES_CHARS
from molstudio.core.errors import MolStudioError

DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 16
_BLOCK = 1 << 20
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_DOT_NUMBER = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")
_SHOWN = 5  # line numbers listed in one warning
_MAX_EXTRA = 16  # values beyond the header's that a line may have and still be seen (then dropped)
# a cell may hold a whole molblock or a pasted log: Python's csv module stops at 128 kB by default
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


# Signatures of files that are often renamed or saved with a table's extension by mistake.
_SIGNATURES = (
    (b"%PDF", "a PDF document", "Export the table from the program that made the PDF as CSV or Excel."),
    (b"\x89PNG", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
    (b"GIF8", "a GIF image", None),
    (b"SQLite format 3\x00", "an SQLite database", "Export the table from the database as CSV."),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "Unpack it first."),
    (b"Rar!", "a RAR archive", "Unpack it first."),
    (b"{\\rtf", "a Rich Text (RTF) document", "Save it as plain text or CSV instead."),
)


def signature(head: bytes) -> tuple[str, str | None] | None:
    """(what the file is, advice) when its first bytes are those of a known non-table file."""
    for magic, kind, hint in _SIGNATURES:
        if head.startswith(magic):
            return kind, hint
    return None


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of a file are not text: a NUL byte or many control characters."""
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
    return b"\x00" in head or controls > 0.05 * len(head)


def check_head(head: bytes, path: Path) -> None:
    """Refuse empty, binary, zipped or old-Excel files with a message saying which."""
    name = path.name
    if not head:
        raise MolStudioError(f"{name} is empty (0 bytes).")
    if head.startswith(b"PK\x03\x04"):
        raise MolStudioError(
            f"{name} is a zip archive or an Excel workbook, not a text table.",
            hint="If it is an Excel workbook, give it the .xlsx extension.",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise MolStudioError(
            f"{name} is an old Excel (.xls) or password-protected file.",
            hint="Open it in Excel and save it as .xlsx or CSV.",
        )
    if head.startswith(b"\x1f\x8b"):
        raise MolStudioError(f"{name} is compressed (gzip).", hint="Unpack it first.")
    known = signature(head)
    if known is not None:
        raise MolStudioError(f"{name} is not a text file: it looks like {known[0]}.", hint=known[1])
    if looks_binary(head):
        raise MolStudioError(f"{name} is not a text file: it contains binary data.")


def _utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" for UTF-16 text without a byte order mark, else None.

    Latin letters, digits and punctuation leave every other byte zero.
    """
    head = head[: len(head) - len(head) % 2]
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return None
    if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _nul_error(path: Path, line: int) -> MolStudioError:
    return MolStudioError(
        f"{path.name} is not a text file: line {line:,} contains binary data (NUL bytes).",
        hint="The file may be damaged or only partly copied. Export the table again, "
        "or remove that line in a text editor.",
    )


def detect_encoding(fh: BinaryIO, path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16, else Windows-1252 or Latin-1.

    Reads the whole file; binary data anywhere in it (a NUL byte) is refused with
    its line number.
    """
    head = fh.read(8192)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(head)
    if utf16 is not None:
        return utf16
    check_head(head, path)
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, lines = True, 0
    while block := fh.read(_BLOCK):
        nul = block.find(b"\x00")
        if nul >= 0:
            raise _nul_error(path, lines + block.count(b"\n", 0, nul) + 1)
        lines += block.count(b"\n")
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
            return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
        except UnicodeDecodeError:
            pass  # the file ends in the middle of a character
    fh.seek(0)
    while block := fh.read(_BLOCK):
        if any(b in block for b in _CP1252_UNDEFINED):
            return "latin-1"
    return "cp1252"


def read_text(path: Path) -> tuple[str, str]:
    """The whole file as text with ``\\n`` line ends, and its encoding."""
    data = path.read_bytes()
    encoding = detect_encoding(io.BytesIO(data), path)
    text = data.decode(encoding, errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    if encoding.startswith("utf-16") and "\x00" in text:
        raise _nul_error(path, text.count("\n", 0, text.index("\x00")) + 1)
    if not text.strip():
        raise MolStudioError(f"{path.name} contains no data (only blank lines).")
    return text, encoding


def read_head(path: Path, encoding: str) -> tuple[str, bool]:
    """The first ~64 KB as text, and whether the file goes on after it."""
    with open(path, "rb") as fh:
        data = fh.read(HEAD_BYTES + 1)
    truncated = len(data) > HEAD_BYTES
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(data[:HEAD_BYTES], final=not truncated)
    if not text.strip():
        raise MolStudioError(f"{path.name} contains no data (only blank lines).")
    return text.replace("\r\n", "\n").replace("\r", "\n"), truncated


def _records(head: str, delimiter: str, truncated: bool, limit: int | None = 50) -> list[tuple[int, list[str]]]:
    """The records of ``head`` as (line where each ends, fields), blank lines included."""
    out = []
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    filled = 0
    for rec in reader:
        out.append((reader.line_num, rec))
        filled += _filled(rec)
        if limit is not None and filled > limit:
            return out
    if truncated and out:
        out.pop()  # the last record may be cut in the middle
    return out


def _filled(fields: list[str]) -> bool:
    return any(f.strip() for f in fields)


@dataclass
class Dialect:
    """How a delimited file is written, sniffed from its first lines."""

    delimiter: str
    decimal: str
    header: list[str]  # the raw header cells
    text_columns: set[int]  # positions holding numbers with leading zeros (identifiers)
    skip_lines: int = 1  # lines before the first data line: the header, a units row, blank lines
    width: int = 0  # values per line handed to pandas; a longer line is skipped
    units: dict[str, str] | None = None  # a second header row: the unit under each column
    units_line: int | None = None


def sniff(head: str, truncated: bool, default: str = ",") -> Dialect:
    """Delimiter, decimal mark, header, identifier columns and units row of a file.

    The delimiter is the one among , ; tab | that splits the header into most
    columns and the data lines into as many; a single-column file gets ``default``.
    """
    best: tuple[float, int] = (-1.0, 1)
    delimiter = default
    for cand in DELIMITERS:
        recs = [r for _, r in _records(head, cand, truncated) if _filled(r)]
        if not recs or len(recs[0]) < 2:
            continue
        width = len(recs[0])
        fit = sum(len(r) == width for r in recs[1:]) / max(len(recs) - 1, 1)
        if (fit, width) > best:
            best, delimiter = (fit, width), cand
    rows = _records(head, delimiter, truncated, limit=None)
    filled = [(end, r) for end, r in rows if _filled(r)] or [(1, [])]
    header_end, header = filled[0]
    data = filled[1:]
    decimal = "."
    if delimiter != ",":
        cells = [c.strip() for _, r in data[:50] for c in r]
        commas = sum(bool(_COMMA_NUMBER.match(c)) for c in cells)
        dots = sum(bool(_DOT_NUMBER.match(c)) for c in cells)
        if commas and commas >= dots:
            decimal = ","
    text_columns = {i for _, r in data[:50] for i, c in enumerate(r) if _LEADING_ZERO.match(c)}
    dialect = Dialect(delimiter, decimal, header, text_columns, skip_lines=header_end)
    names = clean_header(header)[0]
    if len(data) > 1 and names:
        dialect.units = units_row(names, data[0][1], [r for _, r in data[1:201]], decimal)
        if dialect.units is not None:
            dialect.skip_lines = dialect.units_line = data[0][0]
    # pandas takes the values per line from the first data line when it has more than the
    # names given; naming at least that many keeps its rule "longer lines are skipped" exact
    after = [r for end, r in rows if end > dialect.skip_lines and r]
    longest = max((len(r) for r in after), default=0)
    dialect.width = max(len(header), min(longest, len(header) + _MAX_EXTRA), len(after[0]) if after else 0, 1)
    return dialect


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

def _looks_like_smiles(token: str) -> bool:
    if len(token) > MAX_SMILES_CHARS:  # RDKit may take minutes on such a string
        return False
    with rdBase.BlockLogs():
        return Chem.MolFromSmiles(token, sanitize=False) is not None


def _smi_header(first: str, second: str | None) -> list[str] | None:
    """Column names if the first line is a header, else None."""
    token = first.split()[0]
    if "smiles" in token.lower() or token.lower() in ("structure", "smi"):
        return first.split()
    if not _looks_like_smiles(token) and second is not None and _looks_like_smiles(second.split()[0]):
        return first.split()
    return None


def _smi_lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            yield text


def _smi_layout(lines: Iterable[str], path: Path) -> tuple[list[str], bool]:
    """(column names, whether the first line is a header) of a SMILES list."""
    it = _smi_lines(lines)
    first = next(it, None)
    if first is None:
        raise MolStudioError(f"{path.name} contains no SMILES.")
    second = next(it, None)
    header = _smi_header(first, second)
    if header is not None:
        return clean_header(header)[0], True
    rest = [first] if second is None else [first, second]
    has_names = any(len(line.split(None, 1)) > 1 for line in itertools.chain(rest, it))
    return (["smiles", "name"] if has_names else ["smiles"]), False


def _smi_frame(
    rows: list[str], names: list[str], start: int, qualifiers: dict[str, bool] | None = None
) -> pd.DataFrame:
    k = len(names)
    split = [r.split(None, k - 1) for r in rows]
    cols = {n: [s[i] if i < len(s) else None for s in split] for i, n in enumerate(names)}
    frame = pd.DataFrame(cols, dtype="str")
    return finish_frame(frame, keep_text=names[1:2], drop_empty_rows=False, start=start, qualifiers=qualifiers)


def read_smi(path: Path, text: str) -> pd.DataFrame:
    """A SMILES list: SMILES, then an optional name; a header line is optional."""
    lines = text.split("\n")
    names, header = _smi_layout(lines, path)
    rows = list(_smi_lines(lines))[1 if header else 0:]
    if not rows:
        raise MolStudioError(f"{path.name} has a header line but no SMILES.")
    return _smi_frame(rows, names, 0)


def iter_smi(path: Path, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a SMILES list, parsed exactly like :func:`read_smi`."""
    with open(path, encoding=encoding, errors="replace") as fh:
        names, header = _smi_layout(fh, path)
    start = 0
    qualifiers: dict[str, bool] = {}
    with open(path, encoding=encoding, errors="replace") as fh:
        lines = _smi_lines(fh)
        if header:
            next(lines)
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == chunk_rows:
                yield _smi_frame(batch, names, start, qualifiers)
                start, batch = start + len(batch), []
        if batch:
            yield _smi_frame(batch, names, start, qualifiers)
        elif start == 0:
            raise MolStudioError(f"{path.name} has a header line but no SMILES.")
