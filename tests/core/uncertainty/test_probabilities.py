"""A classifier's probabilities outside the applicability domain do not claim certainty."""

import numpy as np
import pandas as pd
import pytest
from factories import nitrogen_table

from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.training.loop import run_to_end
from molstudio.core.uncertainty.probabilities import temper, trust


def test_inside_the_domain_a_probability_is_kept_and_far_outside_it_becomes_the_class_share():
    sim = np.array([0.9, 0.4, 0.2, 0.0])
    w = trust(sim, threshold=0.4)
    assert w[0] == w[1] == 1.0 and 0.0 < w[2] < 1.0 and w[3] == 0.0
    prob = np.array([[0.99], [0.99], [0.99], [0.99]])
    tempered, spread = temper(prob, np.zeros_like(prob), sim, 0.4, np.array([0.3]))
    assert tempered[0, 0] == tempered[1, 0] == pytest.approx(0.99)
    assert 0.3 < tempered[2, 0] < 0.99 and tempered[3, 0] == pytest.approx(0.3)
    assert spread[0, 0] == 0.0 and spread[2, 0] > 0.1  # the doubt shows as a spread


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [32], "dropout": 0.0})
    cfg.training = {"epochs": 40, "patience": 0, "batch_size": 16, "lr": 1e-2, "ensemble": 3}
    final = run_to_end(cfg, nitrogen_table())
    path = save_model(final.model, tmp_path_factory.mktemp("m") / "n.molstudio")
    return final.model, path


def test_an_out_of_domain_compound_gets_neither_a_certain_probability_nor_a_zero_spread(classifier):
    model, path = classifier
    # a perfluorinated sulfonic acid has little in common with the small organics trained on
    far = pd.DataFrame({"smiles": ["FC(F)(F)C(F)(F)C(F)(F)C(F)(F)S(=O)(=O)O", "CCCCN"]})
    for m in (model, load_model(path)):  # the share travels in the model file
        out = m.predict_frame(far)
        assert not out["in_domain"].iloc[0]
        assert 0.05 < out["has_n_probability"].iloc[0] < 0.95
        assert out["has_n_uncertainty"].iloc[0] > 0.01
    share = read_manifest(path)["class_share"][0]
    assert share == pytest.approx(nitrogen_table()["has_n"].mean(), abs=0.15)
