"""Applicability domain: nearest-training similarity, the validation threshold, the model file."""

import zipfile

import numpy as np
import pandas as pd
import pytest
from factories import SMILES, logp_table, rewrite_model_file
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.training.loop import run_to_end
from molstudio.core.uncertainty import domain

MOLS = [Chem.MolFromSmiles(s) for s in SMILES]


def _rdkit_nearest(query, train):
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fps = [gen.GetFingerprint(m) for m in train]
    return np.array([max(DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(q), fps)) for q in query])


def test_nearest_similarity_is_rdkits_tanimoto_to_the_closest_training_compound():
    query, train = MOLS[:20], MOLS[20:]
    ours = domain.nearest_similarity(domain.fingerprints(query), domain.fingerprints(train))
    assert np.allclose(ours, _rdkit_nearest(query, train), atol=1e-6)


def test_without_validation_compounds_each_training_compound_is_scored_against_the_others():
    packed = domain.fingerprints(MOLS)
    loo = domain.nearest_similarity(packed, packed, exclude=np.arange(len(packed)))
    expected = [_rdkit_nearest([m], MOLS[:i] + MOLS[i + 1:])[0] for i, m in enumerate(MOLS)]
    assert np.allclose(loo, expected, atol=1e-6)
    fitted, _ = domain.fit_domain(MOLS, [])
    assert fitted.threshold == pytest.approx(np.percentile(expected, 5))


def test_a_large_training_set_is_subsampled_the_same_way_every_time(monkeypatch):
    monkeypatch.setattr(domain, "MAX_COMPOUNDS", 10)
    first, _ = domain.fit_domain(MOLS, MOLS[:5])
    again, _ = domain.fit_domain(MOLS, MOLS[:5])
    assert first.fingerprints.shape == (10, 256) and first.total == len(MOLS)
    assert np.array_equal(first.fingerprints, again.fingerprints)
    assert first.manifest()["training_compounds"] == len(MOLS)


@pytest.fixture(scope="module")
def trained():
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [16], "dropout": 0.1})
    cfg.training = {"epochs": 4, "patience": 0, "batch_size": 16}
    frame = logp_table()
    return frame, run_to_end(cfg, frame)


def test_the_threshold_is_the_5th_percentile_of_the_validation_similarities(trained):
    frame, final = trained
    train_rows = np.setdiff1d(np.arange(len(frame)), np.concatenate([final.val_rows, final.test_rows]))
    val = _rdkit_nearest([MOLS[i] for i in final.val_rows], [MOLS[i] for i in train_rows])
    model = final.model
    assert model.domain.fingerprints.shape == (len(train_rows), 256)
    assert model.domain.threshold == pytest.approx(np.percentile(val, 5))
    out = model.predict_frame(frame.iloc[final.val_rows])
    assert np.allclose(out["nearest_training_similarity"], val, atol=1e-6)
    assert list(out["in_domain"]) == list(val >= model.domain.threshold)


def test_the_model_file_keeps_the_domain_and_the_calibration(trained, tmp_path):
    frame, final = trained
    path = save_model(final.model, tmp_path / "m.molstudio")
    manifest = read_manifest(path)
    assert manifest["domain"]["rule"] == domain.RULE
    assert manifest["tensors"]["domain.fingerprints"] == {"shape": [len(final.model.domain.fingerprints), 256],
                                                          "dtype": "uint8"}
    query = pd.DataFrame({"smiles": ["CCCCCCO", "O=C(Nc1ccc2[nH]c3ccccc3c2c1)c1cnccn1", "C1CC"]})
    pd.testing.assert_frame_equal(load_model(path).predict_frame(query), final.model.predict_frame(query))
    assert load_model(path).predict_frame(query, mc_dropout=True).equals(final.model.predict_frame(query, mc_dropout=True))


def _weights(path):
    with zipfile.ZipFile(path) as zf:
        return st_load(zf.read("weights.safetensors"))


def test_a_fingerprint_tensor_of_the_wrong_shape_is_refused(trained, tmp_path):
    path = save_model(trained[1].model, tmp_path / "m.molstudio")
    tensors = _weights(path)
    tensors["domain.fingerprints"] = np.ascontiguousarray(tensors["domain.fingerprints"][:, :128])

    def declare(m):
        m["tensors"]["domain.fingerprints"]["shape"][1] = 128

    rewrite_model_file(path, tmp_path / "bad.molstudio", manifest_edit=declare, weights=st_save(tensors))
    with pytest.raises(MolStudioError, match=r"'domain.fingerprints' is uint8 of shape \[\d+, 128\]"):
        load_model(tmp_path / "bad.molstudio")
    rewrite_model_file(path, tmp_path / "bad2.molstudio", weights=st_save(tensors))  # manifest left as it was
    with pytest.raises(MolStudioError, match=r"damaged or was altered: the weight 'domain.fingerprints' has shape"):
        load_model(tmp_path / "bad2.molstudio")


def test_a_domain_record_without_its_fingerprints_and_uint8_weights_are_refused(trained, tmp_path):
    path = save_model(trained[1].model, tmp_path / "m.molstudio")
    tensors = _weights(path)
    del tensors["domain.fingerprints"]
    rewrite_model_file(path, tmp_path / "a.molstudio", weights=st_save(tensors),
                       manifest_edit=lambda m: m["tensors"].pop("domain.fingerprints"))
    with pytest.raises(MolStudioError, match="describes an applicability domain but declares no"):
        load_model(tmp_path / "a.molstudio")
    name = next(k for k in tensors if k.startswith("member0."))
    tensors[name] = tensors[name].astype(np.uint8)

    def as_uint8(m):
        m["tensors"][name]["dtype"] = "uint8"

    rewrite_model_file(path, tmp_path / "b.molstudio", weights=st_save({**_weights(path), name: tensors[name]}),
                       manifest_edit=as_uint8)
    with pytest.raises(MolStudioError, match="as uint8, which no network weight is"):
        load_model(tmp_path / "b.molstudio")


def test_an_altered_threshold_or_calibration_is_refused(trained, tmp_path):
    path = save_model(trained[1].model, tmp_path / "m.molstudio")
    edits = {
        "threshold": (lambda m: m["domain"].update(threshold=7.5), "not a similarity between 0 and 1"),
        "k": (lambda m: m["uncertainty"]["methods"]["residual"].update(k=[1.0, 2.0]), "needs 1 value"),
        "method": (lambda m: m["uncertainty"]["methods"].update(ensemble=m["uncertainty"]["methods"]["residual"]),
                   "names 'ensemble', which a model of 1 network"),
    }
    for name, (edit, message) in edits.items():
        rewrite_model_file(path, tmp_path / f"{name}.molstudio", manifest_edit=edit)
        with pytest.raises(MolStudioError, match=message):
            load_model(tmp_path / f"{name}.molstudio")
