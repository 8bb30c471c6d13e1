"""Bad files through the core readers: each is read with its problem in the load report,
or refused with a message naming the file and what is wrong; whole and in chunks alike."""

import pandas as pd
import pytest
from bad_files import CORPUS, BadFile

from molstudio.core.errors import MolStudioError
from molstudio.core.tables import reading as io

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


@pytest.fixture(params=CORPUS, ids=lambda make: make.__name__)
def bad(request, tmp_path) -> BadFile:
    return request.param(tmp_path)


def _said(report: io.LoadReport) -> list[str]:
    return report.warnings + [p.message for p in report.problems]


def test_read_table_reads_or_explains(bad):
    if not bad.loads:
        with pytest.raises(MolStudioError) as err:
            io.read_table(bad.path)
        assert bad.expect in str(err.value)
        assert bad.path.name in err.value.message
        return
    loaded = io.read_table(bad.path)
    said = _said(loaded.report)
    if bad.expect:
        assert any(bad.expect in line for line in said), said
    else:
        assert said == []  # a clean file in an unusual dress: nothing to report
    frame = loaded.frame
    assert len(frame) == bad.rows
    if bad.columns is not None:
        assert tuple(frame.columns) == bad.columns
    for (row, column), value in bad.values.items():
        assert frame.at[row, column] == value, (row, column)
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0


def test_chunks_read_like_the_whole_file(bad):
    if not bad.loads:
        with pytest.raises(MolStudioError) as err:
            list(io.iter_table_chunks(bad.path, chunk_rows=2))
        assert bad.expect in str(err.value)
        return
    whole = io.read_table(bad.path).frame
    chunks = list(io.iter_table_chunks(bad.path, chunk_rows=2))
    assert all(len(c) <= 2 for c in chunks)
    pd.testing.assert_frame_equal(pd.concat(chunks), whole, check_dtype=False)


# -- the rules behind the corpus, at their edges ------------------------------------------

def test_a_data_row_is_never_taken_for_a_units_row(tmp_path):
    path = tmp_path / "untested.csv"
    path.write_text("smiles,pIC50\nCCO,n.t.\nCCN,5.1\nCCC,5.2\n")
    loaded = io.read_table(path)
    assert loaded.frame["smiles"].tolist() == ["CCO", "CCN", "CCC"]
    assert not any("second header row" in w for w in loaded.report.warnings)
    nameless = tmp_path / "value_with_unit.csv"
    nameless.write_text("smiles,IC50\n,5 nM\nCCN,7\nCCC,8\n")
    assert len(io.read_table(nameless).frame) == 3  # '5 nM' is a value, not a unit


def test_a_long_first_data_line_is_skipped_not_cut_short(tmp_path):
    # pandas would keep a first data line that is too long, cut to the header's width
    path = tmp_path / "first_long.csv"
    path.write_text("smiles,pIC50,name\nCCC,5.3,1,2-dichloroethane\nCCO,5.1,ethanol\nCCN,5.2,ethylamine\n")
    loaded = io.read_table(path)
    assert loaded.frame["smiles"].tolist() == ["CCO", "CCN"]
    assert loaded.frame["name"].tolist() == ["ethanol", "ethylamine"]
    assert any("line 2 has 4 values" in w for w in loaded.report.warnings)
    chunks = pd.concat(io.iter_table_chunks(path, chunk_rows=1))
    pd.testing.assert_frame_equal(chunks, loaded.frame, check_dtype=False)


def test_trailing_empty_values_are_not_too_many(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text("smiles,pIC50\nCCO,5.1,\nCCN,5.2\nCCC,5.3,,\n")
    loaded = io.read_table(path)
    assert loaded.frame["pIC50"].tolist() == [5.1, 5.2, 5.3]
    assert loaded.report.warnings == [] and loaded.report.problems == []


def test_many_long_lines_are_listed_with_their_counts(tmp_path):
    path = tmp_path / "commas.csv"
    rows = [f"C{'C' * i}O,{i},name {i}" + (", with a comma" if i % 2 else "") for i in range(20)]
    path.write_text("smiles,pIC50,name\n" + "\n".join(rows) + "\n")
    loaded = io.read_table(path)
    assert len(loaded.frame) == 10
    (warning,) = [w for w in loaded.report.warnings if "skipped" in w]
    assert warning.startswith("commas.csv: 10 lines have more values than the header's 3 columns")
    assert "line 3 (4 values), line 5 (4 values)" in warning and "and 5 more" in warning


def test_an_unclosed_quote_far_into_a_file_is_found_while_streaming(tmp_path):
    path = tmp_path / "late_quote.csv"
    path.write_text("smiles,name\n" + "CCO,ethanol\n" * 5000 + 'CCN,"ethyl\n' + "CCC,propane\n" * 10)
    with pytest.raises(MolStudioError, match="line 5,002 opens a quote"):
        io.read_table(path)
    chunks = io.iter_table_chunks(path, chunk_rows=1000)
    with pytest.raises(MolStudioError, match="late_quote.csv: line 5,002 opens a quote"):
        for _ in chunks:
            pass


def test_utf16_without_byte_order_mark(tmp_path):
    path = tmp_path / "utf16le.csv"
    path.write_bytes("smiles,Löslichkeit\nCCO,1.5\nCCN,2.5\n".encode("utf-16-le"))
    loaded = io.read_table(path)
    assert list(loaded.frame.columns) == ["smiles", "Löslichkeit"]
    assert loaded.frame["Löslichkeit"].tolist() == [1.5, 2.5]


def test_a_chosen_sheet_gives_no_note_about_the_others(tmp_path):
    from bad_files import several_sheets_xlsx

    path = several_sheets_xlsx(tmp_path).path
    loaded = io.read_table(path, sheet="Assay")
    assert loaded.report.warnings == [] and loaded.report.sheets == ["Assay", "Notes", "Plots"]


def test_a_workbook_with_only_empty_sheets(tmp_path):
    import openpyxl

    path = tmp_path / "blank_book.xlsx"
    wb = openpyxl.Workbook()
    wb.create_sheet("Second")
    wb.save(path)
    with pytest.raises(MolStudioError, match=r"Every sheet of blank_book.xlsx is empty \('Sheet', 'Second'\)"):
        io.read_table(path)
