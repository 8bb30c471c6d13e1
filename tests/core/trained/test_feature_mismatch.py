"""Predicting on a table whose features do not match the model is refused, naming what
differs (in memory and streamed from a file alike), never silently wrong; a model file whose
features and weights disagree is refused when it is opened, naming both sizes."""

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table, logp_table, rewrite_model_file

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, save_model
from molstudio.core.trained.predict import predict_file, predict_table
from molstudio.core.training.loop import run_to_end

# a bad file, a bad value or a fault, as users meet them: `pytest -m robustness` runs these alone
pytestmark = pytest.mark.robustness


@pytest.fixture(scope="module")
def descriptor_model():
    """A linear model on the table's own columns f1..f4."""
    return run_to_end(RunConfig(model="linear", training={"epochs": 2}), descriptor_table(60)).model


@pytest.fixture(scope="module")
def structure_model():
    """A linear model on 128-bit Morgan fingerprints of the 'smiles' column."""
    config = RunConfig(model="linear", features=["morgan_bits(size=128)"], training={"epochs": 2})
    return run_to_end(config, logp_table(30)).model


def _both_refuse(model, frame, tmp_path, *phrases):
    """In-memory prediction and streamed prediction of the same table give the same refusal,
    and no output file is written."""
    with pytest.raises(MolStudioError) as direct:
        predict_table(model, frame)
    source, out = tmp_path / "new.csv", tmp_path / "predicted.csv"
    frame.to_csv(source, index=False)
    with pytest.raises(MolStudioError) as streamed:
        predict_file(model, source, out, chunk_rows=7)
    assert not out.exists()
    assert str(streamed.value) == str(direct.value)
    for phrase in phrases:
        assert phrase in str(direct.value), str(direct.value)
    return str(direct.value)


def test_missing_descriptor_columns_are_named(descriptor_model, tmp_path):
    frame = descriptor_table(10).drop(columns=["f2", "f3"]).rename(columns={"f4": "solubility"})
    message = _both_refuse(descriptor_model, frame, tmp_path,
                           "lacks 3 of the 4 descriptor column(s) the model was trained on: 'f2', 'f3', 'f4'",
                           "Add these columns (same names, same units)")
    assert "similarly named" not in message


def test_similarly_named_columns_are_suggested(descriptor_model, tmp_path):
    frame = descriptor_table(10).rename(columns={"f1": "F1", "f2": "f-2", "f3": "f_3"})
    message = _both_refuse(descriptor_model, frame, tmp_path,
                           "lacks 3 of the 4 descriptor column(s) the model was trained on: 'f1', 'f2', 'f3'.",
                           "The table has similarly named columns ('F1' for 'f1'; 'f-2' for 'f2'; 'f_3' for 'f3')",
                           "rename them")
    assert "'f4'" not in message.splitlines()[0]


def test_another_number_of_fingerprint_columns_is_refused(tmp_path):
    """A table's own fingerprint bits as descriptors: 128 columns in training, 64 in the new table."""
    rng = np.random.default_rng(1)
    bits = pd.DataFrame(rng.integers(0, 2, (40, 128)), columns=[f"fp_{i}" for i in range(128)])
    train = bits.assign(y=bits.iloc[:, :8].sum(axis=1) + rng.normal(0, 0.1, 40))
    model = run_to_end(RunConfig(model="linear", training={"epochs": 1}), train).model
    message = _both_refuse(model, bits.iloc[:, :64], tmp_path,
                           "lacks 64 of the 128 descriptor column(s) the model was trained on: 'fp_64', 'fp_65'",
                           "'fp_71' and 56 more")
    assert "similarly named" not in message  # fp_6 is no stand-in for fp_64: the model reads both


def test_a_descriptor_column_without_numbers_is_refused(descriptor_model, tmp_path):
    frame = descriptor_table(10)
    frame["f3"] = ["high", "low"] * 5
    _both_refuse(descriptor_model, frame, tmp_path,
                 "The descriptor column 'f3' of the table to predict holds no numbers (e.g. 'high')")


def test_rows_whose_descriptor_is_text_are_flagged_not_guessed(descriptor_model, tmp_path):
    frame = descriptor_table(8)
    frame["f2"] = frame["f2"].astype(object)
    frame.loc[2, "f2"] = "pending"
    frame.loc[5, "f2"] = np.nan  # an empty value is filled as in training
    out = predict_table(descriptor_model, frame)
    flagged = out["not_predicted_because"]
    assert flagged[2] == "the descriptor 'f2' is not a number: 'pending'"
    assert np.isnan(out.loc[2, "y_predicted"])
    assert (flagged.drop(index=2) == "").all() and out["y_predicted"].drop(index=2).notna().all()
    source = tmp_path / "new.csv"
    frame.to_csv(source, index=False)
    predict_file(descriptor_model, source, tmp_path / "out.csv", chunk_rows=3)
    streamed = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(streamed["not_predicted_because"]) == list(flagged)


def test_a_table_without_structures_is_refused_for_a_structure_model(structure_model, tmp_path):
    frame = pd.DataFrame({"compound_id": ["A1", "A2", "A3"], "assay": [1.0, 2.0, 3.0]})
    _both_refuse(structure_model, frame, tmp_path,
                 "The model predicts from each compound's structure, and the table to predict has no column "
                 "of SMILES or structures (its columns: 'compound_id', 'assay')",
                 "trained on the structures of a column named 'smiles'")


def test_structures_under_another_column_name_are_found(structure_model):
    frame = logp_table(10).rename(columns={"smiles": "Canonical SMILES"})
    out = predict_table(structure_model, frame)
    assert out["logp_predicted"].notna().all()


def _fingerprint_size(size, *, features=True, config=True, count=True):
    def edit(manifest):
        if features:
            manifest["features"][0]["size"] = size
        if config:
            manifest["config"]["data"]["features"] = [f"morgan_bits(radius=2,size={size})"]
        if count:
            manifest["inputs"]["feature_count"] = size

    return edit


def test_a_model_file_whose_fingerprint_size_disagrees_with_its_weights_is_refused(structure_model, tmp_path):
    good = save_model(structure_model, tmp_path / "fp.molstudio")
    path = rewrite_model_file(good, tmp_path / "fp1024.molstudio", _fingerprint_size(256))
    with pytest.raises(MolStudioError) as caught:
        load_model(path)
    message = str(caught.value)
    assert "fp1024.molstudio is damaged or was altered" in message
    assert ("the weight 'member0.weight' has shape [1, 128], but the 'linear' network with its settings and its "
            "features (morgan_bits(radius=2, size=256): 256 values per compound) needs [1, 256]") in message


@pytest.mark.parametrize("changed, phrase", [
    ({"config": False, "count": False}, "'features' (morgan_bits(radius=2, size=256)) differ from its run "
                                        "configuration's (morgan_bits(radius=2, size=128))"),
    ({"count": False}, "its features (morgan_bits(radius=2, size=256)) give 256 values per compound, but the "
                       "manifest's 'inputs.feature_count' says 128"),
])
def test_a_model_file_whose_fingerprint_size_disagrees_with_itself_is_refused(structure_model, tmp_path, changed,
                                                                               phrase):
    good = save_model(structure_model, tmp_path / "fp.molstudio")
    with pytest.raises(MolStudioError) as caught:
        load_model(rewrite_model_file(good, tmp_path / "odd.molstudio", _fingerprint_size(256, **changed)))
    assert phrase in str(caught.value)
