"""Random files and random tables through the readers (hypothesis).

Whatever the bytes, a reader either reads a table or raises MolStudioError, whole and
in chunks; a table MolStudio writes reads back with the same values.
"""

import io as _io
import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.tables import reading as io
from molstudio.core.tables.cells import NA_TOKENS

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXTENSIONS = [".csv", ".tsv", ".smi", ".sdf", ".xlsx"]


def _read_everything(path: Path) -> None:
    """read_table and iter_table_chunks; only MolStudioError may come out."""
    try:
        loaded = io.read_table(path)
        assert isinstance(loaded.frame.index, pd.RangeIndex)
        assert loaded.report.rows_read == len(loaded.frame) > 0
    except MolStudioError as err:
        assert err.message.strip()
    try:
        for chunk in io.iter_table_chunks(path, chunk_rows=3):
            assert 0 < len(chunk) <= 3
    except MolStudioError as err:
        assert err.message.strip()


def _fuzz_file(ext: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{ext}"
        path.write_bytes(data)
        _read_everything(path)


# -- random bytes -------------------------------------------------------------------------

@FUZZ
@given(ext=st.sampled_from(EXTENSIONS), data=st.binary(min_size=1, max_size=3000))
def test_random_bytes(ext, data):
    _fuzz_file(ext, data)


# text built of the pieces that steer the parsers: separators, quotes, line ends,
# numbers, SD-file markers, SMILES and "no value" spellings
PIECES = [
    ",", ";", "\t", "|", '"', "'", "\n", "\r\n", "\r", " ", "", "smiles", "pIC50", "CCO", "c1ccccc1",
    "C1CC", "1", "-2.5", "3,5", "1e309", "<5", ">=7", "NA", "#DIV/0!", "nan", "0012", "M  END", "$$$$",
    ">  <pIC50>", "  0  0  0  0  0  0  0  0  0  0999 V2000", "V3000", "\ufeff", "é", "µM", "\x0b", "=A1",
]
text_files = st.lists(st.sampled_from(PIECES), min_size=1, max_size=80).map("".join)


@FUZZ
@given(ext=st.sampled_from([".csv", ".tsv", ".smi", ".sdf"]), text=text_files,
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_random_text(ext, text, encoding):
    _fuzz_file(ext, text.encode(encoding, errors="replace"))


def _workbook_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["smiles", "pIC50", "note"])
    for i in range(6):
        ws.append([f"C{'C' * i}O", 5 + i / 4, f"=B{i + 2}*2"])
    ws.merge_cells("C2:C3")
    wb.create_sheet("Other").append(["x"])
    buffer = _io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook_bytes()


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(WORKBOOK) - 1), st.integers(0, 255)), max_size=8),
       cut=st.integers(1, len(WORKBOOK)))
def test_damaged_workbooks(edits, cut):
    data = bytearray(WORKBOOK[:cut])
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    _fuzz_file(".xlsx", bytes(data))


@FUZZ
@given(sheet_xml=st.binary(max_size=400), name=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml",
                                                               "xl/sharedStrings.xml", "[Content_Types].xml"]))
def test_workbooks_with_a_part_replaced(sheet_xml, name):
    """A valid zip whose parts are garbage: the XML parsers' errors must not come out."""
    buffer = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(WORKBOOK)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, sheet_xml if item == name else src.read(item))
    _fuzz_file(".xlsx", buffer.getvalue())


# -- random tables written and read back -------------------------------------------------------

SMILES = ["CCO", "c1ccccc1", "CC(=O)O", "CN", "C1CCCCC1", "OCC(O)CO", "Clc1ccccc1", "CC#N"]
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéüßµΔ溶"
TEXT = LETTERS + "0123456789 ,;|.:-_()/%'\"#+*<>=!?&"


def _plain_text(value: str) -> bool:
    """Text that reads back as the same text: not a number, a 'no value' spelling or a boolean."""
    try:
        float(value)
        return False
    except ValueError:
        pass
    return value.lower() not in NA_TOKENS | {"true", "false"} and value == value.strip()


def _texts(alphabet: str) -> st.SearchStrategy[str]:
    text = st.builds(lambda a, b: a + b, st.sampled_from(LETTERS), st.text(alphabet, max_size=12))
    return text.map(str.strip).filter(_plain_text)


names = st.text(LETTERS + "0123456789 _-()/%.₅", min_size=1, max_size=10).map(str.strip).filter(
    lambda n: n and n.lower() not in ("smiles", "name", "molblock", "_name") and not n.endswith("_qualifier")
)
COLUMN_KINDS = {
    "float": st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64), st.just(math.nan)),
    "int": st.integers(-(10**12), 10**12),
    "text": st.one_of(_texts(TEXT), st.none()),
    "lines": st.one_of(_texts(TEXT + "\n\t"), st.none()),  # not in SD files: a field ends at a blank line
}


@st.composite
def tables(draw, kinds: tuple[str, ...]):
    n = draw(st.integers(1, 8))
    column_names = draw(st.lists(names, min_size=1, max_size=5, unique_by=str.lower))
    frame = {"smiles": draw(st.lists(st.sampled_from(SMILES), min_size=n, max_size=n))}
    for name in column_names:
        kind = draw(st.sampled_from(kinds))
        frame[name] = draw(st.lists(COLUMN_KINDS[kind], min_size=n, max_size=n))
    return pd.DataFrame(frame)


@st.composite
def written_tables(draw):
    ext = draw(st.sampled_from([".csv", ".tsv", ".xlsx", ".sdf"]))
    kinds = ("float", "int", "text") if ext == ".sdf" else tuple(COLUMN_KINDS)
    return ext, draw(tables(kinds))


def _same(a: object, b: object) -> bool:
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return float(a) == float(b)
    return a == b


def _assert_same_values(written: pd.DataFrame, read: pd.DataFrame, sdf: bool) -> None:
    assert len(read) == len(written)
    for name in written.columns:
        if sdf and name == "smiles":
            assert chem.parse_structures(read["molblock"], kind="molblock").canonical == [
                chem.canonical_smiles(chem.parse_smiles(s)[0]) for s in written["smiles"]
            ]
            continue
        if name not in read.columns:
            assert sdf and written[name].isna().all(), name  # an SD field no record has
            continue
        pairs = zip(written[name].tolist(), read[name].tolist())
        assert all(_same(a, b) for a, b in pairs), (name, written[name].tolist(), read[name].tolist())


@FUZZ
@given(written=written_tables(), chunk=st.integers(1, 4))
def test_written_tables_read_back_unchanged(written, chunk):
    ext, table = written
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"table{ext}"
        io.write_table(table, path, structure_column="smiles")
        loaded = io.read_table(path)
        _assert_same_values(table, loaded.frame, sdf=ext == ".sdf")
        chunks = pd.concat(io.iter_table_chunks(path, chunk_rows=chunk))
        _assert_same_values(table, chunks, sdf=ext == ".sdf")
