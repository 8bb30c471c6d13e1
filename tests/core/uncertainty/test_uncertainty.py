"""Prediction intervals: calibrated on validation errors, wider far from the training compounds."""

import numpy as np
import pandas as pd
import pytest
from factories import descriptor_table, nitrogen_table

from molstudio.core.errors import MolStudioError
from molstudio.core.run.config import RunConfig
from molstudio.core.tables.reading import read_table
from molstudio.core.trained.predict import predict_file, predict_table
from molstudio.core.training.loop import run_to_end

NEAR, FAR = "CCCCCCCCCCCCCO", "O=C(Nc1ccc2[nH]c3ccccc3c2c1)c1cnccn1"


def series_table() -> pd.DataFrame:
    """Homologous chains (alcohols, amines, chlorides, acids): one small corner of chemistry."""
    smiles = [("C" * n) + end for n in range(2, 13) for end in ("O", "N", "Cl", "C(=O)O")]
    value = [0.5 * len(s) + {"O": 0.0, "N": 0.3, "l": 1.0, ")": -0.5}[s[-1] if s[-1] != "O" or s[-2] != "=" else ")"]
             for s in smiles]
    return pd.DataFrame({"smiles": smiles, "y": value})


def _config(members: int = 1, dropout: float = 0.0, epochs: int = 8) -> RunConfig:
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [32], "dropout": dropout})
    cfg.training = {"epochs": epochs, "patience": 0, "batch_size": 16, "lr": 3e-3, "ensemble": members}
    return cfg


@pytest.fixture(scope="module")
def single():
    return run_to_end(_config(dropout=0.2), series_table()).model


def _width(out: pd.DataFrame, row: int) -> float:
    return float(out["y_upper"].iloc[row] - out["y_lower"].iloc[row])


def test_interval_columns_present_and_wider_for_an_out_of_domain_compound(single):
    out = single.predict_frame(pd.DataFrame({"smiles": [NEAR, FAR]}))
    assert list(out.columns) == ["y_predicted", "y_lower", "y_upper", "nearest_training_similarity", "in_domain",
                                 "not_predicted_because"]
    assert list(out["in_domain"]) == [True, False]
    assert (out["y_lower"] <= out["y_predicted"]).all() and (out["y_predicted"] <= out["y_upper"]).all()
    assert _width(out, 1) > 1.5 * _width(out, 0)


def test_an_ensemble_interval_scales_its_spread_and_widens_out_of_domain():
    model = run_to_end(_config(members=3), series_table()).model
    out = model.predict_frame(pd.DataFrame({"smiles": [NEAR, FAR]}))
    assert list(out.columns) == ["y_predicted", "y_lower", "y_upper", "y_uncertainty",
                                 "nearest_training_similarity", "in_domain", "not_predicted_because"]
    assert list(model.calibration.fits) == ["ensemble"]
    assert out["y_uncertainty"].gt(0).all()
    assert _width(out, 1) > _width(out, 0)


def test_the_interval_holds_90_percent_of_the_validation_compounds():
    frame = descriptor_table(300)
    final = run_to_end(_config(epochs=15), frame)
    out = final.model.predict_frame(frame.iloc[final.val_rows])
    y = frame["y"].to_numpy()[final.val_rows]
    inside = (out["y_lower"].to_numpy() <= y) & (y <= out["y_upper"].to_numpy())
    assert inside.mean() >= 0.9
    # descriptor columns only: no structures, so no domain and one width for every compound
    assert "in_domain" not in out.columns and "nearest_training_similarity" not in out.columns
    assert np.allclose(out["y_upper"] - out["y_lower"], (out["y_upper"] - out["y_lower"]).iloc[0])


def test_mc_dropout_gives_a_repeatable_spread_and_its_own_calibrated_interval(single):
    frame = pd.DataFrame({"smiles": [NEAR, FAR, "CCO"]})
    first = single.predict_frame(frame, mc_dropout=True)
    assert list(first.columns) == single.output_columns(mc_dropout=True)
    assert "y_uncertainty" in first.columns and first["y_uncertainty"].gt(0).all()
    pd.testing.assert_frame_equal(first, single.predict_frame(frame, mc_dropout=True))
    assert single.calibration.fits["mc_dropout"].samples == 20
    assert _width(first, 1) > _width(first, 0)


def test_mc_dropout_is_refused_for_a_network_without_dropout():
    model = run_to_end(_config(dropout=0.0, epochs=3), series_table()).model
    assert "mc_dropout" not in model.calibration.fits
    with pytest.raises(MolStudioError, match=r"has none \(dropout = 0\)"):
        model.predict_frame(pd.DataFrame({"smiles": ["CCO"]}), mc_dropout=True)


def test_a_classifier_gets_the_domain_but_no_interval():
    model = run_to_end(_config(epochs=3), nitrogen_table()).model
    out = model.predict_frame(pd.DataFrame({"smiles": ["CCN", "C1CC1"]}))
    assert model.calibration is None
    assert not any(c.endswith(("_lower", "_upper")) for c in out.columns)
    assert {"nearest_training_similarity", "in_domain"} <= set(out.columns)


def test_streamed_predictions_write_the_interval_and_domain_columns(single, tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "smiles": [NEAR, FAR, "not a smiles", "CCCO"]})
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    frame.to_csv(src, index=False)
    predict_file(single, src, dst, chunk_rows=2)
    written = read_table(dst).frame
    expected = predict_table(single, frame)
    assert list(written.columns) == list(expected.columns)
    assert np.allclose(written["y_upper"], expected["y_upper"], equal_nan=True)
    assert list(written["in_domain"].iloc[[0, 1, 3]]) == [True, False, True]
    predict_file(single, src, tmp_path / "mc.csv", chunk_rows=2, mc_dropout=True)
    assert list(read_table(tmp_path / "mc.csv").frame.columns)[2:] == single.output_columns(mc_dropout=True)
    assert pd.isna(written["in_domain"].iloc[2]) and pd.isna(written["y_lower"].iloc[2])
