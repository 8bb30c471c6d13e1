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
    finish_frame,
    numeric_warnings,
)
from molstudio.core.errors import MolStudioError

DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 16
_BLOCK = 1 << 20
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_DOT_NUMBER = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")
_SHOWN = 5  # line numbers listed in one warning


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
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
    if b"\x00" in head or controls > 0.05 * len(head):
        raise MolStudioError(f"{name} is not a text file: it contains binary data.")


def detect_encoding(fh: BinaryIO, path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 or Latin-1."""
    head = fh.read(8192)
    check_head(head, path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := fh.read(_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    fh.seek(0)
    while block := fh.read(_BLOCK):
        if any(b in block for b in _CP1252_UNDEFINED):
            return "latin-1"
    return "cp1252"


def read_text(path: Path) -> tuple[str, str]:
    """The whole file as text with ``\\n`` line ends, and its encoding."""
    data = path.read_bytes()
    encoding = detect_encoding(io.BytesIO(data), path)
    text = data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise MolStudioError(f"{path.name} contains no data (only blank lines).")
    return text, encoding


def read_head(path: Path, encoding: str) -> tuple[str, bool]:
    """The first ~64 KB as text, and whether the file goes on after it."""
    with open(path, "rb") as fh:
        data = fh.read(HEAD_BYTES + 1)
    truncated = len(data) > HEAD_BYTES
    text = codecs.getincrementaldecoder(encoding)().decode(data[:HEAD_BYTES], final=not truncated)
    if not text.strip():
        raise MolStudioError(f"{path.name} contains no data (only blank lines).")
    return text.replace("\r\n", "\n").replace("\r", "\n"), truncated


def _records(head: str, delimiter: str, truncated: bool, limit: int = 50) -> list[list[str]]:
    out = []
    for rec in csv.reader(io.StringIO(head), delimiter=delimiter):
        if any(f.strip() for f in rec):
            out.append(rec)
        if len(out) > limit:
            break
    if truncated and len(out) <= limit and out:
        out.pop()  # the last record may be cut in the middle
    return out


@dataclass
class Dialect:
    """How a delimited file is written, sniffed from its first lines."""

    delimiter: str
    decimal: str
    header: list[str]
    text_columns: set[int]  # positions holding numbers with leading zeros (identifiers)


def sniff(head: str, truncated: bool, default: str = ",") -> Dialect:
    """Delimiter, decimal mark, raw header cells and identifier columns of a file.

    The delimiter is the one among , ; tab | that splits the header into most
    columns and the data lines into as many; a single-column file gets ``default``.
    """
    best: tuple[float, int] = (-1.0, 1)
    delimiter = default
    for cand in DELIMITERS:
        recs = _records(head, cand, truncated)
        if not recs or len(recs[0]) < 2:
            continue
        width = len(recs[0])
        fit = sum(len(r) == width for r in recs[1:]) / max(len(recs) - 1, 1)
        if (fit, width) > best:
            best, delimiter = (fit, width), cand
    recs = _records(head, delimiter, truncated) or [[]]
    decimal = "."
    if delimiter != ",":
        cells = [c.strip() for r in recs[1:] for c in r]
        commas = sum(bool(_COMMA_NUMBER.match(c)) for c in cells)
        dots = sum(bool(_DOT_NUMBER.match(c)) for c in cells)
        if commas and commas >= dots:
            decimal = ","
    text_columns = {i for r in recs[1:] for i, c in enumerate(r) if _LEADING_ZERO.match(c)}
    return Dialect(delimiter, decimal, recs[0], text_columns)


def _pandas_read(source, dialect: Dialect, encoding: str | None, chunk_rows: int | None):
    width = len(dialect.header)
    return pd.read_csv(
        source,
        sep=dialect.delimiter,
        decimal=dialect.decimal,
        header=0,
        names=[f"_{i}" for i in range(width)],
        dtype={f"_{i}": str for i in dialect.text_columns if i < width},
        na_values=sorted(NA_SPELLINGS),
        keep_default_na=False,
        index_col=False,
        on_bad_lines="skip",
        skip_blank_lines=True,
        encoding=encoding,
        engine="c",
        chunksize=chunk_rows,
    )


def _finish(raw: pd.DataFrame, names: list[str], decimal: str, start: int) -> pd.DataFrame:
    frame = raw.iloc[:, : len(names)].set_axis(names, axis=1)
    return finish_frame(frame, decimal=decimal, start=start)


def _is_blank(fields: list[str]) -> bool:
    return all(f.strip().lower() in NA_TOKENS for f in fields)


def _scan(
    text: str, delimiter: str, width: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]], int]:
    """Ragged lines the way pandas treats them.

    Returns (long, short, kept): lines with more values than the header, which pandas
    skips, as (line number, values); lines with fewer values, which are padded, as
    (data row, line number, values); and the number of data rows kept.
    """
    lines = text.split("\n")
    odd = (line for line in lines if line.count(delimiter) != width - 1)
    if all(_is_blank(line.split(delimiter)) for line in odd):
        return [], [], -1  # the usual case, found fast: no ragged line
    if '"' in text:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        records = ((reader.line_num, rec) for rec in reader)
    else:
        records = ((i, line.split(delimiter)) for i, line in enumerate(lines, start=1))
    long: list[tuple[int, int]] = []
    short: list[tuple[int, int, int]] = []
    kept = 0
    header_seen = False
    for line_no, fields in records:
        if _is_blank(fields):
            continue
        if not header_seen:
            header_seen = True
            continue
        if len(fields) > width:
            long.append((line_no, len(fields)))
            continue
        if len(fields) < width:
            short.append((kept, line_no, len(fields)))
        kept += 1
    return long, short, kept


def _lines_list(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_SHOWN])
    return shown + (f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")


def read_delimited(path: Path, text: str) -> tuple[pd.DataFrame, list[RowProblem], list[str], str, str]:
    """Whole-file read; returns (frame, problems, warnings, delimiter, decimal)."""
    default = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    dialect = sniff(text[:HEAD_BYTES], len(text) > HEAD_BYTES, default)
    delimiter, decimal, header = dialect.delimiter, dialect.decimal, dialect.header
    names, warnings = clean_header(header)
    if not names:
        raise MolStudioError(f"The first line of {path.name} holds no column names.")
    raw = _pandas_read(io.StringIO(text), dialect, None, None)
    frame = _finish(raw, names, decimal, 0)
    long, short, kept = _scan(text, delimiter, len(header))
    problems: list[RowProblem] = []
    sep = "tab" if delimiter == "\t" else f"'{delimiter}'"
    if long:
        warnings.append(
            f"{len(long)} line(s) have more values than the header's {len(header)} columns and were "
            f"skipped: line {_lines_list([n for n, _ in long])}. A value containing {sep} may need quotes."
        )
    if short:
        warnings.append(
            f"{len(short)} line(s) have fewer values than the header's {len(header)} columns; the "
            f"missing values were left empty: line {_lines_list([n for _, n, _ in short])}."
        )
        if kept == len(frame):  # else our line count disagrees with pandas: no row numbers
            problems = [
                RowProblem(
                    row, None, f"line {line} has {n} of {len(header)} values; the rest were left empty"
                )
                for row, line, n in short
            ]
    extra = finish_frame(raw.iloc[:, len(names) :])
    if extra.shape[1] and len(extra):
        warnings.append(f"Values to the right of the last named column '{names[-1]}' were ignored.")
    if frame.empty:
        if long:
            raise MolStudioError(
                f"No line of {path.name} fits its header: every data line has more values than "
                f"the {len(header)} column names.",
                hint=f"Check that the first line names every column (separator: {sep}).",
            )
        raise MolStudioError(f"{path.name} has a header line but no data rows.")
    warnings += numeric_warnings(frame, decimal)
    return frame, problems, warnings, delimiter, decimal


def iter_delimited(path: Path, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a delimited file, parsed exactly like :func:`read_delimited`."""
    default = "\t" if path.suffix.lower() in (".tsv", ".txt") else ","
    head, truncated = read_head(path, encoding)
    dialect = sniff(head, truncated, default)
    names, _ = clean_header(dialect.header)
    if not names:
        raise MolStudioError(f"The first line of {path.name} holds no column names.")
    start = 0
    with _pandas_read(path, dialect, encoding, chunk_rows) as reader:
        for raw in reader:
            frame = _finish(raw, names, dialect.decimal, start)
            start += len(frame)
            if len(frame):
                yield frame
    if start == 0:
        raise MolStudioError(f"{path.name} has a header line but no data rows.")


# --- SMILES lists -------------------------------------------------------------------

def _looks_like_smiles(token: str) -> bool:
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


def _smi_frame(rows: list[str], names: list[str], start: int) -> pd.DataFrame:
    k = len(names)
    split = [r.split(None, k - 1) for r in rows]
    cols = {n: [s[i] if i < len(s) else None for s in split] for i, n in enumerate(names)}
    frame = pd.DataFrame(cols, dtype="str")
    return finish_frame(frame, keep_text=names[1:2], drop_empty_rows=False, start=start)


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
    with open(path, encoding=encoding) as fh:
        names, header = _smi_layout(fh, path)
    start = 0
    with open(path, encoding=encoding) as fh:
        lines = _smi_lines(fh)
        if header:
            next(lines)
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == chunk_rows:
                yield _smi_frame(batch, names, start)
                start, batch = start + len(batch), []
        if batch:
            yield _smi_frame(batch, names, start)
        elif start == 0:
            raise MolStudioError(f"{path.name} has a header line but no SMILES.")
