"""Ensembles: several seeds, mean prediction, spread as uncertainty, one model file."""

import threading

import numpy as np
from factories import descriptor_table

from molstudio.core.run.config import RunConfig
from molstudio.core.trained.file import load_model, read_manifest, save_model
from molstudio.core.training.loop import run_to_end, train
from molstudio.core.training.reports import EpochReport, FinishedReport


def _config(members: int, epochs: int = 15) -> RunConfig:
    cfg = RunConfig(model="mlp", hparams={"hidden_sizes": [16], "dropout": 0.0})
    cfg.training = {"epochs": epochs, "patience": 0, "lr": 3e-3, "batch_size": 32, "ensemble": members}
    return cfg


def test_each_member_reports_its_epochs_and_the_model_holds_them_all():
    reports = list(train(_config(3, epochs=4), descriptor_table(100)))
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    assert [(r.member, r.epoch) for r in epochs] == [(m, e) for m in range(3) for e in range(1, 5)]
    assert all(r.members == 3 for r in epochs)
    final = reports[-1]
    assert isinstance(final, FinishedReport)
    assert len(final.model.networks) == 3 and len(final.member_histories) == 3
    assert final.summary()["ensemble"] == 3


def test_prediction_is_the_member_mean_with_its_spread_as_uncertainty(tmp_path):
    frame = descriptor_table(120)
    final = run_to_end(_config(3), frame)
    model = final.model
    out = model.predict_frame(frame)
    assert "y_uncertainty" in out.columns and "y_uncertainty" in model.output_columns()
    encoded = model.inputs.encode([None] * len(frame), [None] * len(frame), frame, None)
    singles = []
    for net in model.networks:
        one = type(model)(**{**model.__dict__, "networks": [net]})
        singles.append(one.predict_encoded(encoded)[0][:, 0])
    singles = np.stack(singles)
    assert np.allclose(out["y_predicted"], singles.mean(axis=0), atol=1e-5)
    assert np.allclose(out["y_uncertainty"], singles.std(axis=0), atol=1e-5)
    assert (out["y_uncertainty"] > 0).all()  # members differ: different seeds

    path = save_model(model, tmp_path / "ens.molstudio")
    assert read_manifest(path)["members"] == 3
    again = load_model(path).predict_frame(frame)
    assert np.allclose(again["y_predicted"], out["y_predicted"], atol=1e-6)
    assert np.allclose(again["y_uncertainty"], out["y_uncertainty"], atol=1e-6)


def test_test_scatter_of_an_ensemble_carries_the_spread_and_validation_predictions():
    final = run_to_end(_config(2), descriptor_table(100))
    assert final.test_spread is not None and final.test_spread.shape == final.test_pred.shape
    assert final.val_pred.shape == (len(final.val_rows), 1)
    assert np.isclose(final.metrics["val"]["rmse"],
                      np.sqrt(np.mean((final.val_pred[:, 0] - final.val_true[:, 0]) ** 2)), rtol=1e-4)


def test_a_single_network_has_no_uncertainty_column():
    final = run_to_end(_config(1, epochs=3), descriptor_table(60))
    assert not any(c.endswith("_uncertainty") for c in final.model.output_columns())


def test_stop_during_the_second_member_keeps_the_finished_members():
    cancel = threading.Event()
    final = None
    for report in train(_config(4, epochs=5), descriptor_table(100), cancel):
        if isinstance(report, EpochReport) and report.member == 1 and report.epoch == 2:
            cancel.set()
        if isinstance(report, FinishedReport):
            final = report
    assert final.stopped == "cancelled"
    assert len(final.model.networks) == 2  # member 0 complete, member 1 stopped after its 2nd epoch
