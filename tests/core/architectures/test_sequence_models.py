"""SMILES sequence models: tokenizer, randomized SMILES, vocabulary, padding, tasks, model files."""

import numpy as np
import pandas as pd
import pytest
import torch
from factories import SMILES, logp_table, rewrite_model_file
from rdkit import Chem
from rdkit.Chem import Descriptors

from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.smiles_tokens import (
    UNK,
    Vocabulary,
    randomized_smiles,
    tokenize,
)
from molstudio.core.inputs import make_inputs
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.trained.file import load_model, save_model
from molstudio.core.training.loop import run_to_end

SEQUENCE_MODELS = ["smiles_rnn", "smiles_cnn", "smiles_transformer"]
TINY = {
    "smiles_rnn": {"hidden_size": 16, "embed_dim": 8, "head_sizes": [16]},
    "smiles_cnn": {"filters": 8, "kernel_sizes": [3, 5], "layers": 2, "embed_dim": 8, "head_sizes": [16]},
    "smiles_transformer": {"layers": 1, "heads": 2, "feedforward": 16, "embed_dim": 8, "head_sizes": [16]},
}
LONG = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)OCC(COC(=O)CCCCCCCCCCCCCCC)OC(=O)c1ccc2ccccc2c1"


def _config(model, **hparams):
    cfg = RunConfig(model=model, hparams={**TINY[model], "augment": 2, "predict_augment": 2, **hparams})
    cfg.training = {"epochs": 3, "patience": 0, "batch_size": 16, "lr": 3e-3}
    return cfg


@pytest.fixture(scope="module")
def trained():
    frame = logp_table()
    return {m: run_to_end(_config(m), frame).model for m in SEQUENCE_MODELS}


# --- tokenizer -------------------------------------------------------------------------

def test_tokens_of_bracket_atoms_halogens_charges_and_stereo():
    assert tokenize("C[C@@H](Cl)c1ccc(Br)cc1") == [
        "C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "c", "(", "Br", ")", "c", "c", "1"]
    assert tokenize("[NH4+].[Cl-]") == ["[NH4+]", ".", "[Cl-]"]
    assert tokenize("[13CH3][O-]") == ["[13CH3]", "[O-]"]
    assert tokenize("F/C=C\\F") == ["F", "/", "C", "=", "C", "\\", "F"]
    assert tokenize("c1cc[nH]c1") == ["c", "1", "c", "c", "[nH]", "c", "1"]
    assert tokenize("ClCCl") == ["Cl", "C", "Cl"]
    assert tokenize("Sc1ccsc1") == ["S", "c", "1", "c", "c", "s", "c", "1"]  # S then aromatic c, not Sc
    assert tokenize("C#N") == ["C", "#", "N"]


def test_two_digit_ring_closures_are_one_token():
    tokens = tokenize("C%10CCCCC%10C%(123)CC%(123)")
    assert tokens.count("%10") == 2 and tokens.count("%(123)") == 2
    assert "1" not in tokens and "0" not in tokens


@pytest.mark.parametrize("smiles", SMILES + [
    "C[C@H](N)C(=O)O", "F/C=C/F", "[O-][N+](=O)c1ccccc1", "C%10CCCCC%10", "[2H]C([2H])([2H])O",
    "CC(C)(C)[Si](C)(C)O", "c1ccc2c(c1)[se]c1ccccc12", "[Na+].[Cl-]", "C1CC1 weird?", LONG,
])
def test_joining_tokens_gives_back_the_smiles_exactly(smiles):
    assert "".join(tokenize(smiles)) == smiles


def test_randomized_smiles_are_the_same_molecule_and_reproducible():
    for smiles in ["C[C@H](N)C(=O)Oc1ccc(Cl)cc1", "F/C=C/C(=O)O", "c1ccc2ccccc2c1CCBr"]:
        mol = Chem.MolFromSmiles(smiles)
        canonical = Chem.MolToSmiles(mol)
        variants = randomized_smiles(mol, 8, canonical)
        assert len(variants) == 8
        assert {Chem.MolToSmiles(Chem.MolFromSmiles(v)) for v in variants} == {canonical}
        assert randomized_smiles(mol, 8, canonical) == variants
        assert randomized_smiles(mol, 3, canonical) == variants[:3]
        assert len(set(variants)) > 1


def test_vocabulary_maps_unknown_tokens_and_refuses_hostile_lists():
    vocab = Vocabulary.fit([tokenize("CCO"), tokenize("CCN")])
    assert vocab.tokens[:3] == ["<pad>", "<unk>", "<cls>"]
    assert vocab.ids(["C", "[Se]"])[1] == vocab.index[UNK]
    assert Vocabulary.from_json(vocab.tokens).tokens == vocab.tokens
    for bad in ({"C": 1}, ["<pad>", "<unk>", "<cls>", 5], ["C", "O"], ["<pad>", "<unk>", "<cls>", "C", "C"],
                ["<pad>", "<unk>", "<cls>"] + [f"t{i}" for i in range(10**5)]):
        with pytest.raises((TypeError, ValueError)):
            Vocabulary.from_json(bad)


def test_long_smiles_are_cut_at_max_length():
    inputs = make_inputs("tokens", [], {"augment": 0, "max_length": 10})
    mols = [Chem.MolFromSmiles(s) for s in ("CCO", LONG)]
    encoded = inputs.encode(mols, [Chem.MolToSmiles(m) for m in mols], None, None)
    inputs.fit(encoded, 2)
    stored = inputs.to_device(encoded, torch.device("cpu"))
    assert stored.ids.shape == (2, 1, 11)  # <cls> + 10 tokens
    assert stored.lengths[:, 0].tolist() == [4, 11]
    assert inputs.views() == 1


def test_training_draws_among_variants_and_prediction_reads_each_view():
    inputs = make_inputs("tokens", [], {"augment": 3, "predict_augment": 2})
    mols = [Chem.MolFromSmiles(s) for s in ("OC(=O)c1ccccc1Cl", "CCO")]
    keys = [Chem.MolToSmiles(m) for m in mols]
    encoded = inputs.encode(mols, keys, None, None)
    assert [len(v) for v in encoded.smiles] == [4, 4]  # canonical + 3 randomized
    inputs.fit(encoded, 2)
    stored = inputs.to_device(encoded, torch.device("cpu"))
    idx = torch.tensor([0])
    torch.manual_seed(0)
    drawn = {tuple(inputs.batch(stored, idx, None).tokens[0].tolist()) for _ in range(60)}
    variants = [tuple(stored.ids[0, v, : stored.lengths[0, v]].long().tolist()) for v in range(4)]
    assert drawn == set(variants)
    assert inputs.views() == 3
    for view in range(3):
        assert tuple(inputs.batch(stored, idx, view).tokens[0].tolist()) == variants[view]
    # once fitted, only the variants the prediction averages are written
    assert [len(v) for v in inputs.encode(mols, keys, None, None).smiles] == [3, 3]


# --- training and prediction -----------------------------------------------------------

@pytest.mark.parametrize("model", SEQUENCE_MODELS)
def test_padding_does_not_change_a_prediction(trained, model):
    tm = trained[model]
    alone = tm.predict_frame(pd.DataFrame({"smiles": ["CCO"]}))["logp_predicted"].iloc[0]
    pair = tm.predict_frame(pd.DataFrame({"smiles": ["CCO", LONG]}))["logp_predicted"].iloc[0]
    # more rows than one evaluation chunk: the long-SMILES path of the network
    crowd = tm.predict_frame(pd.DataFrame({"smiles": ["CCO"] + [LONG] * 150}))["logp_predicted"].iloc[0]
    assert pair == pytest.approx(alone, abs=1e-5)
    assert crowd == pytest.approx(alone, abs=1e-5)


def test_unknown_tokens_at_prediction_become_unk():
    frame = logp_table().assign(split="train")
    frame.loc[frame["smiles"].str.contains("Br"), "split"] = "test"
    cfg = _config("smiles_cnn")
    cfg.split = SplitConfig(method="column", column="split")
    model = run_to_end(cfg, frame).model
    assert "Br" not in model.inputs.vocabulary.tokens  # fitted on the training rows only
    pred = model.predict_frame(pd.DataFrame({"smiles": ["Brc1ccccc1", "c1ccc2c(c1)[se]c1ccccc12", "CCO"]}))
    assert np.isfinite(pred["logp_predicted"].to_numpy(dtype=float)).all()
    assert (pred["not_predicted_because"] == "").all()


@pytest.mark.parametrize("model", SEQUENCE_MODELS)
def test_regression_learns(model):
    cfg = _config(model)
    cfg.training.update(epochs=25, lr=1e-2)
    final = run_to_end(cfg, logp_table())
    losses = [h["train_loss"] for h in final.history]
    assert losses[-1] < 0.7 * losses[0]
    assert np.isfinite(final.test_pred).all()


@pytest.mark.parametrize("model", SEQUENCE_MODELS)
def test_classification_and_multitask_with_missing_labels(model):
    frame = logp_table()
    frame["has_ring"] = [int(any(ch.isdigit() for ch in s)) for s in frame["smiles"]]
    final = run_to_end(_config(model), frame[["smiles", "has_ring"]])
    assert final.model.task == "classification"
    prob = final.model.predict_frame(frame)["has_ring_probability"].to_numpy(dtype=float)
    assert ((prob >= 0) & (prob <= 1)).all()

    multi = frame.copy()
    multi["weight"] = [Descriptors.MolWt(Chem.MolFromSmiles(s)) / 100 for s in multi["smiles"]]
    multi.loc[::3, "weight"] = np.nan
    multi.loc[1::3, "logp"] = np.nan
    cfg = _config(model)
    cfg.targets = ["logp", "weight"]
    final = run_to_end(cfg, multi)
    out = final.model.predict_frame(multi)
    assert np.isfinite(out[["logp_predicted", "weight_predicted"]].to_numpy(dtype=float)).all()
    assert np.isfinite(final.metrics["train"]["rmse"])


# --- model files -----------------------------------------------------------------------

@pytest.mark.parametrize("model", SEQUENCE_MODELS)
def test_round_trip_gives_identical_predictions(trained, model, tmp_path):
    tm = trained[model]
    frame = logp_table()
    again = load_model(save_model(tm, tmp_path / f"{model}.molstudio"))
    assert again.inputs.vocabulary.tokens == tm.inputs.vocabulary.tokens
    np.testing.assert_array_equal(tm.predict_frame(frame)["logp_predicted"].to_numpy(),
                                  again.predict_frame(frame)["logp_predicted"].to_numpy())


def test_hostile_vocabulary_or_settings_are_refused(trained, tmp_path):
    good = save_model(trained["smiles_rnn"], tmp_path / "good.molstudio")
    hostile = {
        "not_a_list": lambda m: m["inputs"].update(vocabulary={"C": 0}),
        "not_strings": lambda m: m["inputs"].update(vocabulary=["<pad>", "<unk>", "<cls>", {"x": 1}]),
        "enormous": lambda m: m["inputs"].update(vocabulary=["<pad>", "<unk>", "<cls>"] + ["C"] * 200000),
        "missing": lambda m: m["inputs"].pop("vocabulary"),
        "variants": lambda m: m["hparams"].update(predict_augment=10**9),
    }
    for name, edit in hostile.items():
        with pytest.raises(MolStudioError):
            load_model(rewrite_model_file(good, tmp_path / f"{name}.molstudio", edit))
