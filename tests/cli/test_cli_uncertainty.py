"""Intervals, MC-dropout and the applicability domain from the command line."""

import pandas as pd
import pytest
from factories import logp_table

from molstudio.cli import main as cli_main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_unc")
    data = folder / "logp.csv"
    logp_table().to_csv(data, index=False)
    models = {}
    for dropout in (0.0, 0.2):
        out = folder / f"mlp_{dropout}.molstudio"
        assert cli_main(["train", str(data), "--target", "logp", "--model", "mlp", "--features", "morgan_count(size=256)",
                         "--set", "hidden_sizes=32", "--set", f"dropout={dropout}", "--set", "epochs=20",
                         "--set", "patience=0", "--seed", "0", "--out", str(out)]) == 0
        models[dropout] = out
    new = folder / "new.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1O", "[Si](C)(C)(C)[Si](C)(C)C", "C1CC("]}).to_csv(new, index=False)
    return models, new


def test_predict_reports_intervals_and_the_domain(trained, tmp_path, capsys):
    models, new = trained
    out = tmp_path / "pred.csv"
    assert cli_main(["predict", str(models[0.0]), str(new), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 of 3 predicted compounds are outside the model's applicability domain" in printed
    pred = pd.read_csv(out, keep_default_na=False)
    assert {"logp_lower", "logp_upper", "nearest_training_similarity", "in_domain"} <= set(pred.columns)
    assert "logp_uncertainty" not in pred.columns
    assert pred["in_domain"].astype(str).tolist() == ["True", "True", "False", ""]
    assert cli_main(["info", str(models[0.0])]) == 0
    info = capsys.readouterr().out
    assert "Domain:" in info and "Intervals:    90% prediction intervals" in info


def test_mc_dropout_adds_a_spread_and_needs_dropout(trained, tmp_path, capsys):
    models, new = trained
    out = tmp_path / "mc.csv"
    assert cli_main(["predict", str(models[0.2]), str(new), "--out", str(out), "--mc-dropout"]) == 0
    pred = pd.read_csv(out, keep_default_na=False)
    spread = pd.to_numeric(pred["logp_uncertainty"].iloc[:3])
    assert (spread > 0).all()
    assert cli_main(["predict", str(models[0.0]), str(new), "--out", str(tmp_path / "no.csv"), "--mc-dropout"]) == 2
    err = capsys.readouterr().err
    assert "MC-dropout needs a network with dropout" in err and not (tmp_path / "no.csv").exists()
