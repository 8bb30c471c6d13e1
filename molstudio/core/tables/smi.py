"""Reading SMILES lists (.smi): one structure per line, with an optional name, whole or in chunks."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
from rdkit import Chem, rdBase

from molstudio.core.chem import MAX_SMILES_CHARS
from molstudio.core.errors import MolStudioError
from molstudio.core.tables.cells import clean_header, finish_frame


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

