"""Tests of molstudio.core.tables.reading: every format, encoding and failure a chemist's file can have."""

import errno
import os
import re
import tracemalloc

import numpy as np
import openpyxl
import pandas as pd
import pytest
from rdkit import Chem

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.tables import reading as io


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "smiles": ["CCO", "c1ccccc1O", "CC(=O)O", "CCN"],
            "name": ["ethanol", "phenol", "acetic acid", "ethylamine"],
            "pIC50": [5.25, 6.5, np.nan, 7.125],
            "n_rings": [0, 1, 0, 0],
            "note": ["a, b", "first line\nsecond", "=1+1", "µM"],
        }
    )


def _canonical(values, kind):
    return chem.parse_structures(list(values), kind=kind).canonical


# -- round trips -----------------------------------------------------------------

@pytest.mark.parametrize("ext", ["csv", "tsv", "txt", "xlsx"])
def test_tabular_round_trip(tmp_path, table, ext):
    path = tmp_path / f"out.{ext}"
    io.write_table(table, path)
    loaded = io.read_table(path)
    pd.testing.assert_frame_equal(loaded.frame, table, check_dtype=False)
    assert loaded.report.rows_read == 4 and loaded.report.problems == []
    assert loaded.frame["note"][2] == "=1+1"  # text, never turned into a formula


def test_sdf_round_trip_keeps_structures_properties_and_names(tmp_path, table):
    path = tmp_path / "out.sdf"
    io.write_table(table, path, structure_column="smiles")
    frame = io.read_table(path).frame
    assert list(frame.columns) == ["molblock", "name", "pIC50", "n_rings", "note"]
    assert _canonical(frame["molblock"], "molblock") == _canonical(table["smiles"], "smiles")
    pd.testing.assert_frame_equal(
        frame.drop(columns="molblock"), table.drop(columns="smiles"), check_dtype=False
    )
    again = tmp_path / "again.sdf"
    io.write_table(frame, again)  # from the molblock column this time
    assert io.read_table(again).frame.equals(frame)


def test_sdf_writes_invalid_rows_as_empty_molecules_in_place(tmp_path):
    frame = pd.DataFrame({"smiles": ["CCO", "CN(C)(C)(C)C", None, "CCN"], "y": [1.5, 2.5, 3.5, 4.5]})
    path = tmp_path / "out.sdf"
    io.write_table(frame, path, structure_column="smiles")
    back = io.read_table(path).frame
    assert back["y"].tolist() == [1.5, 2.5, 3.5, 4.5]
    parsed = chem.parse_structures(back["molblock"], kind="molblock")
    assert parsed.canonical == ["CCO", None, None, "CCN"]
    assert parsed.errors[1] == "empty structure"
    assert Chem.SDMolSupplier(str(path))[0] is not None  # RDKit reads what we write


def test_smi_round_trip(tmp_path, table):
    path = tmp_path / "out.smi"
    io.write_table(table, path, structure_column="smiles")
    frame = io.read_table(path).frame
    assert frame.to_dict("list") == {"smiles": list(table["smiles"]), "name": list(table["name"])}


def test_smi_with_and_without_names_and_header(tmp_path):
    plain = tmp_path / "plain.smi"
    plain.write_text("CCO\nc1ccccc1\n\nCCN\n")
    assert io.read_table(plain).frame.to_dict("list") == {"smiles": ["CCO", "c1ccccc1", "CCN"]}
    named = tmp_path / "named.smi"
    named.write_text("CCO ethanol\nc1ccccc1\tbenzene ring\nCCN\n")
    frame = io.read_table(named).frame
    assert frame["name"].tolist()[:2] == ["ethanol", "benzene ring"] and pd.isna(frame["name"][2])
    headed = tmp_path / "headed.smi"
    headed.write_text("SMILES Name\nCCO 0001\nCCN 0002\n")
    frame = io.read_table(headed).frame
    assert list(frame.columns) == ["SMILES", "Name"] and frame["Name"].tolist() == ["0001", "0002"]


# -- encodings, delimiters, decimal marks ------------------------------------------

def test_utf8_bom_is_not_part_of_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffsmiles,y\nCCO,1.5\n".encode("utf-8"))
    loaded = io.read_table(path)
    assert list(loaded.frame.columns) == ["smiles", "y"]
    assert loaded.report.encoding == "utf-8-sig"


def test_latin1_file_from_old_excel(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("SMILES,IC50 µM,Ähnlichkeit\nCCO,1.5,0.9\n".encode("cp1252"))
    loaded = io.read_table(path)
    assert list(loaded.frame.columns) == ["SMILES", "IC50 µM", "Ähnlichkeit"]
    assert loaded.report.encoding in ("cp1252", "latin-1")


def test_semicolons_and_decimal_commas(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("SMILES ; pIC50 ;Gewicht\nCCO;1,5;46,07\nCCN;2,25;45,08\n")
    loaded = io.read_table(path)
    assert list(loaded.frame.columns) == ["SMILES", "pIC50", "Gewicht"]
    assert loaded.frame["pIC50"].tolist() == [1.5, 2.25]
    assert (loaded.report.delimiter, loaded.report.decimal) == (";", ",")


@pytest.mark.parametrize(("ext", "sep"), [("tsv", "\t"), ("txt", "\t"), ("csv", "|")])
def test_other_delimiters(tmp_path, ext, sep):
    path = tmp_path / f"t.{ext}"
    path.write_text(sep.join(["smiles", "y"]) + "\n" + sep.join(["CCO", "2.5"]) + "\n")
    loaded = io.read_table(path)
    assert loaded.frame.to_dict("list") == {"smiles": ["CCO"], "y": [2.5]}
    assert loaded.report.delimiter == sep


def test_cleaning_headers_missing_values_and_identifiers(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(" id ,smiles,y,y,,note,\n007,CCO,1,NA,x,a,\n008,CCN,n.d.,2,y,b,\n,,,,,,\n")
    loaded = io.read_table(path)
    assert list(loaded.frame.columns) == ["id", "smiles", "y", "y (2)", "column_5", "note"]
    assert loaded.frame["id"].tolist() == ["007", "008"]  # leading zeros kept: an identifier
    assert loaded.frame["y"].isna().tolist() == [False, True]
    assert len(loaded.report.warnings) == 2  # the renamed and the named column


def test_mostly_numeric_text_column_is_reported(tmp_path):
    path = tmp_path / "censored.csv"
    path.write_text("smiles,IC50\n" + "".join(f"C{'C' * i}O,{i + 1}\n" for i in range(9)) + "CCCl,<10\n")
    loaded = io.read_table(path)
    assert any("'IC50'" in w and "'<10'" in w for w in loaded.report.warnings)


def test_ragged_lines_are_skipped_or_padded_and_reported(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("smiles,y,name\nCCO,1,a\nCCN,2\nCCC,3,c,extra\nCCCl,4,d\n")
    loaded = io.read_table(path)
    assert loaded.frame["smiles"].tolist() == ["CCO", "CCN", "CCCl"]
    assert any("skipped" in w and "line 4" in w for w in loaded.report.warnings)
    assert any("left empty" in w and "line 3" in w for w in loaded.report.warnings)
    assert [(p.row, p.column) for p in loaded.report.problems] == [(1, None)]
    assert "line 3" in loaded.report.problems[0].message


# -- XLSX --------------------------------------------------------------------------

def _workbook(path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["read me"])
    wb.active.append(["the data are on the next sheet"])
    data = wb.create_sheet("Data")
    data.append(["SMILES", "pIC50", None, "Wert"])
    data.append(["CCO", 5.5, None, "1,5"])
    data.append(["CCN", "6.5", None, 2])
    data.append([None, None, None, None])
    wb.save(path)


def test_xlsx_sheet_choice(tmp_path):
    path = tmp_path / "book.xlsx"
    _workbook(path)
    first = io.read_table(path)
    assert first.report.sheets == ["Notes", "Data"] and first.report.sheet == "Notes"
    for sheet in ("Data", 1):
        loaded = io.read_table(path, sheet=sheet)
        assert loaded.report.sheet == "Data"
        assert list(loaded.frame.columns) == ["SMILES", "pIC50", "column_3", "Wert"]
        assert loaded.frame["pIC50"].tolist() == [5.5, 6.5]  # numbers stored as text too
    with pytest.raises(MolStudioError, match="no sheet named 'Daten'") as err:
        io.read_table(path, sheet="Daten")
    assert "Notes, Data" in str(err.value)


def test_xlsx_images_are_embedded_for_valid_structures(tmp_path, table):
    table.loc[1, "smiles"] = "not a smiles"
    path = tmp_path / "pictures.xlsx"
    io.write_table(table, path, images=True)
    assert len(openpyxl.load_workbook(path).active._images) == 3
    frame = io.read_table(path).frame
    assert frame.columns[0] == "depiction"
    pd.testing.assert_frame_equal(frame.drop(columns="depiction"), table, check_dtype=False)


# -- SDF ---------------------------------------------------------------------------

def _record(smiles, name, **props):
    mol = Chem.MolFromSmiles(smiles)
    mol.SetProp("_Name", name)
    fields = "".join(f">  <{k}>\n{v}\n\n" for k, v in props.items())
    return Chem.MolToMolBlock(mol) + fields + "$$$$\n"


BROKEN = "broken one\n  junk\n\nthis is no counts line\nM  END\n>  <pIC50>\n9.5\n\n>  <ID>\nX2\n\n$$$$\n"


def test_sdf_with_a_broken_record_in_the_middle(tmp_path):
    path = tmp_path / "mixed.sdf"
    path.write_text(
        _record("CCO", "first", pIC50="5.5", ID="X1")
        + BROKEN
        + _record("c1ccccc1", "third", pIC50="6.25", ID="X3", Supplier="ACME")
    )
    loaded = io.read_table(path)
    frame = loaded.frame
    assert list(frame.columns) == ["molblock", "name", "pIC50", "ID", "Supplier"]
    assert frame["pIC50"].tolist() == [5.5, 9.5, 6.25]
    assert frame["ID"].tolist() == ["X1", "X2", "X3"]
    assert frame["molblock"][1] == ""
    assert [(p.row, p.column) for p in loaded.report.problems] == [(1, "molblock")]
    assert "record 2" in loaded.report.problems[0].message
    assert "record 2" in loaded.report.warnings[0]
    assert chem.parse_structures(frame["molblock"], kind="molblock").canonical == ["CCO", None, "c1ccccc1"]


def test_sdf_of_only_garbage_is_refused(tmp_path):
    path = tmp_path / "bad.sdf"
    path.write_text("hello\nworld\n$$$$\n")
    with pytest.raises(MolStudioError, match="No molecule could be read from bad.sdf"):
        io.read_table(path)


# -- files that cannot be read -------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv is empty (0 bytes)"),
        ("blank.csv", b"\n  \n\n", "contains no data"),
        ("header.csv", b"smiles,y\n", "has a header line but no data rows"),
        ("garbage.csv", bytes(range(256)) * 8, "not a text file"),
        ("renamed.csv", b"PK\x03\x04" + bytes(100), "not a text table"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old Excel"),
        ("paper.pdf", b"%PDF-1.4", "'.pdf' cannot be read"),
        ("empty.xlsx", b"", "empty.xlsx is empty (0 bytes)"),
        ("fake.xlsx", b"smiles,y\nCCO,1\n", "not a readable Excel workbook"),
        ("empty.sdf", b"\n\n", "contains no data"),
        ("header.smi", b"SMILES Name\n", "no SMILES"),
    ],
)
def test_unreadable_files_are_explained(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MolStudioError, match=re.escape(message)):
        io.read_table(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MolStudioError, match="File not found"):
        io.read_table(tmp_path / "nope.csv")
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(MolStudioError, match="is a folder"):
        io.read_table(folder)
    with pytest.raises(MolStudioError, match="File not found"):
        io.iter_table_chunks(tmp_path / "nope.csv")  # at once, not at the first chunk


def test_empty_sheet_is_explained(tmp_path):
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(MolStudioError, match="Sheet 'Sheet' of blank.xlsx is empty"):
        io.read_table(path)


# -- chunks --------------------------------------------------------------------------

def _big_frame(n):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "smiles": [["CCO", "c1ccccc1", "CCN"][i % 3] for i in range(n)],
            "id": [f"CPD{i}" for i in range(n)],
            "x": rng.random(n),
            "k": rng.integers(0, 9, n),
        }
    )


@pytest.mark.parametrize("ext", ["csv", "tsv", "xlsx", "sdf", "smi"])
def test_chunks_equal_the_whole_file(tmp_path, ext):
    n = {"xlsx": 230, "sdf": 230}.get(ext, 2300)
    path = tmp_path / f"big.{ext}"
    io.write_table(_big_frame(n), path, structure_column="smiles")
    whole = io.read_table(path).frame
    chunks = list(io.iter_table_chunks(path, chunk_rows=n // 5 + 1))
    assert [len(c) for c in chunks][:-1] == [n // 5 + 1] * (len(chunks) - 1)
    assert all(list(c.columns) == list(whole.columns) for c in chunks)
    joined = pd.concat(chunks)
    assert joined.index.equals(pd.RangeIndex(n))
    pd.testing.assert_frame_equal(joined, whole)


def test_chunks_of_an_sdf_have_every_field_column(tmp_path):
    path = tmp_path / "late_field.sdf"
    path.write_text(_record("CCO", "a", y="1") + BROKEN + _record("CCN", "c", y="3", late="z"))
    chunks = list(io.iter_table_chunks(path, chunk_rows=1))
    assert all(list(c.columns) == ["molblock", "name", "y", "pIC50", "ID", "late"] for c in chunks)
    assert [c.index[0] for c in chunks] == [0, 1, 2]


def test_chunked_reading_keeps_memory_bounded(tmp_path):
    n = 100_000
    path = tmp_path / "large.csv"
    with open(path, "w") as fh:
        fh.write("smiles,id,pIC50\n")
        fh.writelines(f"CCOc1ccccc1,CPD-{i:07d},{i % 97 / 10}\n" for i in range(n))
    tracemalloc.start()
    rows = 0
    for chunk in io.iter_table_chunks(path, chunk_rows=5000):
        assert len(chunk) <= 5000
        rows += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rows == n and chunk.index[-1] == n - 1
    # reading this 2.8 MB file whole takes ~25 MB; chunks stay at a few MB whatever the size
    assert peak < 5_000_000


# -- writing safely ------------------------------------------------------------------

def test_failed_write_leaves_no_temporary_file_and_keeps_the_old_file(tmp_path, table, monkeypatch):
    path = tmp_path / "result.csv"
    path.write_text("old content\n")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    with pytest.raises(MolStudioError, match="disk is full"):
        io.write_table(table, path)
    assert os.listdir(tmp_path) == ["result.csv"]
    assert path.read_text() == "old content\n"


def test_refuses_to_overwrite_the_input_file(tmp_path, table):
    source = tmp_path / "input.csv"
    io.write_table(table, source)
    before = source.read_bytes()
    with pytest.raises(MolStudioError, match="Refusing to overwrite the input file"):
        io.write_table(table.head(1), tmp_path / "." / "input.csv", forbid=source)
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    with pytest.raises(MolStudioError, match="Refusing"):
        io.write_table(table.head(1), link, forbid=source)
    assert source.read_bytes() == before


def test_write_errors_name_the_problem(tmp_path, table):
    with pytest.raises(MolStudioError, match="does not exist"):
        io.write_table(table, tmp_path / "no" / "such" / "out.csv")
    with pytest.raises(MolStudioError, match="unknown file type '.pdf'"):
        io.write_table(table, tmp_path / "out.pdf")
    with pytest.raises(MolStudioError, match="no structure"):
        io.write_table(table[["pIC50"]], tmp_path / "out.sdf")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("ext", ["csv", "xlsx", "sdf"])
def test_streaming_writer_commits_on_success_and_cleans_up_on_error(tmp_path, table, ext):
    path = tmp_path / f"stream.{ext}"
    with io.open_table_writer(path, list(table.columns), structure_column="smiles") as writer:
        writer.write(table.iloc[:2])
        writer.write(table.iloc[2:])
    assert io.read_table(path).frame["pIC50"].tolist()[:2] == [5.25, 6.5]
    failed = tmp_path / f"failed.{ext}"
    with pytest.raises(RuntimeError, match="cancelled"):
        with io.open_table_writer(failed, list(table.columns), structure_column="smiles") as writer:
            writer.write(table)
            raise RuntimeError("cancelled")
    assert sorted(os.listdir(tmp_path)) == [f"stream.{ext}"]


def test_streaming_writer_with_no_rows_writes_the_header(tmp_path):
    path = tmp_path / "none.csv"
    with io.open_table_writer(path, ["smiles", "prediction"]):
        pass
    assert path.read_text() == "smiles,prediction\n"


def test_supported_extensions():
    assert {".csv", ".tsv", ".txt", ".xlsx", ".sdf", ".smi"} <= set(io.SUPPORTED_EXTENSIONS)
