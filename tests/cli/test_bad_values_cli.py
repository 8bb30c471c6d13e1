"""molstudio-cli train on tables with bad values: one `error:` line and exit 2 when nothing can be
learned; warnings naming rows and columns when training goes on."""

import pandas as pd
import pytest
from factories import logp_table

from molstudio.cli import main

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness

QUICK = ["--model", "mlp", "--features", "morgan_count(size=64)", "--set", "hidden_sizes=8",
         "--set", "epochs=2", "--device", "cpu", "--quiet"]


def _table(frame, tmp_path):
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path


def _words():
    frame = logp_table(12)
    frame["logp"] = frame["logp"].round(2).astype(str)
    frame.loc[3, "logp"] = "inactive"
    return frame


def _one_usable():
    frame = logp_table(3)
    frame.loc[[1, 2], "smiles"] = ["", "C1CC"]
    return frame


@pytest.mark.parametrize("frame, args, first_line", [
    (logp_table(12).assign(logp=5.0), ["--target", "logp"],
     "error: Every compound has the same value 5 for 'logp': there is nothing to learn."),
    (logp_table(12).assign(active="yes"), ["--target", "active", "--task", "classification"],
     "error: Every compound is in the same class 'yes' of 'active': a classifier needs examples of both classes."),
    (_words(), ["--target", "logp"],
     "error: The target column 'logp' holds text where measured values are expected: 'inactive' (row 4)."),
    (logp_table(1), ["--target", "logp"],
     "error: Only 1 compound(s) have a value for 'logp'; at least 2 are needed to train."),
    (_one_usable(), ["--target", "logp", "--smiles-column", "smiles"],
     "error: Only 1 of the table's 3 row(s) can be trained on; at least 2 are needed. Left out: 2 with an "
     "unreadable structure (first: row 2, empty structure)."),
    (logp_table(3), ["--target", "logp"],
     "error: With 3 usable compound(s) the split gives 1 training, 1 validation and 1 test compound(s); "
     "training needs at least 2."),
], ids=["constant", "one-class", "text-in-numbers", "single-row", "one-usable-row", "split-too-small"])
def test_nothing_to_learn_is_one_error_line(tmp_path, capsys, frame, args, first_line):
    data = _table(frame, tmp_path)
    out = tmp_path / "m.molstudio"
    code = main(["train", str(data), *args, *QUICK, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [first_line]
    assert not out.exists()


def test_bad_rows_are_warned_about_and_training_goes_on(tmp_path, capsys):
    frame = logp_table(30)
    frame["logp"] = frame["logp"].round(2).astype(str)
    frame.loc[2, "logp"] = "<" + frame.loc[2, "logp"]
    frame.loc[4, "smiles"] = "C(C)(C)(C)(C)C"
    frame.loc[6, "smiles"] = "CCO.[Na+].[Cl-]"
    frame.loc[8, "logp"] = "inf"
    data = _table(frame, tmp_path)
    out = tmp_path / "m.molstudio"
    code = main(["train", str(data), "--target", "logp", *QUICK, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert out.exists()
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert any("Column 'logp' holds 1 censored value(s) (1 '<')" in w for w in warnings)
    assert any("Column 'logp' holds 1 infinite value(s)" in w and "row 9" in w for w in warnings)
    assert any(w.startswith("warning: 2 of 30 rows were left out of training: 1 with an unreadable structure "
                            "(first: row 5, Explicit valence") for w in warnings)
    assert err.count("left out of training") == 1  # said once, not once more as a note
    assert any("mixtures of several fragments" in w and "row 7" in w for w in warnings)
    assert any("1 value(s) of 'logp' trained on carry a qualifier ('<'" in w for w in warnings)
    assert pd.read_csv(data)["logp"][2].startswith("<")  # the input file is untouched
