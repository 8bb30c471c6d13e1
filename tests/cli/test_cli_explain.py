"""molstudio-cli explain and importance: pictures and a tidy CSV per compound, a readable
table of the features, errors in one line."""

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table, nitrogen_count_table

from molstudio.cli import main as cli_main


@pytest.fixture(scope="module")
def nitrogen_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    data = folder / "train.csv"
    nitrogen_count_table(100).to_csv(data, index=False)
    model = folder / "n.molstudio"
    code = cli_main(["train", str(data), "--target", "n_nitrogen", "--model", "mlp", "--features",
                     "morgan_count(size=512)", "--set", "epochs=30", "--set", "hidden_sizes=64", "--set", "lr=0.003",
                     "--set", "patience=0", "--split-sizes", "1,0,0", "--device", "cpu", "--out", str(model), "--quiet"])
    assert code == 0
    return model


def test_explain_writes_a_picture_per_compound_and_the_atom_table(nitrogen_model, tmp_path, capsys):
    data = tmp_path / "new.csv"
    table = nitrogen_count_table(12, seed=1)
    table.loc[2, "smiles"] = "C1CC(C"  # unreadable: noted, the others explained
    table.to_csv(data, index=False)
    out = tmp_path / "pictures"
    assert cli_main(["explain", str(nitrogen_model), str(data), "--out", str(out), "--rows", "1,3,4",
                     "--format", "png"]) == 0
    captured = capsys.readouterr()
    assert "note: row 3 not explained: Cannot read the structure 'C1CC(C'" in captured.err
    assert "2 compound(s) explained: change in the predicted n_nitrogen" in captured.out
    pictures = sorted(p.name for p in out.glob("*.png"))
    assert pictures == ["row1_N000.png", "row4_N003.png"]
    assert (out / "row1_N000.png").read_bytes().startswith(b"\x89PNG")
    atoms = pd.read_csv(out / "atom_contributions.csv")
    assert list(atoms.columns) == ["row", "compound_id", "smiles", "prediction", "atom_index", "element", "weight"]
    assert sorted(set(atoms["row"])) == [1, 4]
    first = atoms[atoms["row"] == 1]
    assert len(first) == len(first["atom_index"].unique()) and first["smiles"].iloc[0] == table.loc[0, "smiles"]
    with_n = atoms[atoms["smiles"].str.contains("N")]
    for _, group in with_n.groupby("row"):
        assert group.loc[group["weight"].idxmax(), "element"] == "N"


def test_explain_first_rows_as_svg_and_errors_in_one_line(nitrogen_model, tmp_path, capsys):
    data = tmp_path / "new.csv"
    nitrogen_count_table(5, seed=2).to_csv(data, index=False)
    out = tmp_path / "svg"
    assert cli_main(["explain", str(nitrogen_model), str(data), "--out", str(out), "--first", "2"]) == 0
    assert sorted(p.name for p in out.glob("*.svg")) == ["row1_N000.svg", "row2_N001.svg"]
    ET.parse(out / "row1_N000.svg")
    assert cli_main(["explain", str(nitrogen_model), str(data), "--out", str(out), "--rows", "2,9"]) == 2
    assert "error: The table has rows 1 to 5; row 9 is not one of them." in capsys.readouterr().err
    assert cli_main(["explain", str(nitrogen_model), str(data), "--out", str(out), "--target", "logS"]) == 2
    assert "does not predict 'logS'" in capsys.readouterr().err


def test_importance_prints_the_top_features_and_writes_the_csv(tmp_path, capsys):
    frame = descriptor_table(200)
    frame["y"] = 3 * frame["f3"] + np.random.default_rng(0).normal(0, 0.05, len(frame))
    data = tmp_path / "assays.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / "d.molstudio"
    assert cli_main(["train", str(data), "--target", "y", "--model", "mlp", "--descriptor-columns", "f1,f2,f3,f4",
                     "--set", "epochs=30", "--set", "hidden_sizes=32", "--set", "lr=0.01", "--set", "patience=0",
                     "--device", "cpu", "--out", str(model), "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "importance.csv"
    assert cli_main(["importance", str(model), str(data), "--repeats", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert "increase in RMSE of y when the feature is shuffled" in lines[0]
    assert lines[2].split()[0] == "f3"
    table = pd.read_csv(out)
    assert table["feature"].iloc[0] == "f3" and len(table) == 4
    assert cli_main(["importance", str(model), str(tmp_path / "missing.csv")]) == 2
