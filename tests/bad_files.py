"""A corpus of bad files a chemist may open, written by the tests themselves.

Each maker writes one file into a given folder and returns a :class:`BadFile`: its
path, whether MolStudio still reads it (``loads``) and a fragment of the message the
user must see: the error when the file is refused, a load-report warning or row
problem when it is read. ``CORPUS`` lists every maker; the tests run each file
through the core readers and through the main window.
"""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from rdkit import Chem


@dataclass(frozen=True)
class BadFile:
    """One corpus file and what the user must be told about it.

    ``loads``: True when the table is read (``expect`` is then in its load report),
    False when it is refused (``expect`` is in the error). ``rows`` and ``columns``
    are the table's shape and names when it loads; ``values`` some cells that must
    be read exactly, as {(row, column): value}.
    """

    path: Path
    expect: str
    loads: bool
    rows: int | None = None
    columns: tuple[str, ...] | None = None
    values: dict[tuple[int, str], object] = field(default_factory=dict)


def _mol_record(smiles: str, name: str, **props: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    mol.SetProp("_Name", name)
    fields = "".join(f">  <{k}>\n{v}\n\n" for k, v in props.items())
    return Chem.MolToMolBlock(mol) + fields + "$$$$\n"


def _xlsx_bytes(folder: Path) -> bytes:
    scratch = folder / "_scratch.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["smiles", "pIC50"])
    for i in range(40):
        wb.active.append([f"C{'C' * i}O", 5.0 + i / 10])
    wb.save(scratch)
    data = scratch.read_bytes()
    scratch.unlink()
    return data


# -- refused: nothing sensible can be read ----------------------------------------------

def empty_csv(folder: Path) -> BadFile:
    path = folder / "empty.csv"
    path.write_bytes(b"")
    return BadFile(path, "empty.csv is empty (0 bytes)", loads=False)


def blank_lines_csv(folder: Path) -> BadFile:
    path = folder / "blank.csv"
    path.write_bytes(b"\r\n   \r\n\t\n\n")
    return BadFile(path, "blank.csv contains no data", loads=False)


def header_only_csv(folder: Path) -> BadFile:
    path = folder / "header_only.csv"
    path.write_bytes(b"smiles,pIC50,compound_id\r\n")
    return BadFile(path, "header_only.csv has a header line but no data rows: only the column names (smiles, pIC50, compound_id)", loads=False)


def header_only_xlsx(folder: Path) -> BadFile:
    path = folder / "header_only.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["smiles", "pIC50"])
    wb.save(path)
    return BadFile(path, "Sheet 'Sheet' of header_only.xlsx has a header row but no data rows: only the column names (smiles, pIC50)", loads=False)


def header_only_smi(folder: Path) -> BadFile:
    path = folder / "header_only.smi"
    path.write_text("SMILES Name\n")
    return BadFile(path, "header_only.smi has a header line but no SMILES", loads=False)


def binary_csv(folder: Path) -> BadFile:
    path = folder / "instrument.csv"
    rng = random.Random(5)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(5000)))
    return BadFile(path, "instrument.csv is not a text file: it contains binary data", loads=False)


def xlsx_renamed_csv(folder: Path) -> BadFile:
    path = folder / "workbook.csv"
    path.write_bytes(_xlsx_bytes(folder))
    return BadFile(path, "workbook.csv is a zip archive or an Excel workbook, not a text table", loads=False)


def pdf_renamed_csv(folder: Path) -> BadFile:
    path = folder / "report.csv"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 20)
    return BadFile(path, "report.csv is not a text file: it looks like a PDF document", loads=False)


def png_renamed_sdf(folder: Path) -> BadFile:
    path = folder / "picture.sdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return BadFile(path, "picture.sdf is not a text file: it looks like a PNG image", loads=False)


def zero_byte_xlsx(folder: Path) -> BadFile:
    path = folder / "zero.xlsx"
    path.write_bytes(b"")
    return BadFile(path, "zero.xlsx is empty (0 bytes)", loads=False)


def truncated_xlsx(folder: Path) -> BadFile:
    path = folder / "cut.xlsx"
    data = _xlsx_bytes(folder)
    path.write_bytes(data[: len(data) // 2])
    return BadFile(path, "cut.xlsx is not a readable Excel workbook (.xlsx): it is damaged or incomplete", loads=False)


def damaged_sheet_xlsx(folder: Path) -> BadFile:
    """A workbook whose zip directory is intact but whose sheet is not valid XML."""
    path = folder / "damaged.xlsx"
    path.write_bytes(_xlsx_bytes(folder))
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: len(sheet) // 2] + b"<<garbage"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return BadFile(path, "damaged.xlsx is damaged: sheet 'Sheet' could not be read beyond row", loads=False)


def csv_renamed_xlsx(folder: Path) -> BadFile:
    path = folder / "text.xlsx"
    path.write_text("smiles,pIC50\nCCO,5.1\n")
    return BadFile(path, "text.xlsx is not a readable Excel workbook (.xlsx): it is a text file", loads=False)


def garbage_sdf(folder: Path) -> BadFile:
    path = folder / "notes.sdf"
    path.write_text("these are my notes\nnot a molecule\n$$$$\nnor this\n$$$$\n")
    return BadFile(path, "No molecule could be read from notes.sdf", loads=False)


def unclosed_quote_csv(folder: Path) -> BadFile:
    path = folder / "quote.csv"
    path.write_text('smiles,name,pIC50\nCCO,ethanol,5.1\nCCN,"ethyl amine,5.2\nCCC,propane,5.3\n')
    return BadFile(path, 'quote.csv: line 3 opens a quote (") that is never closed', loads=False)


# -- read, with the problem in the load report ---------------------------------------------

def two_line_header_csv(folder: Path) -> BadFile:
    path = folder / "units.csv"
    path.write_text(
        "compound_id,smiles,solubility,MW\n,,mol/L,g/mol\nA1,CCO,0.51,46.07\nA2,CCN,0.32,45.08\nA3,CCC,0.02,44.1\n"
    )
    return BadFile(
        path,
        "In units.csv, line 2 looks like a second header row (units: solubility mol/L, MW g/mol)",
        loads=True,
        rows=3,
        columns=("compound_id", "smiles", "solubility", "MW"),
        values={(0, "solubility"): 0.51, (2, "MW"): 44.1},
    )


def two_row_header_xlsx(folder: Path) -> BadFile:
    path = folder / "units.xlsx"
    wb = openpyxl.Workbook()
    for row in (["smiles", "pIC50", "Papp"], [None, "-log M", "10^-6 cm/s"], ["CCO", 5.5, 12.0], ["CCN", 6.5, 3.0]):
        wb.active.append(row)
    wb.save(path)
    return BadFile(
        path,
        "In units.xlsx, row 2 looks like a second header row (units: pIC50 -log M, Papp 10^-6 cm/s)",
        loads=True,
        rows=2,
        columns=("smiles", "pIC50", "Papp"),
        values={(0, "pIC50"): 5.5, (1, "Papp"): 3.0},
    )


def ragged_csv(folder: Path) -> BadFile:
    path = folder / "ragged.csv"
    path.write_text("smiles,pIC50,name\nCCO,5.1,a\nCCN,5.2\nCCC,5.3,c,d,e\nCCCl,5.4,f\n")
    return BadFile(
        path,
        "ragged.csv: line 4 has 5 values but the header names 3 columns, so the line was skipped",
        loads=True,
        rows=3,
        values={(1, "smiles"): "CCN", (2, "pIC50"): 5.4},
    )


def short_row_csv(folder: Path) -> BadFile:
    path = folder / "short.csv"
    path.write_text("smiles,pIC50,name\nCCO,5.1,a\nCCN\nCCCl,5.4,f\n")
    return BadFile(path, "line 3 has 1 of 3 values", loads=True, rows=3, values={(1, "smiles"): "CCN"})


def duplicate_columns_csv(folder: Path) -> BadFile:
    path = folder / "dupes.csv"
    path.write_text("smiles,pIC50,pIC50,smiles \nCCO,5.1,5.3,OCC\nCCN,6.2,6.0,NCC\n")
    return BadFile(
        path,
        "The column name 'pIC50' appears more than once; column 3 was renamed 'pIC50 (2)'",
        loads=True,
        rows=2,
        columns=("smiles", "pIC50", "pIC50 (2)", "smiles (2)"),
        values={(0, "pIC50 (2)"): 5.3, (1, "smiles (2)"): "NCC"},
    )


def unicode_columns_csv(folder: Path) -> BadFile:
    path = folder / "unicode.csv"
    path.write_text("SMILES,pIC₅₀,Löslichkeit (µM),溶解度,ΔG / kcal·mol⁻¹\nCCO,5.1,12,0.3,-7.2\nCCN,6.2,8,0.1,-8.0\n")
    return BadFile(
        path,
        "",
        loads=True,
        rows=2,
        columns=("SMILES", "pIC₅₀", "Löslichkeit (µM)", "溶解度", "ΔG / kcal·mol⁻¹"),
        values={(1, "溶解度"): 0.1, (0, "ΔG / kcal·mol⁻¹"): -7.2},
    )


def windows_line_endings_csv(folder: Path) -> BadFile:
    path = folder / "windows.csv"
    path.write_bytes(b"smiles,name,pIC50\r\nCCO,ethanol,5.1\r\nCCN,\"ethyl\r\namine\",5.2\r\n\r\nCCC,propane,5.3\r\n")
    return BadFile(
        path,
        "",
        loads=True,
        rows=3,
        columns=("smiles", "name", "pIC50"),
        values={(0, "name"): "ethanol", (2, "pIC50"): 5.3, (2, "smiles"): "CCC"},
    )


def old_mac_line_endings_csv(folder: Path) -> BadFile:
    path = folder / "classic_mac.csv"
    path.write_bytes(b"smiles,pIC50\rCCO,5.1\rCCN,5.2\r")
    return BadFile(path, "", loads=True, rows=2, columns=("smiles", "pIC50"), values={(1, "pIC50"): 5.2})


def latin1_csv(folder: Path) -> BadFile:
    path = folder / "latin1.csv"
    path.write_bytes("smiles;Löslichkeit µM;Bemerkung\nCCO;0,5;Lösung trüb\nCCN;1,5;klar ± 5 %\n".encode("latin-1"))
    return BadFile(
        path,
        "",
        loads=True,
        rows=2,
        columns=("smiles", "Löslichkeit µM", "Bemerkung"),
        values={(0, "Löslichkeit µM"): 0.5, (0, "Bemerkung"): "Lösung trüb", (1, "Bemerkung"): "klar ± 5 %"},
    )


def utf16_tsv(folder: Path) -> BadFile:
    path = folder / "utf16.tsv"
    path.write_bytes("smiles\tpIC₅₀\nCCO\t5.1\nCCN\t6.2\n".encode("utf-16"))
    return BadFile(path, "", loads=True, rows=2, columns=("smiles", "pIC₅₀"), values={(1, "pIC₅₀"): 6.2})


def huge_cell_csv(folder: Path) -> BadFile:
    """A quoted cell of 300 kB (a pasted molblock or log); Python's csv module stops at 128 kB."""
    path = folder / "huge_cell.csv"
    note = "x" * 300_000
    path.write_text(f'smiles,note,pIC50\nCCO,"{note}",5.1\nCCN,short,5.2\n')
    return BadFile(path, "", loads=True, rows=2, values={(1, "note"): "short", (0, "pIC50"): 5.1})


def nul_bytes_late_csv(folder: Path) -> BadFile:
    """A text file with a few NUL bytes far into it (a copy interrupted, then resumed)."""
    path = folder / "nul.csv"
    body = "".join(f"C{'C' * (i % 7)}O,{i}\n" for i in range(2000))
    path.write_bytes(b"smiles,n\n" + body.encode() + b"CCO,\x00\x00\x00\nCCN,7\n")
    return BadFile(path, "nul.csv is not a text file: line 2,002 contains binary data (NUL bytes)", loads=False)


def _formula_book(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["smiles", "IC50_nM", "pIC50"])
    for r, (smiles, ic50) in enumerate([("CCO", 100), ("CCN", 10), ("CCC", 1)], start=2):
        wb.active.append([smiles, ic50, f"=9-LOG10(B{r})"])
    wb.save(path)


def formulas_uncalculated_xlsx(folder: Path) -> BadFile:
    """Formulas written by a program, never calculated by Excel: no values are stored."""
    path = folder / "formulas.xlsx"
    _formula_book(path)
    return BadFile(
        path,
        "3 cells of sheet 'Sheet' in formulas.xlsx hold formulas without a calculated value (C2, C3, C4)",
        loads=True,
        rows=3,
        values={(0, "IC50_nM"): 100},
    )


def formulas_cached_xlsx(folder: Path) -> BadFile:
    """Formulas as Excel saves them: the formula and its last calculated value."""
    path = folder / "calculated.xlsx"
    _formula_book(path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    values = iter([b"7", b"8", b"9"])
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb"<v ?/>|<v></v>", lambda m: b"<v>" + next(values) + b"</v>", sheet)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return BadFile(path, "", loads=True, rows=3, values={(0, "pIC50"): 7, (2, "pIC50"): 9})


def merged_cells_xlsx(folder: Path) -> BadFile:
    path = folder / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["series", "smiles", "pIC50"], ["A", "CCO", 5.1], [None, "CCN", 5.2], ["B", "CCC", 5.3]):
        ws.append(row)
    ws.merge_cells("A2:A3")
    wb.save(path)
    return BadFile(
        path,
        "Sheet 'Sheet' of merged.xlsx has merged cells (A2:A3)",
        loads=True,
        rows=3,
        values={(0, "series"): "A", (2, "series"): "B", (1, "smiles"): "CCN"},
    )


def several_sheets_xlsx(folder: Path) -> BadFile:
    path = folder / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Assay"
    wb.active.append(["smiles", "pIC50"])
    wb.active.append(["CCO", 5.1])
    for title in ("Notes", "Plots"):
        wb.create_sheet(title).append(["something else"])
    wb.save(path)
    return BadFile(
        path,
        "book.xlsx has 3 sheets; the first, 'Assay', was read (not read: 'Notes', 'Plots')",
        loads=True,
        rows=1,
        columns=("smiles", "pIC50"),
    )


def empty_first_sheet_xlsx(folder: Path) -> BadFile:
    path = folder / "cover.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    data = wb.create_sheet("Data")
    data.append(["smiles", "pIC50"])
    data.append(["CCO", 5.1])
    wb.save(path)
    return BadFile(path, "Sheet 'Cover' of cover.xlsx is empty; sheet 'Data' was read", loads=True, rows=1)


def sdf_broken_record_in_middle(folder: Path) -> BadFile:
    path = folder / "mixed.sdf"
    broken = "broken one\n  junk\n\nthis is no counts line\nM  END\n>  <pIC50>\n9.5\n\n$$$$\n"
    path.write_text(
        _mol_record("CCO", "first", pIC50="5.5") + broken + _mol_record("c1ccccc1", "third", pIC50="6.25")
    )
    return BadFile(
        path,
        "SDF record 2 is broken",
        loads=True,
        rows=3,
        columns=("molblock", "name", "pIC50"),
        values={(0, "pIC50"): 5.5, (1, "pIC50"): 9.5, (2, "name"): "third", (1, "molblock"): ""},
    )


def sdf_truncated(folder: Path) -> BadFile:
    """An SD file cut off in the middle of its last record (a copy that stopped)."""
    path = folder / "truncated.sdf"
    text = _mol_record("CCO", "first", pIC50="5.5") + _mol_record("c1ccccc1", "second", pIC50="6.25")
    path.write_text(text + _mol_record("CCCCCCCC", "third", pIC50="7")[:90])
    return BadFile(path, "SDF record 3 is broken", loads=True, rows=3, values={(1, "pIC50"): 6.25})


CORPUS: list[Callable[[Path], BadFile]] = [
    empty_csv,
    blank_lines_csv,
    header_only_csv,
    header_only_xlsx,
    header_only_smi,
    binary_csv,
    xlsx_renamed_csv,
    pdf_renamed_csv,
    png_renamed_sdf,
    zero_byte_xlsx,
    truncated_xlsx,
    damaged_sheet_xlsx,
    csv_renamed_xlsx,
    garbage_sdf,
    unclosed_quote_csv,
    nul_bytes_late_csv,
    two_line_header_csv,
    two_row_header_xlsx,
    ragged_csv,
    short_row_csv,
    duplicate_columns_csv,
    unicode_columns_csv,
    windows_line_endings_csv,
    old_mac_line_endings_csv,
    latin1_csv,
    utf16_tsv,
    huge_cell_csv,
    formulas_uncalculated_xlsx,
    formulas_cached_xlsx,
    merged_cells_xlsx,
    several_sheets_xlsx,
    empty_first_sheet_xlsx,
    sdf_broken_record_in_middle,
    sdf_truncated,
]
