"""Streaming table writers (CSV, TSV, SDF, SMI, XLSX); every one commits atomically.

A writer writes into a temporary file beside the target (:mod:`.atomic`); leaving
its ``with`` block normally moves the file into place, an exception removes it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem import rdDepictor

from molstudio.core import chem
from molstudio.core.atomic import atomic_path
from molstudio.core.errors import MolStudioError
from molstudio.core.tables.columns import detect_roles
from molstudio.core.tables.xlsx import MAX_COLUMNS, MAX_ROWS

IMAGE_SIZE = (150, 100)  # pixels of a depiction in a spreadsheet cell
_EMPTY_BLOCK = Chem.MolToMolBlock(Chem.Mol())
_UNRESOLVED = object()
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # not storable in .xlsx


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value))


class TableWriter:
    """Base of the writers: the atomic temporary file and the ``with`` protocol.

    Parameters
    ----------
    path
        The file to write; its extension picks the format.
    columns
        The columns, in order; every chunk is written in this order.
    structure_column
        SDF / SMI / XLSX images: the column holding SMILES (or ``molblock``); detected
        from the first chunk when None.
    forbid
        A file that must never be overwritten (the input of a prediction).
    """

    def __init__(
        self,
        path: str | Path,
        columns: list[str],
        structure_column: str | None = None,
        forbid: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.structure_column = structure_column
        self.rows = 0
        self._forbid = forbid
        self._stack = ExitStack()
        self._tmp: Path | None = None
        self._source: object = _UNRESOLVED
        if structure_column is not None and structure_column not in self.columns:
            raise MolStudioError(f"There is no column '{structure_column}' to take structures from.")

    def __enter__(self) -> TableWriter:
        self._tmp = self._stack.enter_context(atomic_path(self.path, self._forbid))
        try:
            self._open(self._tmp)
        except BaseException:
            if not self._stack.__exit__(*sys.exc_info()):
                raise
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (columns missing from it are written empty)."""
        if self._tmp is None:
            raise RuntimeError("use the writer in a 'with' block")
        frame = frame.reindex(columns=self.columns)
        try:
            self._write(frame)
        except (MolStudioError, OSError):
            raise
        except Exception as exc:
            raise MolStudioError(f"Could not write {self.path.name}: {exc}") from exc
        self.rows += len(frame)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc_type is not None:
            with contextlib.suppress(Exception):  # the original error matters, not this one
                self._abort()
            return bool(self._stack.__exit__(exc_type, exc, tb))
        try:
            self._close()
        except Exception as err:
            with contextlib.suppress(Exception):
                self._abort()
            if not isinstance(err, (MolStudioError, OSError)):
                wrapped = MolStudioError(f"Could not write {self.path.name}: {err}")
                wrapped.__cause__ = err
                err = wrapped
            if not self._stack.__exit__(type(err), err, err.__traceback__):
                raise err
            return False
        self._stack.__exit__(None, None, None)  # moves the file into place
        return False

    # -- for subclasses -----------------------------------------------------------
    def _open(self, tmp: Path) -> None:
        raise NotImplementedError

    def _write(self, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        self._close()

    def _structure(self, frame: pd.DataFrame) -> tuple[str, str] | None:
        """(column, "smiles" | "molblock") holding structures, or None; decided on the first chunk."""
        if self._source is _UNRESOLVED:
            self._source = self._find_structure(frame)
        return self._source  # type: ignore[return-value]

    def _find_structure(self, frame: pd.DataFrame) -> tuple[str, str] | None:
        name = self.structure_column
        if name is None and "molblock" in self.columns:
            name = "molblock"
        if name is None:
            roles = detect_roles(frame)
            if roles.structure is None:
                return None
            self.structure_column = roles.structure
            return roles.structure, roles.structure_kind or "smiles"
        values = frame[name].dropna().astype(str).head(20)
        kind = "molblock" if name == "molblock" or values.str.contains("M  END").any() else "smiles"
        return name, kind


class DelimitedWriter(TableWriter):
    """CSV (``,``) or TSV (tab), UTF-8."""

    def __init__(self, *args: Any, sep: str = ",", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sep = sep

    def _open(self, tmp: Path) -> None:
        self._fh = open(tmp, "w", encoding="utf-8", newline="")
        csv.writer(self._fh, delimiter=self.sep, lineterminator="\n").writerow(self.columns)

    def _write(self, frame: pd.DataFrame) -> None:
        frame.to_csv(self._fh, sep=self.sep, header=False, index=False, lineterminator="\n")

    def _close(self) -> None:
        self._fh.close()


def _sd_value(value: Any) -> str:
    if isinstance(value, (np.generic,)):
        value = value.item()
    return re.sub(r"\n\s*\n", "\n", str(value)).strip()


def _with_title(block: str, title: str) -> str:
    return title + "\n" + block.partition("\n")[2]


class StructureWriter(TableWriter):
    """Shared by SDF and SMI: a text file and a structure column that must exist."""

    def _open(self, tmp: Path) -> None:
        self._fh = open(tmp, "w", encoding="utf-8", newline="\n")

    def _close(self) -> None:
        self._fh.close()

    def _required_structure(self, frame: pd.DataFrame) -> tuple[str, str]:
        source = self._structure(frame)
        if source is None:
            raise MolStudioError(
                f"Cannot write {self.path.name}: the table has no structure (SMILES) column.",
                hint="Choose the structure column, or save as CSV or Excel instead.",
            )
        return source


class SdfWriter(StructureWriter):
    """SD file: one record per row; a row without a valid structure gets an empty molecule."""

    def _write(self, frame: pd.DataFrame) -> None:
        column, kind = self._required_structure(frame)
        props = {
            c.replace("<", "(").replace(">", ")"): frame[c].tolist()
            for c in self.columns
            if c not in (column, "name")
        }
        titles = frame["name"].tolist() if "name" in frame.columns else None
        out = io.StringIO()
        for pos, value in enumerate(frame[column].tolist()):
            block = _EMPTY_BLOCK
            if kind == "molblock":
                if chem.parse_molblock(value)[0] is not None:
                    block = str(value)
            else:
                mol = chem.parse_smiles(value)[0]
                if mol is not None:
                    with rdBase.BlockLogs():
                        rdDepictor.Compute2DCoords(mol)
                    block = Chem.MolToMolBlock(mol)
            if titles is not None:  # else a molblock keeps its own title line
                title = "" if _missing(titles[pos]) else (str(titles[pos]).splitlines() or [""])[0]
                block = _with_title(block, title)
            out.write(block.rstrip("\n") + "\n")
            for name, values in props.items():
                if not _missing(values[pos]):
                    out.write(f">  <{name}>\n{_sd_value(values[pos])}\n\n")
            out.write("$$$$\n")
        self._fh.write(out.getvalue())


class SmiWriter(StructureWriter):
    """SMILES list: SMILES and name per line, no header; rows without a structure are left out."""

    _name: str | None = None

    def _write(self, frame: pd.DataFrame) -> None:
        column, kind = self._required_structure(frame)
        if self._name is None:
            self._name = "name" if "name" in self.columns else (detect_roles(frame).id or "")
        names = frame[self._name].tolist() if self._name else [None] * len(frame)
        lines = []
        for value, name in zip(frame[column].tolist(), names):
            if kind == "molblock":
                smiles = chem.canonical_smiles(chem.parse_molblock(value)[0]) or ""
            else:
                smiles = "" if _missing(value) else str(value).strip()
            if smiles:
                lines.append(smiles if _missing(name) else f"{smiles} {name}")
        self._fh.write("".join(line + "\n" for line in lines))


def _xl_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if _missing(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (bool, int, float)) or hasattr(value, "isoformat"):
        return value
    return _ILLEGAL.sub("", str(value))


class XlsxWriter(TableWriter):
    """Excel workbook; streamed (write-only) unless depictions are embedded."""

    def __init__(self, *args: Any, images: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.images = images
        if len(self.columns) + images > MAX_COLUMNS:
            raise MolStudioError(f"Excel sheets hold at most {MAX_COLUMNS} columns; save as CSV instead.")

    def _open(self, tmp: Path) -> None:
        from openpyxl import Workbook

        self._tmp_path = tmp
        self._wb = Workbook(write_only=not self.images)
        self._ws = self._wb.active if self.images else self._wb.create_sheet()
        self._ws.title = "Data"
        self._ws.append((["depiction"] if self.images else []) + self.columns)

    def _cells(self, row: tuple) -> list[Any]:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for value in row:
            value = _xl_value(value)
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(self._ws, value=value)
                cell.data_type = "s"  # text, never a formula
                value = cell
            elif isinstance(value, float) and float(f"{value:.16g}") != value:
                # openpyxl writes 16 digits; some numbers need 17 to read back unchanged
                cell = WriteOnlyCell(self._ws, value=repr(value))
                cell.data_type = "n"
                value = cell
            cells.append(value)
        return cells

    def _write(self, frame: pd.DataFrame) -> None:
        if self.rows + len(frame) >= MAX_ROWS:
            raise MolStudioError(
                f"Excel sheets hold at most {MAX_ROWS - 1:,} rows; this table has more.",
                hint="Save it as CSV instead.",
            )
        source = self._structure(frame) if self.images else None
        structures = frame[source[0]].tolist() if source else None
        for pos, row in enumerate(frame.itertuples(index=False, name=None)):
            self._ws.append(([None] if self.images else []) + self._cells(row))
            if source and structures is not None:
                self._add_image(structures[pos], source[1], self.rows + pos + 2)

    def _add_image(self, value: Any, kind: str, excel_row: int) -> None:
        from openpyxl.drawing.image import Image

        mol = (chem.parse_molblock if kind == "molblock" else chem.parse_smiles)(value)[0]
        if mol is None:
            return
        width, height = IMAGE_SIZE
        image = Image(io.BytesIO(chem.mol_to_png(mol, width, height)))
        image.width, image.height = width, height
        self._ws.add_image(image, f"A{excel_row}")
        self._ws.row_dimensions[excel_row].height = height * 0.75  # points
        self._ws.column_dimensions["A"].width = width / 7

    def _close(self) -> None:
        import datetime

        from openpyxl.writer.excel import ExcelWriter

        # Workbook.save, less its habit of leaving the zip archive open when a write fails (a
        # full disk): the archive is closed here, so nothing writes to the file afterwards.
        self._wb.properties.modified = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        with zipfile.ZipFile(self._tmp_path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(self._wb, archive).save()

    def _abort(self) -> None:
        if self.images:
            return  # the workbook lives in memory until saved
        # a write-only sheet streams into a temporary file of openpyxl's own: remove it
        writer = self._ws._writer
        if writer is not None:
            with contextlib.suppress(Exception):
                self._ws.close()
            with contextlib.suppress(Exception):
                writer.cleanup()
