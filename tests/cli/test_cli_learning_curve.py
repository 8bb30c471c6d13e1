"""molstudio-cli learning-curve end to end: a table printed, the reading, the points as CSV."""

import subprocess
import sys

import pandas as pd
from factories import descriptor_table

from molstudio.cli import main as cli_main


def test_learning_curve_prints_the_reading_and_writes_the_points(tmp_path):
    data = tmp_path / "assays.csv"
    descriptor_table(200).to_csv(data, index=False)
    out = tmp_path / "curve.csv"
    done = subprocess.run(
        [sys.executable, "-m", "molstudio.cli", "learning-curve", str(data), "--target", "y", "--model", "mlp",
         "--set", "epochs=30", "--set", "patience=0", "--set", "lr=0.01", "--device", "cpu",
         "--fractions", "0.1,0.25,0.5,1", "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "val RMSE" in done.stdout
    assert "validation set: 20 compounds, the same for every run" in done.stdout
    assert "Validation RMSE fell from" in done.stdout and "(16 compounds)" in done.stdout
    points = pd.read_csv(out)
    assert list(points["n_train"]) == [16, 40, 80, 160]
    assert list(points["fraction"]) == [0.1, 0.25, 0.5, 1.0]
    assert points["val_rmse"].notna().all()


def test_unreadable_fractions_are_an_error_naming_them(tmp_path, capsys):
    data = tmp_path / "assays.csv"
    descriptor_table(40).to_csv(data, index=False)
    code = cli_main(["learning-curve", str(data), "--target", "y", "--model", "linear", "--fractions", "0.1,half"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Cannot read the training-set fractions '0.1,half'" in err
    code = cli_main(["learning-curve", str(data), "--target", "y", "--model", "linear", "--fractions", "0,0.5"])
    assert code == 2
    assert "above 0 and at most 1; got 0" in capsys.readouterr().err
