"""Prediction keeps every row, in order, flags bad rows, and streams files."""

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table, logp_table
from rdkit import Chem

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.tables import reading as io
from molstudio.core.trained.predict import predict_file, predict_table
from molstudio.core.training.loop import run_to_end


@pytest.fixture(scope="module")
def logp_model():
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [32]}, features=["morgan_count(size=512)", "rdkit2d"])
    cfg.training = {"epochs": 30, "patience": 0}
    return run_to_end(cfg, logp_table()).model


def _new_table():
    smiles = ["CCO", "not a smiles", "c1ccccc1", "", "CCCCCCCC", "C1CC", "OCCO"] * 5
    return pd.DataFrame({"name": [f"n{i}" for i in range(len(smiles))], "smiles": smiles,
                         "assay": np.arange(len(smiles), dtype=float)})


def test_predict_table_keeps_rows_in_place_and_flags_bad_ones(logp_model):
    frame = _new_table()
    out = predict_table(logp_model, frame)
    assert list(out["name"]) == list(frame["name"])
    assert list(out.columns[:3]) == ["name", "smiles", "assay"]
    bad = out["not_predicted_because"] != ""
    assert list(bad[:7]) == [False, True, False, True, False, True, False]
    assert out.loc[bad, "logp_predicted"].isna().all()
    assert out.loc[~bad, "logp_predicted"].notna().all()
    assert "empty" in out.loc[3, "not_predicted_because"]


def test_streamed_file_equals_in_memory_prediction(logp_model, tmp_path):
    frame = _new_table()
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    summary = predict_file(logp_model, src, out, chunk_rows=4)
    assert summary.rows == len(frame) and summary.flagged == 15
    streamed = pd.read_csv(out)
    direct = predict_table(logp_model, frame)
    np.testing.assert_allclose(streamed["logp_predicted"], direct["logp_predicted"], rtol=1e-5)
    assert list(streamed["name"]) == list(frame["name"])


@pytest.mark.parametrize("suffix", [".xlsx", ".sdf", ".tsv"])
def test_every_output_format_keeps_rows_and_columns(logp_model, tmp_path, suffix):
    frame = _new_table().head(7)
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    out = tmp_path / f"out{suffix}"
    predict_file(logp_model, src, out)
    back = io.read_table(out).frame
    assert len(back) == 7
    assert {"name", "assay", "logp_predicted", "not_predicted_because"} <= set(back.columns)
    assert list(back["name"]) == list(frame["name"])


def test_input_file_is_never_overwritten(logp_model, tmp_path):
    src = tmp_path / "in.csv"
    _new_table().to_csv(src, index=False)
    before = src.read_bytes()
    with pytest.raises(MolStudioError, match="overwrite the input"):
        predict_file(logp_model, src, src)
    assert src.read_bytes() == before


def test_sdf_input_is_predicted_from_its_molblocks(logp_model, tmp_path):
    src = tmp_path / "in.sdf"
    with Chem.SDWriter(str(src)) as w:
        for smi in ["CCO", "c1ccccc1"]:
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", smi)
            w.write(mol)
    out = tmp_path / "out.csv"
    predict_file(logp_model, src, out)
    back = pd.read_csv(out)
    assert back["logp_predicted"].notna().all()
    assert back.loc[1, "logp_predicted"] > back.loc[0, "logp_predicted"]


def test_descriptor_model_refuses_a_table_without_its_columns(tmp_path):
    model = run_to_end(RunConfig(model="linear", training={"epochs": 2}), descriptor_table(40)).model
    with pytest.raises(MolStudioError, match="f3"):
        predict_table(model, descriptor_table(5).drop(columns=["f3"]))
