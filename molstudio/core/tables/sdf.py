"""SD files, read record by record as text so that a broken record never stops the rest.

A record is checked by its text (counts line, atom and bond lines); chemistry
(valence, aromaticity) is left to :mod:`molstudio.core.chem`, which gives RDKit's reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from molstudio.core.errors import MolStudioError
from molstudio.core.tables.cells import RowProblem, finish_frame, numeric_warnings

_FIELD = re.compile(r"<([^>]*)>")


@dataclass
class Record:
    """One SD record: 1-based number, molblock ("" when broken), title, data fields."""

    number: int
    molblock: str
    name: str
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def split_records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(1-based record number, lines) for each non-blank record between ``$$$$`` lines."""
    number = 0
    block: list[str] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if line.rstrip() == "$$$$":
            if any(x.strip() for x in block):
                number += 1
                yield number, block
            block = []
        else:
            block.append(line)
    if any(x.strip() for x in block):
        yield number + 1, block


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _counts(line: str) -> tuple[int, int] | None:
    try:
        return int(line[0:3]), int(line[3:6])
    except ValueError:
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            return int(parts[0]), int(parts[1])
    return None


def check_molblock(lines: list[str]) -> str | None:
    """Why a molblock's text cannot be a molecule, or None if its layout is sound."""
    if len(lines) < 4:
        return "it ends before its counts line"
    if "V3000" in lines[3]:
        body = "\n".join(lines)
        if "M  V30 BEGIN CTAB" not in body or "M  V30 END CTAB" not in body:
            return "its V3000 connection table is incomplete"
        return None
    counts = _counts(lines[3])
    if counts is None:
        return f"its counts line is not valid ({lines[3].strip()!r})"
    n_atoms, n_bonds = counts
    if len(lines) < 4 + n_atoms + n_bonds:
        return f"it announces {n_atoms} atoms and {n_bonds} bonds but is shorter than that"
    for k, line in enumerate(lines[4 : 4 + n_atoms], start=1):
        parts = line.split()
        if len(parts) < 4 or not all(_is_float(p) for p in parts[:3]):
            return f"atom line {k} is not valid ({line.strip()!r})"
    for k, line in enumerate(lines[4 + n_atoms : 4 + n_atoms + n_bonds], start=1):
        pair = _counts(line)
        if pair is None or not (1 <= pair[0] <= n_atoms and 1 <= pair[1] <= n_atoms):
            return f"bond line {k} is not valid ({line.strip()!r})"
    return None


def _data_fields(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    i = 0
    while i < len(lines):
        match = _FIELD.search(lines[i]) if lines[i].startswith(">") else None
        i += 1
        if match is None:
            continue
        values = []
        while i < len(lines) and lines[i].strip():
            values.append(lines[i].rstrip())
            i += 1
        if match.group(1).strip():
            fields[match.group(1).strip()] = "\n".join(values).strip()
    return fields


def parse_record(number: int, lines: list[str], check: bool = True) -> Record:
    """Split a record into molblock, title and data fields; check its layout."""
    end = next((i for i, line in enumerate(lines) if line.startswith("M  END")), None)
    if end is None:
        data = next((i for i, line in enumerate(lines) if line.startswith(">") and "<" in line), len(lines))
        block, rest = lines[:data], lines[data:]
        error: str | None = "it has no 'M  END' line"
    else:
        block, rest = lines[: end + 1], lines[end + 1 :]
        error = check_molblock(block) if check else None
    name = lines[0].strip() if lines else ""
    molblock = "" if error else "\n".join(block) + "\n"
    return Record(number, molblock, name, _data_fields(rest), error)


def layout(records: Iterable[Record]) -> tuple[list[str], str | None]:
    """Column names in order of first appearance, and the column for titles (or None)."""
    names: dict[str, None] = {}
    has_title = False
    for rec in records:
        has_title = has_title or bool(rec.name)
        names.update(dict.fromkeys(rec.fields))
    title = ("_Name" if "name" in names else "name") if has_title else None
    columns = ["molblock"] + ([title] if title else []) + list(names)
    return columns, title


def to_frame(
    records: list[Record], columns: list[str], title: str | None, start: int,
    qualifiers: dict[str, bool] | None = None,
) -> pd.DataFrame:
    """A frame with a ``molblock`` column, the title column and one column per field."""
    data: dict[str, list[object]] = {c: [] for c in columns}
    for rec in records:
        data["molblock"].append(rec.molblock)
        if title:
            data[title].append(rec.name or None)
        for c in columns[2 if title else 1 :]:
            data[c].append(rec.fields.get(c))
    frame = pd.DataFrame(data, columns=columns)
    frame["molblock"] = frame["molblock"].astype(str)
    return finish_frame(
        frame, raw=("molblock",), keep_text=(title,) if title else (), drop_empty_rows=False, start=start,
        qualifiers=qualifiers,
    )


def _nothing_readable(path: Path, why: str) -> MolStudioError:
    return MolStudioError(
        f"No molecule could be read from {path.name}: record 1 is broken ({why}).",
        hint="Is it really an SD file (.sdf)?",
    )


def read_sdf(
    path: Path, text: str, progress: Callable[[float], None] | None = None
) -> tuple[pd.DataFrame, list[RowProblem], list[str]]:
    """Whole-file read; returns (frame, problems, warnings)."""
    records = []
    total = max(text.count("$$$$"), 1)
    for number, lines in split_records(text.split("\n")):
        records.append(parse_record(number, lines))
        if progress is not None and number % 1000 == 0:
            progress(min(number / total, 1.0))
    if not records:
        raise MolStudioError(f"{path.name} contains no molecules.")
    broken = [r for r in records if r.error]
    if len(broken) == len(records):
        raise _nothing_readable(path, records[0].error or "")
    problems = [
        RowProblem(i, "molblock", f"SDF record {r.number} is broken: {r.error}; its data fields were kept")
        for i, r in enumerate(records)
        if r.error
    ]
    warnings = []
    if broken:
        shown = ", ".join(str(r.number) for r in broken[:5])
        warnings.append(
            f"{len(broken)} of {len(records)} SD records of {path.name} could not be read (record {shown}"
            f"{' and more' if len(broken) > 5 else ''}); they are kept as rows without a structure."
        )
    columns, title = layout(records)
    frame = to_frame(records, columns, title, 0)
    return frame, problems, warnings + numeric_warnings(frame.drop(columns="molblock"))


def _survey(lines: Iterable[str], path: Path) -> tuple[list[str], str | None]:
    """The columns of the whole file (see :func:`layout`); like :func:`read_sdf`, a file
    without one readable record is refused. Checking stops at the first sound record."""
    count, sound, first_error = 0, False, ""

    def records() -> Iterator[Record]:
        nonlocal count, sound, first_error
        for number, block in split_records(lines):
            rec = parse_record(number, block, check=not sound)
            count += 1
            sound = sound or rec.error is None
            first_error = first_error or rec.error or ""
            yield rec

    columns, title = layout(records())
    if count == 0:
        raise MolStudioError(f"{path.name} contains no molecules.")
    if not sound:
        raise _nothing_readable(path, first_error)
    return columns, title


def iter_sdf(path: Path, encoding: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of an SD file with the same columns as :func:`read_sdf`, memory bounded."""
    with open(path, encoding=encoding, errors="replace") as fh:
        columns, title = _survey(fh, path)
    start = 0
    qualifiers: dict[str, bool] = {}  # one decision per field for the whole file
    with open(path, encoding=encoding, errors="replace") as fh:
        batch: list[Record] = []
        for number, lines in split_records(fh):
            batch.append(parse_record(number, lines))
            if len(batch) == chunk_rows:
                yield to_frame(batch, columns, title, start, qualifiers)
                start, batch = start + len(batch), []
        if batch:
            yield to_frame(batch, columns, title, start, qualifiers)
        elif start == 0:
            raise MolStudioError(f"{path.name} contains no molecules.")
