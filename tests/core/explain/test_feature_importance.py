"""Feature importance (issue 6): shuffling the one descriptor a target depends on hurts most,
fingerprint bits are named with an example substructure, and a Stop ends it cleanly."""

import sys
import threading

import numpy as np
import pytest
from factories import descriptor_table, nitrogen_count_table

from molstudio.core.errors import MolStudioError
from molstudio.core.explain.importance import (
    FeatureImportance,
    permutation_importance,
    permutation_importance_steps,
    shap_values,
)
from molstudio.core.run.config import RunConfig, SplitConfig
from molstudio.core.training.loop import run_to_end
from molstudio.core.training.reports import StageReport


def _train(frame, target, features, descriptor_columns=(), model="mlp", epochs=30):
    cfg = RunConfig(model=model, targets=[target], features=features, descriptor_columns=list(descriptor_columns),
                    hparams={"hidden_sizes": [32], "dropout": 0.0} if model == "mlp" else {},
                    split=SplitConfig(sizes=(1.0, 0.0, 0.0)),
                    training={"epochs": epochs, "lr": 0.01, "patience": 0, "seed": 0, "device": "cpu"})
    return run_to_end(cfg, frame).model


@pytest.fixture(scope="module")
def one_descriptor():
    """y depends on f2 only."""
    frame = descriptor_table(200)
    frame["y"] = 3 * frame["f2"] + np.random.default_rng(1).normal(0, 0.05, len(frame))
    return _train(frame, "y", ["columns"], ["f1", "f2", "f3", "f4"]), frame


def test_the_descriptor_the_target_depends_on_comes_first(one_descriptor):
    model, frame = one_descriptor
    table = permutation_importance(model, descriptor_table(80, seed=5).assign(y=lambda f: 3 * f["f2"]), repeats=3)
    assert list(table.columns) == ["feature", "importance_mean", "importance_std", "metric", "example"]
    assert table["feature"].iloc[0] == "f2"
    assert table["importance_mean"].iloc[0] > 10 * table["importance_mean"].iloc[1:].abs().max()
    assert set(table["metric"]) == {"increase in RMSE of y"}


def test_fingerprint_bits_are_named_with_a_substructure_of_the_compounds():
    model = _train(nitrogen_count_table(100), "n_nitrogen", ["morgan_count(radius=1,size=256)"], epochs=20)
    table = permutation_importance(model, nitrogen_count_table(40, seed=2), repeats=2)
    assert len(table) == 256 and table["feature"].str.fullmatch(r"Morgan count bit \d+ \(radius 1\)").all()
    top = table.iloc[0]
    assert "N" in top["example"], top.to_dict()  # the nitrogen environments matter most
    unset = table[table["example"] == ""]  # bits no compound sets: shuffling cannot matter
    assert (unset["importance_mean"] == 0).all()


def test_progress_is_reported_and_stop_ends_without_a_result(one_descriptor):
    model, frame = one_descriptor
    reports = list(permutation_importance_steps(model, frame, repeats=2))
    assert isinstance(reports[-1], FeatureImportance) and reports[-1].compounds == 200
    stages = [r for r in reports if isinstance(r, StageReport) and r.total]
    assert stages[-1].done == stages[-1].total == 4
    stop = threading.Event()
    stop.set()
    assert not any(isinstance(r, FeatureImportance) for r in permutation_importance_steps(model, frame, cancel=stop))
    with pytest.raises(MolStudioError, match="stopped before it finished"):
        permutation_importance(model, frame, cancel=stop)


def test_what_cannot_be_measured_is_said_in_words(one_descriptor):
    model, frame = one_descriptor
    with pytest.raises(MolStudioError, match="has no column 'y'"):
        permutation_importance(model, frame.drop(columns=["y"]))
    with pytest.raises(MolStudioError, match="does not predict 'logS'"):
        permutation_importance(model, frame, target="logS")
    with pytest.raises(MolStudioError, match="at least 1"):
        permutation_importance(model, frame, repeats=0)
    graph = _train(nitrogen_count_table(30), "n_nitrogen", ["none"], model="dmpnn", epochs=1)
    with pytest.raises(MolStudioError, match="reads the structures themselves"):
        permutation_importance(graph, nitrogen_count_table(30))


def test_shap_without_the_package_says_how_to_install_it(one_descriptor, monkeypatch):
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(MolStudioError, match=r"pip install 'molstudio\[explain\]'"):
        shap_values(*one_descriptor)


def test_shap_values_add_up_to_the_prediction(one_descriptor):
    pytest.importorskip("shap")
    model, frame = one_descriptor
    result = shap_values(model, frame.iloc[:50], background=50)
    assert list(result.values.columns) == ["f1", "f2", "f3", "f4"]
    predicted = model.predict_frame(frame.iloc[:50])["y_predicted"].to_numpy()
    np.testing.assert_allclose(result.values.sum(axis=1) + result.base_value, predicted, atol=1e-3)
    assert result.values["f2"].abs().mean() > 10 * result.values[["f1", "f3", "f4"]].abs().mean().max()
