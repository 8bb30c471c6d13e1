"""Featurizers and the robust scaling fitted on training rows only."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molstudio.core.errors import MolStudioError
from molstudio.core.featurize.featurizers import (
    FEATURIZERS,
    FeatureCache,
    parse_feature_specs,
)
from molstudio.core.featurize.pipeline import Z_CLIP, FeaturePipeline


def _mols(smiles):
    return [Chem.MolFromSmiles(s) for s in smiles]


def test_registry_lists_the_fingerprints_descriptors_and_columns():
    assert {"morgan_count", "morgan_bits", "rdkit2d", "columns"} <= set(FEATURIZERS.names())


def test_spec_text_with_parameters():
    specs = parse_feature_specs("morgan_bits(radius=3,size=512),rdkit2d")
    assert specs[0] == {"name": "morgan_bits", "radius": 3, "size": 512}
    assert specs[1] == {"name": "rdkit2d"}
    with pytest.raises(MolStudioError, match="Unknown featurizer"):
        parse_feature_specs("ecfp99")
    with pytest.raises(MolStudioError, match="outside the allowed range"):
        parse_feature_specs("morgan_count(radius=40)")


def test_morgan_counts_and_bits():
    pipe = FeaturePipeline(parse_feature_specs("morgan_count(size=256),morgan_bits(size=256)"))
    mols = _mols(["CCO", "CCCCCCCCCC"])
    x = pipe.compute(mols, ["CCO", "CCCCCCCCCC"], None, cache=None)
    assert x.shape == (2, 512)
    counts, bits = x[:, :256], x[:, 256:]
    assert counts[1].max() > 1  # the CH2 environment occurs many times in decane
    assert set(np.unique(bits)) <= {0.0, 1.0}


def test_rows_without_molecule_come_out_nan_not_crash():
    pipe = FeaturePipeline(parse_feature_specs("rdkit2d"))
    x = pipe.compute([Chem.MolFromSmiles("CCO"), None], ["CCO", None], None, cache=None)
    assert np.isnan(x[1]).all() and np.isfinite(x[0]).sum() > 100


def test_scaling_is_bounded_for_tiny_spread_and_extreme_test_values():
    pipe = FeaturePipeline([{"name": "columns", "columns": "a,b,c"}])
    train = np.array([[1.0, 5.0, 0.0], [1.0 + 1e-12, 6.0, 0.0], [1.0, 7.0, np.nan], [1.0, 8.0, 0.0]], np.float32)
    pipe.fit(train)
    test = np.array([[1e9, 1e12, np.inf], [-1e9, np.nan, -np.inf]], np.float32)
    out = pipe.transform(test)
    assert np.isfinite(out).all()
    assert np.abs(out).max() <= Z_CLIP
    assert (out[:, 0] == 0).all()  # constant in training: carries no information


def test_scaler_uses_training_rows_only():
    pipe = FeaturePipeline([{"name": "columns", "columns": "a"}])
    pipe.fit(np.array([[0.0], [1.0], [2.0], [3.0], [4.0]], np.float32))
    assert pipe.stats["median"][0] == 2.0
    assert pipe.transform(np.array([[2.0]], np.float32))[0, 0] == 0.0


def test_descriptor_columns_missing_from_a_new_table_are_named():
    pipe = FeaturePipeline([{"name": "columns", "columns": "f1,f2"}])
    with pytest.raises(MolStudioError, match="f2"):
        pipe.compute([None], [None], pd.DataFrame({"f1": [1.0]}), cache=None)


def test_cache_serves_molecules_seen_before():
    cache = FeatureCache()
    pipe = FeaturePipeline(parse_feature_specs("morgan_count(size=128)"))
    smiles = ["CCO", "c1ccccc1"]
    first = pipe.compute(_mols(smiles), smiles, None, cache)
    assert cache.misses == 2 and cache.hits == 0
    again = pipe.compute(_mols(smiles), smiles, None, cache)
    assert cache.hits == 2
    assert np.array_equal(first, again)


def test_cache_is_bounded():
    cache = FeatureCache(max_bytes=3 * 128 * 4)
    for i in range(10):
        cache.put("k", f"s{i}", np.zeros(128, np.float32))
    assert cache.get("k", "s0") is None
    assert cache.get("k", "s9") is not None


def test_parallel_descriptors_equal_serial(monkeypatch):
    from factories import SMILES

    from molstudio.core.featurize.featurizers import RDKit2D, _descriptor_rows

    monkeypatch.setattr(RDKit2D, "parallel_threshold", 10)
    mols = _mols(SMILES)
    parallel = RDKit2D().compute(mols)
    serial = _descriptor_rows([Chem.MolToSmiles(m) for m in mols])
    np.testing.assert_allclose(parallel, serial, equal_nan=True)
