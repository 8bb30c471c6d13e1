"""Censored assay values ("<5", ">= 7.3", "≥ 7.3"): read as numbers, qualifier kept beside them."""

import numpy as np
import pandas as pd
import pytest
from factories import logp_table
from openpyxl import Workbook

from molstudio.core.run.config import RunConfig
from molstudio.core.run.prepare import prepare_data
from molstudio.core.tables import columns
from molstudio.core.tables import reading as io

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness

SPELLINGS = ["5.1", "<5", "> 10", "<=4.5", ">= 7.3", "≤ 6", "≥ 7.3", "~3", "=4", "6.25"]
NUMBERS = [5.1, 5, 10, 4.5, 7.3, 6, 7.3, 3, 4, 6.25]
MARKS = [None, "<", ">", "<=", ">=", "<=", ">=", "~", None, None]


def _marks(series):
    return [None if pd.isna(v) else v for v in series]


def test_qualified_numbers_become_numbers_and_a_qualifier_column(tmp_path):
    path = tmp_path / "assay.csv"
    pd.DataFrame({"id": [f"A{i}" for i in range(10)], "smiles": logp_table(10)["smiles"],
                  "pIC50": SPELLINGS, "note": ["x"] * 10}).to_csv(path, index=False)
    loaded = io.read_table(path)
    frame = loaded.frame
    assert list(frame.columns) == ["id", "smiles", "pIC50", "pIC50_qualifier", "note"]
    assert frame["pIC50"].dtype == float and frame["pIC50"].tolist() == NUMBERS
    assert _marks(frame["pIC50_qualifier"]) == MARKS
    (warning,) = [w for w in loaded.report.warnings if "pIC50" in w]
    assert "Column 'pIC50'" in warning and "'pIC50_qualifier'" in warning
    assert "6 censored value(s) (1 '<', 1 '>', 2 '<=', 2 '>=')" in warning and "1 approximate" in warning
    assert "e.g. '<5' in row 2" in warning
    assert "training uses the number as given" in warning


def test_decimal_commas_excel_and_sdf_give_the_same_columns(tmp_path):
    semi = tmp_path / "assay.csv"
    semi.write_text("id;smiles;pIC50\nX;CCO;<5,2\nY;CCN;6,1\nZ;CCC;≥ 7,5\n", encoding="utf-8")
    frame = io.read_table(semi).frame
    assert frame["pIC50"].tolist() == [5.2, 6.1, 7.5]
    assert _marks(frame["pIC50_qualifier"]) == ["<", None, ">="]

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "smiles", "pIC50"])
    for row in (["X", "CCO", "<5.2"], ["Y", "CCN", 6.1], ["Z", "CCC", ">=7.5"]):
        sheet.append(row)
    book.save(tmp_path / "assay.xlsx")
    frame = io.read_table(tmp_path / "assay.xlsx").frame
    assert frame["pIC50"].tolist() == [5.2, 6.1, 7.5]
    assert _marks(frame["pIC50_qualifier"]) == ["<", None, ">="]

    block = "\n  RDKit\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n"
    records = "".join(f"{block}> <pIC50>\n{v}\n\n$$$$\n" for v in ("<5.2", "6.1", ">=7.5"))
    (tmp_path / "assay.sdf").write_text(records)
    frame = io.read_table(tmp_path / "assay.sdf").frame
    assert frame["pIC50"].tolist() == [5.2, 6.1, 7.5]
    assert _marks(frame["pIC50_qualifier"]) == ["<", None, ">="]


def test_chunked_reads_keep_the_same_columns_in_every_chunk(tmp_path):
    path = tmp_path / "assay.csv"
    values = ["<5"] + [str(5 + i / 10) for i in range(1, 12)]
    pd.DataFrame({"smiles": ["CCO"] * 12, "pIC50": values}).to_csv(path, index=False)
    chunks = list(io.iter_table_chunks(path, 4))
    assert [list(c.columns) for c in chunks] == [["smiles", "pIC50", "pIC50_qualifier"]] * 3
    whole = io.read_table(path).frame
    pd.testing.assert_frame_equal(pd.concat(chunks), whole)


def test_a_qualifier_first_met_in_a_later_chunk_is_kept_as_written(tmp_path):
    """The first chunk decided the column is plain numbers; later text is not lost."""
    path = tmp_path / "assay.csv"
    pd.DataFrame({"smiles": ["CCO"] * 8, "pIC50": ["5", "6", "7", "8", "<5", "6", "7", ">9"]}).to_csv(path, index=False)
    first, second = io.iter_table_chunks(path, 4)
    assert "pIC50_qualifier" not in first.columns and "pIC50_qualifier" not in second.columns
    assert first["pIC50"].tolist() == [5, 6, 7, 8]
    assert second["pIC50"].tolist() == ["<5", "6", "7", ">9"]
    # the same when the first chunk has no value at all in the column
    pd.DataFrame({"smiles": ["CCO"] * 4, "pIC50": ["", "", "<5", "6"]}).to_csv(path, index=False)
    first, second = io.iter_table_chunks(path, 2)
    assert list(first.columns) == list(second.columns) == ["smiles", "pIC50"]
    assert second["pIC50"].tolist() == ["<5", "6"]


def test_identifiers_and_text_are_not_made_numbers(tmp_path):
    path = tmp_path / "ids.csv"
    potency = ["<5", "inactive"] + [str(6 + i / 10) for i in range(8)]
    pd.DataFrame({"smiles": ["CCO"] * 10, "code": ["<007", "<008"] + ["009"] * 8,
                  "pIC50": potency, "y": np.arange(10.0)}).to_csv(path, index=False)
    loaded = io.read_table(path)
    assert list(loaded.frame.columns) == ["smiles", "code", "pIC50", "y"]
    assert loaded.frame["code"].tolist()[:3] == ["<007", "<008", "009"]
    assert loaded.frame["pIC50"].tolist() == potency
    (warning,) = loaded.report.warnings
    # the value that keeps the column from being numbers is named, not the censored one
    assert "Column 'pIC50'" in warning and "'inactive' in row 2" in warning and "'<5'" not in warning


def test_the_qualifier_column_never_takes_a_role(tmp_path):
    path = tmp_path / "two.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1"], "pIC50": ["<5", ">6"]}).to_csv(path, index=False)
    frame = io.read_table(path).frame
    roles = columns.detect_roles(frame)
    assert roles.targets == ["pIC50"]
    assert "pIC50_qualifier" not in (roles.id, roles.structure, *roles.descriptors, *roles.numeric)


def test_an_existing_qualifier_column_is_not_overwritten(tmp_path):
    path = tmp_path / "both.csv"
    pd.DataFrame({"smiles": ["CCO", "CCN"], "pIC50": ["<5", "6"],
                  "pIC50_qualifier": ["from the lab", "x"]}).to_csv(path, index=False)
    frame = io.read_table(path).frame
    assert list(frame.columns) == ["smiles", "pIC50", "pIC50_qualifier (2)", "pIC50_qualifier"]
    assert frame["pIC50_qualifier"].tolist() == ["from the lab", "x"]


def test_written_out_and_read_back_nothing_is_lost(tmp_path):
    path = tmp_path / "assay.csv"
    pd.DataFrame({"smiles": logp_table(10)["smiles"], "pIC50": SPELLINGS}).to_csv(path, index=False)
    first = io.read_table(path)
    again = tmp_path / "again.csv"
    io.write_table(first.frame, again)
    second = io.read_table(again)
    pd.testing.assert_frame_equal(first.frame, second.frame)
    assert any("censored" in w or "qualifier" in w for w in second.report.warnings)


def test_training_uses_the_number_and_says_so(tmp_path):
    path = tmp_path / "assay.csv"
    frame = logp_table(10).drop(columns="logp").assign(pIC50=SPELLINGS)
    frame.to_csv(path, index=False)
    table = io.read_table(path).frame
    data = prepare_data(RunConfig(model="mlp", features=["morgan_count"]), table)
    assert data.config.targets == ["pIC50"]
    assert np.allclose(data.y[:, 0], NUMBERS)
    (note,) = [w for w in data.warnings if "qualifier" in w]
    assert "7 value(s) of 'pIC50'" in note and "learned as the number given" in note


@pytest.mark.parametrize("text, number, mark", [("< 5", 5.0, "<"), ("=<3", 3.0, "<="), ("≈2.5", 2.5, "~"),
                                                ("=> 1e3", 1000.0, ">="), ("-2", -2.0, None), (">-2", -2.0, ">")])
def test_each_spelling(text, number, mark):
    from molstudio.core.tables.cells import finish_frame

    out = finish_frame(pd.DataFrame({"v": [text, "1"]}, dtype="str"))
    assert out["v"].iloc[0] == number
    assert (_marks(out["v_qualifier"])[0] if "v_qualifier" in out else None) == mark
