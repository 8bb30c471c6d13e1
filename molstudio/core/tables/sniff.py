"""What a text file is before it is parsed: its signature, encoding, delimiter and decimal mark.

Sniffed once, from the start of the file (:data:`HEAD_BYTES`), so that reading it whole
or in chunks uses the same options.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from molstudio.core.errors import MolStudioError
from molstudio.core.tables.cells import (
    clean_header,
    units_row,
)

DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 16
_BLOCK = 1 << 20
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_DOT_NUMBER = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")
_MAX_EXTRA = 16  # values beyond the header's that a line may have and still be seen (then dropped)



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


