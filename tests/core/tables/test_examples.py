"""Tests of molstudio.core.tables.examples: the built-in datasets a first-time user starts from."""

import numpy as np
import pytest

from molstudio.core import chem
from molstudio.core.errors import MolStudioError
from molstudio.core.tables import examples
from molstudio.core.tables import reading as io


def _formula(frame):
    f1, f2, f3, f4 = (frame[c].to_numpy() for c in ("f1", "f2", "f3", "f4"))
    return 5 + 3 * np.sin(2 * np.pi * f1) + 4 * f2 * f3 - 6 * (f4 - 0.4) ** 2


def test_tutorial_shape_and_ranges():
    frame = examples.tutorial_dataset()
    assert list(frame.columns) == ["f1", "f2", "f3", "f4", "y"]
    assert len(frame) == 800
    features = frame[["f1", "f2", "f3", "f4"]].to_numpy()
    assert features.min() >= 0 and features.max() <= 1


def test_tutorial_follows_its_formula_with_the_stated_noise():
    frame = examples.tutorial_dataset(n=4000, seed=3)
    formula = _formula(frame)
    design = np.column_stack([np.ones_like(formula), formula])
    coef, *_ = np.linalg.lstsq(design, frame["y"].to_numpy(), rcond=None)
    residual = frame["y"].to_numpy() - design @ coef
    assert coef[1] == pytest.approx(1.0, abs=0.02)
    assert residual.std() == pytest.approx(0.3, abs=0.05)


def test_tutorial_is_reproducible_per_seed():
    a, b = examples.tutorial_dataset(seed=1), examples.tutorial_dataset(seed=1)
    assert a.equals(b)
    assert not a.equals(examples.tutorial_dataset(seed=2))
    assert len(examples.tutorial_dataset(n=50)) == 50


def test_chembl_binding_dataset():
    frame = examples.chembl_binding_dataset()
    assert list(frame.columns) == ["compound_id", "smiles", "activity"]
    assert len(frame) == 1017
    assert frame["compound_id"].iloc[0] == "1520012"
    assert frame["compound_id"].is_unique
    assert frame["activity"].dtype == float and frame["activity"].notna().all()
    assert 3 < frame["activity"].min() and frame["activity"].max() < 12  # pIC50-like
    assert all(e is None for e in chem.parse_structures(frame["smiles"].iloc[::20]).errors)


def test_missing_rdkit_contrib_data_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(examples, "_freewilson_dir", lambda: tmp_path)
    with pytest.raises(MolStudioError, match="Contrib"):
        examples.chembl_binding_dataset()


def test_registry_titles_and_descriptions():
    assert set(examples.EXAMPLES) == {"tutorial", "chembl_binding"}
    assert examples.EXAMPLES["tutorial"].title == "Binding affinity tutorial (4 descriptors, 800 compounds)"
    for example in examples.EXAMPLES.values():
        assert example.title and example.description and "\n" not in example.description


def test_write_example_gives_a_readable_csv(tmp_path):
    path = tmp_path / "tutorial.csv"
    examples.write_example("tutorial", path)
    loaded = io.read_table(path)
    assert loaded.frame.shape == (800, 5)
    assert np.allclose(loaded.frame.to_numpy(), examples.tutorial_dataset().to_numpy())


def test_unknown_example_names_the_known_ones(tmp_path):
    with pytest.raises(MolStudioError, match="no example called 'nope'") as err:
        examples.write_example("nope", tmp_path / "x.csv")
    assert "tutorial" in str(err.value)
