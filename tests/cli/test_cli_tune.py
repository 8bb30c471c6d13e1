"""molstudio-cli tune: a stored, resumable search whose best settings `train --config` runs."""

from __future__ import annotations

import re

import optuna
from factories import descriptor_table

from molstudio.cli import main as cli_main

RUN = ["--target", "y", "--model", "mlp", "--set", "hidden_sizes=16", "--set", "epochs=5", "--device", "cpu"]


def test_tune_writes_best_settings_that_train_accepts_and_resumes(tmp_path, capsys):
    data = tmp_path / "assay.csv"
    descriptor_table(80).to_csv(data, index=False)
    best = tmp_path / "best.toml"
    assert cli_main(["tune", str(data), *RUN, "--trials", "2", "--quiet", "--out", str(best)]) == 0
    out = capsys.readouterr().out
    assert "2 trial(s) run (completed); best: trial" in out
    assert f"best run configuration written to {best}" in out
    assert (tmp_path / "assay.search.db").exists()  # the default storage: next to the data

    # a second call resumes the stored study 'assay-mlp': its trials are numbered on
    assert cli_main(["tune", str(data), *RUN, "--trials", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^trial 2: val rmse \d", out, re.M), out
    study = optuna.load_study(study_name="assay-mlp", storage=f"sqlite:///{tmp_path / 'assay.search.db'}")
    assert len(study.trials) == 3

    text = best.read_text()
    assert "[model]" in text and 'name = "mlp"' in text and "lr = " in text
    model = tmp_path / "best.molstudio"
    assert cli_main(["train", str(data), "--config", str(best), "--out", str(model), "--quiet"]) == 0
    assert model.exists()


def test_tune_refuses_a_bad_search_range_in_words(tmp_path, capsys):
    data = tmp_path / "assay.csv"
    descriptor_table(40).to_csv(data, index=False)
    code = cli_main(["tune", str(data), *RUN, "--trials", "1", "--search", "dropout=0.2..1.5"])
    assert code == 2
    assert "error: dropout = 1.5 is outside the allowed range 0 .. 0.9" in capsys.readouterr().err
    code = cli_main(["tune", str(data), *RUN, "--trials", "1", "--search", "lr"])
    assert code == 2
    assert "A search range needs NAME=LOW..HIGH" in capsys.readouterr().err
    assert not (tmp_path / "assay.search.db").exists()  # nothing stored before the settings were checked


def test_tune_scores_trials_by_cross_validation_when_asked(tmp_path, capsys):
    data = tmp_path / "assay.csv"
    descriptor_table(60).to_csv(data, index=False)
    assert cli_main(["tune", str(data), *RUN, "--trials", "1", "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^trial 0: 3-fold cv rmse \d", out, re.M), out
    assert "best: trial 0, 3-fold cross-validation rmse" in out
    assert cli_main(["tune", str(data), *RUN, "--trials", "1", "--folds", "1"]) == 2
    assert "Cross-validation needs 2 to 10 folds" in capsys.readouterr().err
