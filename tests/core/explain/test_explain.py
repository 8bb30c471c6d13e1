"""Atom contributions (issue 6): every architecture credits the atoms its target depends on,
the numbers are the model's own prediction, and the pictures are valid files."""

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from factories import (
    SMALL_ARCHITECTURES,
    descriptor_table,
    nitrogen_count_table,
    nitrogen_table,
)
from rdkit import Chem

from molstudio.core.architectures import MODELS
from molstudio.core.errors import MolStudioError
from molstudio.core.explain.atoms import (
    atom_contributions,
    draw_contributions,
    write_contributions,
)
from molstudio.core.explain.masking import masked_features
from molstudio.core.featurize.featurizers import make_featurizer
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.training.loop import run_to_end

SMALL = SMALL_ARCHITECTURES
# compounds the models never saw, each with nitrogen, from the same recipe
UNSEEN = [s for s in nitrogen_count_table(30, seed=1).smiles if "N" in s][:6]


def _train(name, frame, target, features=None, task="regression", epochs=40, hparams=None, **training):
    if features is None:
        features = ["morgan_count(size=512)"] if MODELS.get(name).input_kind == "vector" else ["none"]
    cfg = RunConfig(model=name, targets=[target], features=features, task=task,
                    hparams=SMALL[name] if hparams is None else hparams, split=SplitConfig(sizes=(1.0, 0.0, 0.0)),
                    training={"epochs": epochs, "lr": 3e-3, "batch_size": 8, "patience": 0, "seed": 0,
                              "device": "cpu", **training})
    return run_to_end(cfg, frame).model


@pytest.fixture(scope="module")
def mlp_model():
    return _train("mlp", nitrogen_count_table(), "n_nitrogen")


def test_every_architecture_is_explained_here():
    assert set(MODELS.names()) == set(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_nitrogen_atoms_carry_a_nitrogen_count(name):
    model = _train(name, nitrogen_count_table(), "n_nitrogen")
    for smiles in UNSEEN:
        c = atom_contributions(model, smiles)
        elements = np.array([a.GetSymbol() for a in Chem.MolFromSmiles(smiles).GetAtoms()])
        assert len(c.weights) == len(elements)
        assert elements[np.argmax(c.weights)] == "N", f"{name}: {smiles} {np.round(c.weights, 2)}"
        assert c.weights[elements == "N"].mean() > c.weights[elements == "C"].mean()
        # the weights are the model's own prediction, taken apart
        predicted = model.predict_frame(pd.DataFrame({"smiles": [smiles]}))["n_nitrogen_predicted"].iloc[0]
        assert c.prediction == pytest.approx(predicted, abs=1e-5)
    assert c.method.startswith("change in the predicted n_nitrogen when each atom is masked")


def test_sequence_models_mask_every_smiles_they_average():
    model = _train("smiles_cnn", nitrogen_count_table(), "n_nitrogen", epochs=15,
                   hparams={**SMALL["smiles_cnn"], "augment": 3, "predict_augment": 3})
    assert model.inputs.views() == 4
    smiles = UNSEEN[0]
    c = atom_contributions(model, smiles)
    predicted = model.predict_frame(pd.DataFrame({"smiles": [smiles]}))["n_nitrogen_predicted"].iloc[0]
    assert c.prediction == pytest.approx(predicted, abs=1e-5)
    assert np.all(c.weights != 0)  # every atom was masked in the SMILES read


def test_default_features_with_descriptors_are_explained():
    model = _train("mlp", nitrogen_count_table(60), "n_nitrogen", features=["morgan_count", "rdkit2d"], epochs=5)
    c = atom_contributions(model, "CCNCCO")
    assert np.isfinite(c.weights).all() and len(c.weights) == 6
    assert "descriptors recomputed with it as an unspecified atom" in c.method
    assert c.prediction == pytest.approx(
        model.predict_frame(pd.DataFrame({"smiles": ["CCNCCO"]}))["n_nitrogen_predicted"].iloc[0], abs=1e-5)


def test_an_ensemble_averages_its_networks():
    model = _train("mlp", nitrogen_count_table(60), "n_nitrogen", epochs=5, ensemble=2)
    both = atom_contributions(model, "CCNCC(C)O").weights
    each = [atom_contributions(dataclasses.replace(model, networks=[net]), "CCNCC(C)O").weights
            for net in model.networks]
    np.testing.assert_allclose(both, np.mean(each, axis=0), atol=1e-6)


def test_a_fingerprint_loses_exactly_the_environments_of_the_masked_atom():
    mol = Chem.MolFromSmiles("CCN")
    counts = make_featurizer({"name": "morgan_count", "radius": 1, "size": 2048})
    rows = masked_features([counts], mol, None)
    # radius 0: the three atoms; radius 1: each atom with its neighbours. The middle carbon is in
    # four of the six environments, each end atom in three (its own two and the middle carbon's)
    assert rows[0].sum() == 6
    assert rows[1].sum() == 3 and rows[3].sum() == 3
    assert rows[2].sum() == 2
    bits = make_featurizer({"name": "morgan_bits", "radius": 1, "size": 2048})
    assert set(np.unique(masked_features([bits], mol, None))) <= {0.0, 1.0}


def test_classification_contributions_are_changes_in_probability():
    model = _train("mlp", nitrogen_table(), "has_n", task="classification", epochs=20)
    c = atom_contributions(model, "CCCN")
    assert c.method.startswith("change in the predicted probability that has_n is '1'")
    assert 0.0 <= c.prediction <= 1.0


def test_what_cannot_be_explained_is_said_in_words(mlp_model):
    with pytest.raises(MolStudioError, match=r"Cannot read the structure 'C1CC\(C'"):
        atom_contributions(mlp_model, "C1CC(C")
    with pytest.raises(MolStudioError, match="does not predict 'logS'; it predicts n_nitrogen"):
        atom_contributions(mlp_model, "CCN", target="logS")
    columns_only = _train("mlp", descriptor_table(40), "y", features=["columns"], epochs=2,
                          hparams={"hidden_sizes": [8]})
    with pytest.raises(MolStudioError, match="reads only the descriptor columns"):
        atom_contributions(columns_only, "CCN")


def test_a_model_that_also_reads_descriptor_columns_needs_their_values():
    frame = nitrogen_count_table(40).assign(mw=lambda f: f.smiles.str.len().astype(float))
    cfg = RunConfig(model="mlp", targets=["n_nitrogen"], features=["morgan_count(size=256)", "columns"],
                    descriptor_columns=["mw"], hparams={"hidden_sizes": [8]},
                    split=SplitConfig(sizes=(1.0, 0.0, 0.0)), training={"epochs": 3, "device": "cpu"})
    model = run_to_end(cfg, frame).model
    with pytest.raises(MolStudioError, match="also reads the descriptor column"):
        atom_contributions(model, "CCNCC")
    c = atom_contributions(model, "CCNCC", descriptors={"mw": 5.0})
    expected = model.predict_frame(pd.DataFrame({"smiles": ["CCNCC"], "mw": [5.0]}))["n_nitrogen_predicted"].iloc[0]
    assert c.prediction == pytest.approx(expected, abs=1e-5)


def test_pictures_are_valid_svg_and_png_files(mlp_model, tmp_path):
    c = atom_contributions(mlp_model, "CCNCC(=O)O")
    svg = draw_contributions(c, size=(300, 200))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and root.get("width") == "300px"
    png = draw_contributions(c, fmt="png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert write_contributions(c, tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")
    ET.parse(write_contributions(c, tmp_path / "c.SVG"))
    one_atom = atom_contributions(mlp_model, "N")  # too small for a similarity map: still a picture
    assert draw_contributions(one_atom, fmt="png").startswith(b"\x89PNG")
    with pytest.raises(MolStudioError, match="End the file name with .svg or .png"):
        write_contributions(c, tmp_path / "c.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.SVG", "c.png"]  # nothing half-written
