"""molstudio-cli end to end, as a user runs it: separate processes, files on disk."""

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from factories import descriptor_table, logp_table

from molstudio.cli import main as cli_main


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "molstudio.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_models_lists_architectures_with_hyperparameters():
    done = cli("models")
    assert done.returncode == 0, done.stderr
    assert "mlp:" in done.stdout and "linear:" in done.stdout
    assert "hidden_sizes" in done.stdout and "activation" in done.stdout
    assert "relu | leaky_relu" in done.stdout  # choices are listed
    schema = json.loads(cli("models", "--json").stdout)
    hidden = next(p for p in schema["mlp"]["hyperparameters"] if p["name"] == "hidden_sizes")
    assert hidden["type"] == "int_list" and hidden["low"] == 1


def test_train_info_predict_on_structures(tmp_path):
    data = tmp_path / "logp.csv"
    logp_table().to_csv(data, index=False)
    model = tmp_path / "logp.molstudio"
    report = tmp_path / "report.json"
    done = cli("train", data, "--target", "logp", "--features", "morgan_count(size=256),rdkit2d",
               "--set", "hidden_sizes=32", "--set", "epochs=15", "--set", "patience=0",
               "--split-sizes", "0.7,0.15,0.15", "--seed", "1", "--out", model, "--report", report)
    assert done.returncode == 0, done.stderr
    assert model.exists()
    figures = json.loads(report.read_text())
    for part in ("train", "val", "test"):
        assert {"rmse", "mse", "mae", "r2"} <= set(figures["metrics"][part])
    assert figures["epochs_run"] == 15
    assert {"featurize", "train"} <= set(figures["seconds"])

    info = cli("info", model)
    assert info.returncode == 0
    assert "mlp" in info.stdout and "logp" in info.stdout and "rdkit2d" in info.stdout
    assert re.search(r"morgan_count\(radius=2, size=256\); rdkit2d \((\d+) values per compound\)", info.stdout)

    new = tmp_path / "new.csv"
    pd.DataFrame({"name": ["ethanol", "broken", "benzene"], "smiles": ["CCO", "C1CC(", "c1ccccc1"],
                  "note": ["a", "b", "c"]}).to_csv(new, index=False)
    out = tmp_path / "pred.csv"
    done = cli("predict", model, new, "--out", out)
    assert done.returncode == 0, done.stderr
    pred = pd.read_csv(out, keep_default_na=False)
    assert list(pred["name"]) == ["ethanol", "broken", "benzene"]
    assert list(pred.columns[:3]) == ["name", "smiles", "note"]
    assert pred.loc[1, "not_predicted_because"] != "" and pred.loc[1, "logp_predicted"] == ""
    assert float(pred.loc[2, "logp_predicted"]) > float(pred.loc[0, "logp_predicted"])


def test_tutorial_style_descriptor_run_and_config_file(tmp_path):
    data = tmp_path / "desc.csv"
    descriptor_table(150).to_csv(data, index=False)
    config = tmp_path / "run.toml"
    config.write_text(
        '[data]\ntargets = ["y"]\ndescriptor_columns = ["f1", "f2", "f3", "f4"]\n'
        '[split]\nmethod = "random"\nsizes = [0.8, 0.0, 0.2]\nseed = 0\n'
        '[model]\nname = "mlp"\nhidden_sizes = [16, 16]\nactivation = "relu"\n'
        '[training]\nlr = 0.01\nbatch_size = 64\nepochs = 20\npatience = 0\n'
    )
    report = tmp_path / "r.json"
    done = cli("train", data, "--config", config, "--out", tmp_path / "m.molstudio", "--report", report,
               "--set", "epochs=10")
    assert done.returncode == 0, done.stderr
    figures = json.loads(report.read_text())
    assert figures["epochs_run"] == 10  # --set wins over the file
    assert figures["split_counts"]["val"] == 0
    assert figures["metrics"]["val"] == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "missing.csv", "--out", "m.molstudio"], "File not found: missing.csv"),
        (["train", "{data}", "--target", "nope", "--out", "m.molstudio"], "'nope'"),
        (["train", "{data}", "--set", "hidden_sizes=0", "--out", "m.molstudio"], "outside the allowed range"),
        (["train", "{data}", "--set", "colour=blue", "--out", "m.molstudio"], "Unknown setting 'colour'"),
        (["train", "{data}", "--model", "quantum", "--out", "m.molstudio"], "Unknown architecture"),
        (["train", "{data}", "--split-sizes", "0.5,0.1", "--out", "m.molstudio"], ""),
        (["info", "{data}"], "not a MolStudio model file"),
    ],
)
def test_bad_input_gives_one_clear_line_and_nonzero_exit(tmp_path, monkeypatch, capsys, args, message):
    data = tmp_path / "d.csv"
    descriptor_table(30).to_csv(data, index=False)
    monkeypatch.chdir(tmp_path)
    code = cli_main([a.replace("{data}", str(data)) for a in args])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert message in err
    assert err.startswith("error:")
    assert not (tmp_path / "m.molstudio").exists()


def test_example_dataset_is_written(tmp_path):
    out = tmp_path / "tutorial.csv"
    done = cli("example", "tutorial", "--out", out)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["f1", "f2", "f3", "f4", "y"] and len(frame) == 800


def test_without_model_and_features_the_recommended_configuration_is_trained(tmp_path, capsys):
    from molstudio.core.run.recommend import recommended
    from molstudio.core.trained.file import read_manifest

    data = tmp_path / "mols.csv"
    logp_table(40).to_csv(data, index=False)
    out = tmp_path / "m.molstudio"
    code = cli_main(["train", str(data), "--target", "logp", "--set", "epochs=2", "--set", "ensemble=2",
                     "--out", str(out)])
    assert code == 0
    manifest = read_manifest(out)
    rec = recommended(True, 40, "regression")
    assert manifest["architecture"] == rec["model"]
    assert [f["name"] for f in manifest["features"]] == rec["features"]
    assert manifest["members"] == 2  # --set still overrides the recommended ensemble size
    assert f"Using the recommended model: {rec['model']}" in capsys.readouterr().err


def test_threads_option_limits_torch_threads_and_rejects_nonsense(tmp_path, capsys):
    import torch

    data = tmp_path / "d.csv"
    descriptor_table(30).to_csv(data, index=False)
    before = torch.get_num_threads()
    try:
        code = cli_main(["train", str(data), "--model", "linear", "--set", "epochs=1", "--threads", "1",
                         "--quiet", "--out", str(tmp_path / "m.molstudio")])
        assert code == 0 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(SystemExit) as stop:
        cli_main(["train", str(data), "--threads", "0", "--out", str(tmp_path / "n.molstudio")])
    assert stop.value.code == 2
    assert "expected a whole number of at least 1, got '0'" in capsys.readouterr().err


def test_train_says_how_long_it_will_take_and_reports_the_estimate(tmp_path, capsys):
    data = tmp_path / "d.csv"
    descriptor_table(60).to_csv(data, index=False)
    report = tmp_path / "report.json"
    code = cli_main(["train", str(data), "--target", "y", "--model", "mlp", "--set", "hidden_sizes=8",
                     "--set", "epochs=3", "--out", str(tmp_path / "m.molstudio"), "--report", str(report)])
    assert code == 0
    err = capsys.readouterr().err
    assert re.search(r"Estimated time: .+ \(1 network × 3 epochs\)", err)
    assert err.index("Estimated time") < err.index("epoch 3/3")  # before the epochs
    figures = json.loads(report.read_text())
    assert figures["estimated_seconds"] > 0 and figures["seconds"]["total"] > 0
    code = cli_main(["train", str(data), "--target", "y", "--model", "mlp", "--set", "epochs=1", "--quiet",
                     "--out", str(tmp_path / "m.molstudio")])
    assert code == 0 and "Estimated time" not in capsys.readouterr().err  # --quiet: no notes
